"""Each attempt keeps the model's raw answer and its guardrail results, so the log explains a
rejected answer (issue 18, item 7); sensitive output values are redacted from those answers."""

from __future__ import annotations

import json
from pathlib import Path

from rt_support import AppFactory, _f, assert_error, logged, running

from specwright.runtime.engine.attempt_answers import UNREADABLE, redact_answers
from specwright.runtime.models.fake import ScriptedModel, no_sleep
from specwright.runtime.models.router import Router
from specwright.runtime.records import Attempt

HAZMAT_ABROAD = {"order_id": "A-1003", "weight_kg": 8.5, "destination_country": "DE",
                 "promised_days": 10, "declared_value": 300, "hazmat": True}


async def test_a_rejected_answer_is_explained_by_its_attempts(
    make_app: AppFactory, example_project: Path
) -> None:
    usps = '{"carrier": "usps", "reason": "cheapest"}'
    fake = ScriptedModel([usps, usps])
    app = make_app(example_project, model_factory=lambda rev: Router.of([fake], sleep=no_sleep))
    async with running(app) as c:
        r = await c.post("/specs/carrier-selection/v1", json=HAZMAT_ABROAD)
        assert_error(r, 422, "guardrail_failed")
        run_id = r.headers["X-Specwright-Run-Id"]
        run = await logged(app, run_id)
        over_http = (await c.get(f"/runs/{run_id}")).json()
    assert run.model == "fake:scripted"
    assert [a.answer for a in run.attempts] == [usps, usps]
    for attempt in run.attempts:
        assert attempt.guardrails is not None
        failed = [g["label"] for g in attempt.guardrails if not g["passed"]]
        assert "Hazmat never goes with USPS" in failed
    assert any(not g["passed"] for g in run.guardrails)  # the run's own: the last answer's
    assert over_http["attempts"][0]["answer"] == usps
    assert over_http["attempts"][0]["guardrails"] == list(run.attempts[0].guardrails or ())


async def test_an_accepted_answer_keeps_its_text_and_passing_guardrails(
    make_app: AppFactory, example_project: Path
) -> None:
    fake = ScriptedModel(['{"carrier": "dhl", "reason": "DHL takes hazmat abroad."}'])
    app = make_app(example_project, model_factory=lambda rev: Router.of([fake], sleep=no_sleep))
    async with running(app) as c:
        r = await c.post("/specs/carrier-selection/v1", json=HAZMAT_ABROAD)
        assert r.status_code == 200, r.text
        run = await logged(app, r.headers["X-Specwright-Run-Id"])
    (attempt,) = run.attempts
    assert json.loads(attempt.answer or "") == {"carrier": "dhl",
                                                "reason": "DHL takes hazmat abroad."}
    assert attempt.guardrails and all(g["passed"] for g in attempt.guardrails)


def _attempt(answer: str) -> Attempt:
    return Attempt(provider="fake", model="m", purpose="call", started_at=0.0, latency_ms=1.0,
                   status="ok", answer=answer)


def test_sensitive_output_values_are_redacted_from_answers() -> None:
    outputs = (_f("email", "text", sensitive=True), _f("verdict", "text"))
    kept = redact_answers((_attempt('{"email": "a@b.example", "verdict": "ok"}'),
                           _attempt("I think a@b.example is fine")), outputs, True)
    first = json.loads(kept[0].answer or "")
    assert first["verdict"] == "ok" and first["email"] != "a@b.example"
    assert kept[1].answer == UNREADABLE  # unreadable text cannot be redacted field by field
    plain = (_attempt('{"verdict": "ok"}'),)
    assert redact_answers(plain, outputs, False) is plain
