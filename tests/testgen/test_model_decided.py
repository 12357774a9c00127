"""Model-decided example fields: skipped (never passed) without a recording, replayed from a
cassette when one exists, failing on a wrong answer; table-decided fields checked regardless."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tg_support import make_project, revision_dir, spec_text, tamper

from specwright.runtime import testing
from specwright.runtime.models.base import ModelRequest
from specwright.runtime.models.fake import ScriptedModel
from specwright.runtime.testing.examples import cassette_file, run_example, run_on_route
from specwright.runtime.testing.modes import MODE_ENV
from specwright.runtime.testing.standin import StandInModel

SPEC = "carrier-selection"
HAZMAT = "Hazmat abroad"


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> testing.SpecSuite:
    monkeypatch.delenv(MODE_ENV, raising=False)
    root = make_project(tmp_path, {SPEC: spec_text(SPEC)})
    return testing.SpecSuite.load(revision_dir(root, SPEC))


def _record(suite: testing.SpecSuite, title: str, answer: dict[str, Any]) -> None:
    """Record the route's answer for one example, with fakes standing in for the providers."""

    def reply(request: ModelRequest) -> dict[str, Any]:
        return dict(answer)

    fakes = {m.ref: ScriptedModel(reply, name=m.ref) for m in suite.compiled.spec.route.models}
    result = run_on_route(suite, suite.example(title), "record", overrides=fakes)
    assert result.ok, result.body


def test_without_a_recording_the_model_fields_are_skipped_with_the_command(
    suite: testing.SpecSuite,
) -> None:
    with pytest.raises(pytest.skip.Exception) as skipped:
        testing.check_example_model(suite, HAZMAT)
    assert str(skipped.value) == (
        "no recording for model-decided fields carrier: run "
        "`specwright test carrier-selection --record` with provider keys set")
    testing.check_example(suite, HAZMAT)  # its table-decided fields still pass, offline


def test_a_recorded_answer_is_replayed_and_compared(suite: testing.SpecSuite) -> None:
    _record(suite, HAZMAT, {"carrier": "dhl", "reason": "DHL takes hazmat abroad."})
    assert cassette_file(suite) == suite.project_root / "cassettes" / "carrier-selection.json"
    testing.check_example_model(suite, HAZMAT)


def test_a_recorded_wrong_answer_fails_naming_the_field(suite: testing.SpecSuite) -> None:
    _record(suite, HAZMAT, {"carrier": "ups", "reason": "UPS is cheapest."})
    with pytest.raises(testing.SpecCheckFailed) as failed:
        testing.check_example_model(suite, HAZMAT)
    message = str(failed.value)
    assert message.startswith('example "Hazmat abroad" (specs/carrier-selection.md:')
    assert 'carrier: the example expects "dhl", the model (' in message
    assert 'replayed) decided "ups"' in message


def test_a_stale_recording_is_skipped_not_passed(suite: testing.SpecSuite) -> None:
    _record(suite, "Small domestic parcel", {"carrier": "usps", "reason": "Cheapest."})
    with pytest.raises(pytest.skip.Exception) as skipped:
        testing.check_example_model(suite, HAZMAT)
    assert str(skipped.value).startswith(
        "no recording in carrier-selection.json for a request of this example (key ")


def test_a_recorded_failure_replays_as_the_same_failure_not_a_skip(
    suite: testing.SpecSuite,
) -> None:
    """Every attempt is recorded (the rejected answers and the repairs too): a run that failed
    when recorded fails the same way on replay, instead of a miss reported as a stale recording."""
    seen: list[str] = []

    def reply(request: ModelRequest) -> dict[str, Any]:
        seen.append(request.messages[-1].role)
        return {"carrier": "usps", "reason": "USPS is cheapest."}  # hazmat: a guardrail fails

    fakes = {m.ref: ScriptedModel(reply, name=m.ref) for m in suite.compiled.spec.route.models}
    recorded = run_on_route(suite, suite.example(HAZMAT), "record", overrides=fakes)
    assert recorded.status_code == 422 and recorded.run.status == "guardrail_failed"
    replayed = run_on_route(suite, suite.example(HAZMAT), "replay")
    assert (replayed.status_code, replayed.run.status) == (422, "guardrail_failed")
    assert [a.purpose for a in replayed.run.attempts] == [a.purpose for a in recorded.run.attempts]
    assert replayed.body["details"] == recorded.body["details"]
    with pytest.raises(testing.SpecCheckFailed, match="guardrail_failed"):
        testing.check_example_model(suite, HAZMAT)


def test_live_without_keys_fails_rather_than_passing(
    suite: testing.SpecSuite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MODE_ENV, "live")
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(testing.SpecCheckFailed) as failed:
        testing.check_example_model(suite, HAZMAT)
    assert "did not get an answer (live): the run ended in model_not_configured" in str(failed.value)


def test_an_example_contradicting_a_guardrail_fails_offline(tmp_path: Path) -> None:
    # The compiler refuses this spec; the generated check refuses the tampered revision too.
    root = make_project(tmp_path, {SPEC: spec_text(SPEC)})
    rev = revision_dir(root, SPEC)

    def usps(data: dict[str, Any]) -> None:
        example = next(e for e in data["spec"]["examples"] if e["title"] == HAZMAT)
        example["output"]["carrier"] = "usps"

    tamper(rev, usps)
    with pytest.raises(testing.SpecCheckFailed) as failed:
        testing.check_example(testing.SpecSuite.load(rev), HAZMAT)
    message = str(failed.value)
    assert 'example "Hazmat abroad" (specs/carrier-selection.md:' in message
    assert "does not run: the run ended in guardrail_failed" in message
    assert "Hazmat never goes with USPS" in message


def test_table_fields_are_checked_even_when_the_stand_in_cannot_satisfy_a_guardrail(
    tmp_path: Path,
) -> None:
    # No simple made-up reason passes this guardrail: the run ends without an answer, yet the
    # example's table-decided fields are still compared (and a wrong one still fails).
    text = spec_text(SPEC).replace(
        "## Guardrails\n",
        "## Guardrails\n\n- Reasons are specific: `size(output.reason) > 30`\n", 1)
    root = make_project(tmp_path, {SPEC: text})
    rev = revision_dir(root, SPEC)
    suite = testing.SpecSuite.load(rev)
    result = run_example(suite, suite.example("Small domestic parcel"),
                         lambda: StandInModel(suite.revision, {}))
    assert not result.ok  # the run itself does fail
    testing.check_example(suite, "Small domestic parcel")
    tamper(rev, lambda d: next(e for e in d["spec"]["examples"] if e["title"] == HAZMAT)[
        "output"].update(service="express"))
    with pytest.raises(testing.SpecCheckFailed) as failed:
        testing.check_example(testing.SpecSuite(rev), HAZMAT)  # not the cached, untampered one
    assert 'service: the example expects "express", the tables decided "ground" by row 4' in str(
        failed.value)
