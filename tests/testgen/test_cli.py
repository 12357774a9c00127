"""``specwright test``: every spec's generated suite, a summary per spec, an exit code for CI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tg_support import SIX, make_project, revision_dir, run_cli, spec_text, tamper

from specwright.compiler import compile_spec


def _row(stdout: str, spec: str) -> list[str]:
    line = next(line for line in stdout.splitlines() if line.startswith(spec + " "))
    return line.split()


def test_the_example_specs_pass_with_model_checks_skipped(tmp_path: Path) -> None:
    root = make_project(tmp_path, {name: spec_text(name) for name in SIX})
    done = run_cli(root, "test")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "spec" in done.stdout and "skipped: no recording" in done.stdout
    for name in SIX:
        compiled = compile_spec(spec_text(name), f"specs/{name}.md")
        expected_skips = sum(
            1 for e in compiled.spec.examples if set(e.output) & set(compiled.model_decided)
        )
        _, revision, passed, failed, known, no_recording, other = _row(done.stdout, name)
        assert (revision, failed, known, other) == ("r1", "0", "0", "0"), done.stdout
        assert int(passed) > 0 and int(no_recording) == expected_skips, done.stdout
    assert re.search(r"all suites passed \(\d+\.\d s\)", done.stdout)
    if any(int(_row(done.stdout, n)[5]) for n in SIX):
        assert "--record` (provider keys set)" in done.stdout


def test_a_failing_spec_exits_1_with_the_counterexample(tmp_path: Path) -> None:
    # a gap edited into the compiled revision (the compiler refuses it in the spec text)
    root = make_project(tmp_path, {"carrier-selection": spec_text("carrier-selection")})

    def gap(data: dict[str, Any]) -> None:
        table = data["tables"][0]
        condition = "(input.promised_days >= 4 && input.promised_days <= 10)"
        table["rows"][3].update(cells=["4..10", "-"], condition=condition)
        table["cel"] = table["cel"].removesuffix(", true]") + f", {condition}]"

    tamper(revision_dir(root, "carrier-selection"), gap)
    done = run_cli(root, "test", "carrier-selection", "-k", "decision_service")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "no row of 'Decision: service' (specs/carrier-selection.md:" in done.stdout
    assert "matches promised_days=11, destination_region absent" in done.stdout
    assert _row(done.stdout, "carrier-selection")[3] == "1"
    assert "FAILED: carrier-selection" in done.stdout


def test_an_unknown_spec_is_named_with_a_suggestion(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"carrier-selection": spec_text("carrier-selection")})
    done = run_cli(root, "test", "carrier-selecton")
    assert done.returncode == 1
    assert 'no compiled spec "carrier-selecton" (did you mean "carrier-selection"?)' in done.stderr


def test_project_option_from_another_directory_counts_every_test(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", {"carrier-selection": spec_text("carrier-selection")})
    done = run_cli(root, "test", "--project", "proj", "-k", "boundaries", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _row(done.stdout, "carrier-selection")[1:4] == ["r1", "2", "0"], done.stdout
