"""Known wrong answers of the recorded model (cassettes/known-wrong.json): the check runs, and
exactly the listed wrong answer is an expected failure; a right answer, another wrong answer
or a changed example fails (strict). Plus the project's own committed file is honest: every
entry is a model-decided check of a latest revision, with the example's own expected answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tg_support import make_project, revision_dir, run_cli, spec_text

from specwright.runtime import testing
from specwright.runtime.models.base import ModelRequest
from specwright.runtime.models.fake import ScriptedModel
from specwright.runtime.testing import known_wrong
from specwright.runtime.testing.examples import run_on_route
from specwright.runtime.testing.modes import MODE_ENV
from specwright.runtime.testing.runner import latest_revision_dir

SPEC = "carrier-selection"
HAZMAT = "Hazmat abroad"
REPO = Path(__file__).resolve().parents[2]
UPS = {"answered": {"carrier": "ups"}}


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> testing.SpecSuite:
    monkeypatch.delenv(MODE_ENV, raising=False)
    root = make_project(tmp_path, {SPEC: spec_text(SPEC)})
    return testing.SpecSuite.load(revision_dir(root, SPEC))


def _record(suite: testing.SpecSuite, carrier: str) -> None:
    def reply(request: ModelRequest) -> dict[str, Any]:
        return {"carrier": carrier, "reason": "Picked."}

    fakes = {m.ref: ScriptedModel(reply, name=m.ref) for m in suite.compiled.spec.route.models}
    run_on_route(suite, suite.example(HAZMAT), "record", overrides=fakes)


def _list(suite: testing.SpecSuite, observed: dict[str, Any],
          expected: dict[str, Any] | None = None) -> None:
    known_wrong.write(suite.project_root, "a fake", {known_wrong.entry_key(SPEC, HAZMAT): {
        "model": "fake:model", "expected": expected or {"carrier": "dhl"}, "observed": observed}})


def test_the_listed_wrong_answer_is_an_expected_failure(suite: testing.SpecSuite) -> None:
    _record(suite, "ups")
    _list(suite, UPS)
    with pytest.raises(pytest.xfail.Exception) as xfailed:
        testing.check_example_model(suite, HAZMAT)
    assert str(xfailed.value) == ('known wrong answer of fake:model (known-wrong.json): expects '
                                  'carrier "dhl"; answers carrier "ups"')


def test_a_listed_failure_without_an_answer_is_matched_by_status_and_guardrails(
    suite: testing.SpecSuite,
) -> None:
    _record(suite, "usps")  # hazmat abroad by USPS: two guardrails refuse it, after the repairs
    labels = ["Hazmat never goes with USPS",
              "International parcels worth $50 or more never go with USPS"]
    _list(suite, {"ended_in": "guardrail_failed", "guardrails": labels,
                  "last_answer": {"carrier": "usps", "reason": "Picked."}})
    with pytest.raises(pytest.xfail.Exception, match="no answer: the run ended in guardrail_fa"):
        testing.check_example_model(suite, HAZMAT)


def test_a_right_answer_for_a_listed_example_fails(suite: testing.SpecSuite) -> None:
    _record(suite, "dhl")
    _list(suite, UPS)
    with pytest.raises(testing.SpecCheckFailed) as failed:
        testing.check_example_model(suite, HAZMAT)
    assert "answered wrong by fake:model, but the replay now gives the expected answer" in str(
        failed.value)


def test_another_wrong_answer_for_a_listed_example_fails(suite: testing.SpecSuite) -> None:
    _record(suite, "fedex")
    _list(suite, UPS)
    with pytest.raises(testing.SpecCheckFailed) as failed:
        testing.check_example_model(suite, HAZMAT)
    message = str(failed.value)
    assert "gives a different answer" in message and 'now:    carrier "fedex"' in message


def test_an_entry_whose_expected_answer_is_not_the_example_s_fails(
    suite: testing.SpecSuite,
) -> None:
    _record(suite, "ups")
    _list(suite, UPS, expected={"carrier": "ups"})  # edited to agree with the model: refused
    with pytest.raises(testing.SpecCheckFailed, match="another expected answer"):
        testing.check_example_model(suite, HAZMAT)


def test_specwright_test_counts_a_listed_wrong_answer_as_known_wrong_and_exits_0(
    suite: testing.SpecSuite,
) -> None:
    _record(suite, "ups")
    _list(suite, UPS)
    done = run_cli(suite.project_root, "test", SPEC)
    assert done.returncode == 0, done.stdout + done.stderr
    header = next(line for line in done.stdout.splitlines() if line.startswith("spec "))
    assert "known wrong" in header
    row = next(line for line in done.stdout.splitlines() if line.startswith(SPEC + " "))
    assert row.split()[3:5] == ["0", "1"]  # failed, known wrong
    assert "1 model-decided check(s) ran and got the recorded model's known wrong" in done.stdout
    _record(suite, "dhl")  # now right: the listed entry is out of date
    assert run_cli(suite.project_root, "test", SPEC).returncode == 1


def test_a_wrong_answer_not_listed_still_fails(suite: testing.SpecSuite) -> None:
    _record(suite, "ups")
    with pytest.raises(testing.SpecCheckFailed, match='the example expects "dhl"'):
        testing.check_example_model(suite, HAZMAT)


def test_a_live_run_ignores_the_list(
    suite: testing.SpecSuite, monkeypatch: pytest.MonkeyPatch
) -> None:
    _list(suite, UPS)
    monkeypatch.setenv(MODE_ENV, "live")
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(testing.SpecCheckFailed, match="did not get an answer \\(live\\)"):
        testing.check_example_model(suite, HAZMAT)


def test_the_committed_list_names_model_decided_checks_with_the_examples_answers() -> None:
    listed = known_wrong.load(REPO)
    doc = json.loads(known_wrong.known_wrong_path(REPO).read_text("utf-8"))
    assert "SmolLM2-135M-Instruct" in doc["recorded_with"]
    for key, entry in listed.items():
        spec, title = key.split(": ", 1)
        rev = latest_revision_dir(REPO / "generated" / spec)
        assert rev is not None, key
        suite = testing.SpecSuite.load(rev)
        example = suite.example(title)
        fields = [f for f in example.output if f in suite.compiled.model_decided]
        assert entry["expected"] == {f: example.output[f] for f in fields}, key
        assert not known_wrong.same(entry["observed"], {"answered": entry["expected"]}), key
        assert (REPO / "cassettes" / f"{spec}.json").is_file(), key
