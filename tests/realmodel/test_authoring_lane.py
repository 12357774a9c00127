"""``specwright draft``, ``infer`` and ``suggest-tests`` end to end against the real model.

What is asserted is the pipeline's part: each command runs to one of its documented endings
(exit 0 with a file that compiles, or exit 1 with a reviewable ``.draft.md`` or the reason no
answer came), never a traceback; every call is in the execution log with its tokens, a cost of
0 and no transport or refused-request error (the request fits the server: its token bound
is capped by the context window, one system message, the schema as the server takes it).
How good a 135M model's spec is, is not asserted.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from specwright.compiler import compile_spec
from specwright.runtime.cli import main
from specwright.runtime.config import load_settings
from specwright.runtime.logstore import RunQuery, open_store
from specwright.runtime.records import RunRecord
from specwright.runtime.testing.real_model import RealModelServer, deployment_toml

pytestmark = pytest.mark.real_model

DATA = Path(__file__).resolve().parents[1] / "data"
MODEL = "local:smollm2"


def _runs(root: Path, spec: str) -> list[RunRecord]:
    async def go() -> list[RunRecord]:
        store = open_store(load_settings(root), root)
        await store.start()
        try:
            return list((await store.query(RunQuery(spec=spec, limit=100))).runs)
        finally:
            await store.close()

    return asyncio.run(go())


@pytest.fixture(scope="module")
def authoring_project(real_model_project: Path, real_model_server: RealModelServer,
                      tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("authoring")
    # Every answer capped at 256 tokens: a 135M model's whole spec would take minutes to
    # generate; a cut-off answer is one of the endings asserted (repaired, or "no draft").
    (root / "specwright.toml").write_text(
        deployment_toml(real_model_server, ("local",), max_tokens=256), encoding="utf-8")
    (root / "specs").mkdir()
    shutil.copy(DATA / "listing-photos.md", root / "specs" / "listing-photos.md")
    shutil.copy(real_model_project / "specs" / "carrier-selection.md",
                root / "specs" / "carrier-selection.md")
    return root


def _run(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, [*args, "--model", MODEL], catch_exceptions=False)
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, result.output


def _logged_cleanly(root: Path, label: str) -> None:
    runs = _runs(root, label)
    assert runs, f"no {label} run in the log"
    for run in runs:
        for a in run.attempts:
            assert a.provider == "local" and a.cost_usd == 0.0
            assert (a.input_tokens or 0) > 0, a
            assert a.error_class in (None, "UnparseableOutput", "OutputInvalid"), a


def _compiles_or_is_a_draft(path: Path) -> None:
    if path.name.endswith(".draft.md"):
        assert path.read_text("utf-8").startswith("---")
    else:
        compile_spec(path.read_text("utf-8"), f"specs/{path.name}")


def test_draft(authoring_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = _run(authoring_project, monkeypatch, "draft", str(DATA / "returns-policy.md"),
                        "--name", "return-request", "--rounds", "0")
    written = [p for p in (authoring_project / "specs").glob("return-request*.md")]
    if code == 0:
        assert written == [authoring_project / "specs/return-request.md"], output
    for path in written:
        _compiles_or_is_a_draft(path)
    if code == 1 and not written:
        assert "no draft was produced" in output
    _logged_cleanly(authoring_project, "draft:return-request")


def test_infer(authoring_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = _run(authoring_project, monkeypatch, "infer", "listing-photos", "--rounds", "0")
    draft = authoring_project / "specs/listing-photos.draft.md"
    if code == 0:
        _compiles_or_is_a_draft(authoring_project / "specs/listing-photos.md")
    elif draft.exists():
        _compiles_or_is_a_draft(draft)
    else:
        assert "no field list was produced" in output
    _logged_cleanly(authoring_project, "infer:listing-photos")


def test_suggest_tests(authoring_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = authoring_project / "specs/carrier-selection.md"
    code, output = _run(authoring_project, monkeypatch, "suggest-tests", "carrier-selection",
                        "--max", "2")
    _compiles_or_is_a_draft(spec)  # whatever it appended, the spec still compiles
    _logged_cleanly(authoring_project, "suggest-tests:carrier-selection")
    assert code in (0, 1), output
