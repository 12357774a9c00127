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


async def test_open_review_cases_are_read_from_the_log_at_scrape_time(
    make_app: AppFactory,
) -> None:
    app = make_app(model_factory=no_model)
    async with running(app) as c:
        first = await scrape(c)
        opened = [(await c.post("/specs/triage/v1", json={"order_total": 2000, "country": "US"})
                   ).headers["x-specwright-review"] for _ in range(3)]
        during = await scrape(c)
        await app.state.specwright.reviews.resolve(opened[0], {"action": "escalate"}, "", "ana")
        after = await scrape(c)
    count, age = "specwright_review_open_cases", "specwright_review_oldest_open_age_seconds"
    key = (("spec", "triage"),)
    assert (first[(count, key)], first[(age, key)]) == (0, 0)  # a served spec with none open
    assert during[(count, key)] == 3 and after[(count, key)] == 2
    assert during[(age, key)] > 0 and after[(age, key)] > 0  # the arithmetic: the test below
    assert (count, (("spec", "shipping"),)) in after


def test_the_oldest_open_case_age_is_measured_from_when_it_opened() -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from specwright.runtime.observe.metrics import OpenReviews

    registry = CollectorRegistry()
    registry.register(OpenReviews({"a": (2, 1000.0), "b": (0, 0.0)}, now=1090.5))
    found = {(s.name, s.labels["spec"]): s.value for f in text_string_to_metric_families(
        generate_latest(registry).decode()) for s in f.samples}
    assert found == {
        ("specwright_review_open_cases", "a"): 2, ("specwright_review_open_cases", "b"): 0,
        ("specwright_review_oldest_open_age_seconds", "a"): 90.5,
        ("specwright_review_oldest_open_age_seconds", "b"): 0}


async def test_a_run_the_log_refused_is_counted_apart(make_app: AppFactory) -> None:
    from specwright.runtime.errors import LogUnavailable
    from specwright.runtime.http.state import get_state

    app = make_app(model_factory=no_model)
    async with running(app) as c:
        store = get_state(app).store
        assert store is not None
        write = store.write

        async def refuse(run: Any) -> None:
            raise LogUnavailable("cannot write run to the execution log at runs.sqlite3: full")

        before = await scrape(c)
        store.write = refuse  # type: ignore[method-assign]
        try:
            r = await c.post("/specs/triage/v1", json={"order_total": 10, "country": "US"})
        finally:
            store.write = write  # type: ignore[method-assign]
        assert r.status_code == 503
        after = await scrape(c)
    assert delta(before, after, "specwright_runs_not_logged_total", spec="triage") == 1
    assert delta(before, after, "specwright_runs_total", spec="triage", revision=1,
                 status="ok") == 0
