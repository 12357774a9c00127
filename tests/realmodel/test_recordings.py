"""The generated suites' model-decided example checks replay ``cassettes/<spec>.json``, which
were recorded from this real model (every attempt, repairs and rejected answers included).
Here the lane proves the committed recordings are what the model answers now, and that
``cassettes/known-wrong.json`` lists exactly the examples it answers wrong, with its answers.

After a deliberate change (prompt, specs, model), re-record:
``SPECWRIGHT_REPIN_REAL_MODEL=1 pytest tests/realmodel``, then review and commit
``cassettes/`` with ``tests/realmodel/pinned.json``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from rm_support import LOCAL, Lane

from specwright.runtime.config import load_settings
from specwright.runtime.testing import known_wrong
from specwright.runtime.testing.real_model import recorded_with

pytestmark = pytest.mark.real_model


def _cassettes(folder: Path) -> dict[str, Any]:
    return {f.name: json.loads(f.read_text("utf-8")) for f in sorted(folder.glob("*.json"))
            if f.name != known_wrong.FILE_NAME}


def _wrong_answers(lane: Lane) -> dict[str, dict[str, Any]]:
    """Every example whose model-decided fields the real model did not answer as expected."""
    out: dict[str, dict[str, Any]] = {}
    for run in lane.runs:
        example = run.suite.example(run.title)
        fields = [f for f in example.output if f in run.suite.compiled.model_decided]
        if not fields:
            continue
        expected = {f: example.output[f] for f in fields}
        now = known_wrong.observed(run.result, fields)
        if not known_wrong.same(now, {"answered": expected}):
            out[known_wrong.entry_key(run.spec, run.title)] = {
                "model": LOCAL, "expected": expected, "observed": now}
    return out


def test_the_committed_recordings_are_what_the_model_answers_now(
    lane: Lane, pytestconfig: pytest.Config,
) -> None:
    repo = Path(pytestconfig.rootpath)
    # recorded the way the table in docs/models.md says llama-cpp-python takes the schema
    assert {d.structured for d in load_settings(lane.project).deployments.values()} == {
        "json_object_schema"}
    fresh, wrong = _cassettes(lane.cassettes), _wrong_answers(lane)
    if os.environ.get("SPECWRIGHT_REPIN_REAL_MODEL") == "1":
        for name in fresh:
            shutil.copyfile(lane.cassettes / name, repo / "cassettes" / name)
        known_wrong.write(repo, recorded_with(), wrong)
        pytest.skip("re-recorded cassettes/ from the real model: review and commit it")
    committed = _cassettes(repo / "cassettes")
    assert set(fresh) == set(committed), "re-record: SPECWRIGHT_REPIN_REAL_MODEL=1"
    for name, doc in fresh.items():
        new, old = doc["entries"], committed[name]["entries"]
        assert set(new) == set(old), (name, "requests differ: the prompt or schema changed? "
                                      "re-record: SPECWRIGHT_REPIN_REAL_MODEL=1")
        changed = {k: {"committed": old[k]["text"], "now": new[k]["text"]}
                   for k in new if new[k] != old[k]}
        assert not changed, (name, changed)
    assert known_wrong.load(repo) == wrong
