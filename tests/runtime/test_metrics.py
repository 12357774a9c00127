"""``GET /metrics``: after a known batch the counts are exactly what the batch did.

The registry is the process's, shared by every test: each test reads the values before and
after its batch and checks the difference.
"""

from __future__ import annotations

from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from rt_support import SHIPPING_INPUT, AppFactory, ScriptedStandIn, no_model, running

Key = tuple[str, tuple[tuple[str, str], ...]]


async def scrape(c: httpx.AsyncClient) -> dict[Key, float]:
    r = await c.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text) for s in family.samples
    }


def delta(before: dict[Key, float], after: dict[Key, float], name: str,
          **labels: Any) -> float:
    key = (name, tuple(sorted((k, str(v)) for k, v in labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


async def test_a_rules_only_batch_is_counted_exactly(make_app: AppFactory) -> None:
    app = make_app(model_factory=no_model)
    async with running(app) as c:
        before = await scrape(c)
        bodies = [{"order_total": 10, "country": "US"}] * 5 + \
                 [{"order_total": 10, "country": "FR"}] * 3 + \
                 [{"order_total": 2000, "country": "US"}] * 2 + [{"country": "US"}]
        for body in bodies:
            await c.post("/specs/triage/v1", json=body)
        after = await scrape(c)
    runs = "specwright_runs_total"
    assert delta(before, after, runs, spec="triage", revision=1, status="ok") == 8
    assert delta(before, after, runs, spec="triage", revision=1, status="escalated") == 2
    assert delta(before, after, runs, spec="triage", revision=1, status="invalid_input") == 1
    hits = "specwright_table_row_hits_total"
    for line, count in ((10, 2), (11, 3), (12, 5)):
        assert delta(before, after, hits, spec="triage", table="Decision: action",
                     row_line=line) == count
    assert delta(before, after, "specwright_review_cases_opened_total", spec="triage") == 2
    assert delta(before, after, "specwright_run_duration_seconds_count", spec="triage",
                 revision=1) == 11


async def test_model_attempts_tokens_and_violations_are_counted(make_app: AppFactory) -> None:
    model = ScriptedStandIn([{"carrier": "usps", "reason": "cheap"}])
    app = make_app(model_factory=lambda rev: model)
    async with running(app) as c:
        before = await scrape(c)
        for _ in range(3):
            r = await c.post("/specs/shipping/v1", json=SHIPPING_INPUT | {"hazmat": True})
            assert r.status_code == 422
        await c.post("/specs/shipping/v1", json=SHIPPING_INPUT)  # usps is fine without hazmat
        after = await scrape(c)
    assert delta(before, after, "specwright_guardrail_violations_total", spec="shipping",
                 guardrail="Hazmat never goes with USPS") == 3
    assert delta(before, after, "specwright_runs_total", spec="shipping", revision=2,
                 status="guardrail_failed") == 3
    model_labels = {"model": "fake:scripted"}
    assert delta(before, after, "specwright_model_attempts_total", purpose="call", status="ok",
                 **model_labels) == 4
    assert delta(before, after, "specwright_model_tokens_total", direction="input",
                 **model_labels) == 40
    assert delta(before, after, "specwright_model_call_duration_seconds_count",
                 **model_labels) == 4
    assert abs(delta(before, after, "specwright_model_cost_usd_total", **model_labels)
               - 0.0004) < 1e-12
