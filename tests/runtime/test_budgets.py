"""Daily budgets: a run that would pass a spec's or a key's budget is refused with 429
``budget_exceeded`` naming it, Retry-After at the end of the UTC day; the limits and their use
show in /metrics; a cached answer or a new day is served again."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from cost_support import quote_project, unique_name
from rt_support import ScriptedStandIn, running

from specwright.runtime.config import Settings
from specwright.runtime.http.app import create_app
from specwright.runtime.http.auth import KeyStore, keys_path
from specwright.runtime.http.state import get_state

NOTE = {"note": "a fine quote"}
# 23:00 UTC: one hour before the budgets start again
LATE = dt.datetime(2026, 12, 6, 23, 0, tzinfo=dt.UTC).timestamp()


def _start(app: Any, now: list[float]) -> None:
    controls = get_state(app).controls
    assert controls is not None and controls.budgets is not None
    controls.budgets.clock = lambda: now[0]


def _metric(text: str, metric: str, **labels: str) -> float | None:
    want = [f'{k}="{v}"' for k, v in labels.items()]
    for line in text.splitlines():
        if line.startswith(f"{metric}{{") and all(w in line for w in want):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_a_spec_budget_refuses_the_run_that_would_pass_it(tmp_path: Path) -> None:
    root = quote_project(tmp_path / "p", "")
    model = ScriptedStandIn([NOTE])  # 10 + 5 tokens a run
    settings = Settings(budgets={"specs": {"quote": {"tokens_per_day": 40}}})
    app = create_app(settings, root, model_factory=lambda rev: model)
    now = [LATE]
    async with running(app) as c:
        _start(app, now)
        codes = [(await c.post("/specs/quote/v1", json={"amount": a})).status_code
                 for a in (1, 2)]
        assert codes == [200, 200]  # 30 used; a third run of about 15 would pass 40
        r = await c.post("/specs/quote/v1", json={"amount": 3})
        assert r.status_code == 429
        assert r.headers["Retry-After"] == "3600"
        assert r.json() == {
            "type": "budget_exceeded",
            "message": 'the daily token budget of spec "quote" would be passed by this run: '
                       "30 of 40 tokens used today (UTC); it resets at 2026-12-07T00:00:00Z",
            "details": {"budget": "spec:quote", "limit": {"tokens_per_day": 40}, "used": 30,
                        "resets_at": "2026-12-07T00:00:00Z"},
        }
        assert len(model.requests) == 2  # refused before any model call
        runs = (await c.get("/runs")).json()["runs"]
        assert len(runs) == 2  # a refused run never ran: not logged
        metrics = (await c.get("/metrics")).text
        assert _metric(metrics, "specwright_budget_limit_tokens", scope="spec",
                       name="quote") == 40
        assert _metric(metrics, "specwright_budget_used_tokens", scope="spec",
                       name="quote") == 30
        assert _metric(metrics, "specwright_budget_refusals_total", scope="spec", name="quote",
                       budget="tokens_per_day") == 1
        now[0] += 3600  # a new UTC day
        assert (await c.post("/specs/quote/v1", json={"amount": 3})).status_code == 200


async def test_a_cost_budget_names_its_unit(tmp_path: Path) -> None:
    root = quote_project(tmp_path / "p", "")
    model = ScriptedStandIn([NOTE])  # 0.0001 USD a run
    settings = Settings(budgets={"specs": {"quote": {"cost_usd_per_day": 0.0001}}})
    app = create_app(settings, root, model_factory=lambda rev: model)
    async with running(app) as c:
        _start(app, [LATE])
        assert (await c.post("/specs/quote/v1", json={"amount": 1})).status_code == 200
        r = await c.post("/specs/quote/v1", json={"amount": 2})
        assert r.status_code == 429
        body = r.json()
        assert body["details"] == {"budget": "spec:quote", "limit": {"cost_usd_per_day": 0.0001},
                                   "used": 0.0001, "resets_at": "2026-12-07T00:00:00Z"}
        assert body["message"].startswith('the daily cost budget of spec "quote" is used up: '
                                          "0.0001 of 0.0001 USD used today (UTC)")


async def test_a_key_budget_is_per_key_and_a_cached_answer_is_still_served(
        tmp_path: Path) -> None:
    root = quote_project(tmp_path / "p")  # answer cache: 1h
    settings = Settings(budgets={"per_key": {"tokens_per_day": 15}})
    store = KeyStore(keys_path(settings, root))
    first_key, first = store.create("caller", "first")
    _, second = store.create("caller", "second")
    _, admin = store.create("admin", "ops")
    model = ScriptedStandIn([NOTE])
    app = create_app(settings, root, model_factory=lambda rev: model)
    async with running(app) as c:
        _start(app, [LATE])

        async def post(token: str, amount: int) -> Any:
            return await c.post("/specs/quote/v1", json={"amount": amount},
                                headers={"Authorization": f"Bearer {token}"})

        assert (await post(first, 1)).status_code == 200  # 15 of 15
        refused = await post(first, 2)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "3600"
        assert refused.json()["details"]["budget"] == f"key:{first_key.id}"
        assert refused.json()["message"].startswith(
            f'the daily token budget of API key "{first_key.id}" is used up: 15 of 15 tokens')
        cached = await post(first, 1)  # the same input: the recorded answer costs nothing
        assert cached.status_code == 200 and cached.headers["X-Specwright-Cache"] == "hit"
        assert (await post(second, 2)).status_code == 200  # another key, its own budget
        metrics = (await c.get("/metrics", headers={"Authorization": f"Bearer {admin}"})).text
        assert _metric(metrics, "specwright_budget_used_tokens", scope="key",
                       name=first_key.id) == 15
    assert len(model.requests) == 2


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
async def test_replicas_spend_one_budget(tmp_path: Path, database: str) -> None:
    url = os.environ.get("SPECWRIGHT_TEST_POSTGRES_URL")
    if database == "postgres" and not url:
        pytest.skip("set SPECWRIGHT_TEST_POSTGRES_URL to run against PostgreSQL")
    name = unique_name()
    root = quote_project(tmp_path / "p", "", name=name)
    settings = Settings(database_url=url if database == "postgres" else None,
                        budgets={"specs": {name: {"tokens_per_day": 30}}})
    model_a, model_b = ScriptedStandIn([NOTE]), ScriptedStandIn([NOTE])
    app_a = create_app(settings, root, model_factory=lambda rev: model_a)
    app_b = create_app(settings, root, model_factory=lambda rev: model_b)
    async with running(app_a) as a, running(app_b) as b:
        _start(app_a, [LATE])
        _start(app_b, [LATE])
        assert (await a.post(f"/specs/{name}/v1", json={"amount": 1})).status_code == 200
        assert (await b.post(f"/specs/{name}/v1", json={"amount": 2})).status_code == 200
        for client in (a, b):  # 30 of 30 used, by two processes
            r = await client.post(f"/specs/{name}/v1", json={"amount": 3})
            assert r.status_code == 429 and r.json()["details"]["used"] == 30


class _GatedStandIn(ScriptedStandIn):
    """Answers only once ``gate`` opens: every run of a burst is in flight at once."""

    def __init__(self) -> None:
        super().__init__([NOTE])
        self.gate = asyncio.Event()
        self.waiting = 0

    async def complete(self, request: Any) -> Any:
        self.waiting += 1
        await self.gate.wait()
        return await super().complete(request)


async def test_a_burst_is_admitted_only_as_far_as_the_runs_in_flight_fit(
        tmp_path: Path) -> None:
    """15 tokens spent, 15 a run on average, 50 a day: of a burst of six runs in flight at once,
    two fit (15 + 2 x 15 = 45); without counting the runs in flight all six would have been
    admitted (none had spent yet) and the day would have ended at 105 of 50."""
    root = quote_project(tmp_path / "p", "")
    model = _GatedStandIn()
    model.gate.set()
    settings = Settings(budgets={"specs": {"quote": {"tokens_per_day": 50}}})
    app = create_app(settings, root, model_factory=lambda rev: model)
    async with running(app) as c:
        _start(app, [LATE])
        assert (await c.post("/specs/quote/v1", json={"amount": 1})).status_code == 200
        model.gate.clear()
        burst = [asyncio.create_task(c.post("/specs/quote/v1", json={"amount": a}))
                 for a in range(2, 8)]
        for _ in range(200):  # until every run is either waiting for the model or refused
            await asyncio.sleep(0.01)
            if model.waiting - 1 + sum(t.done() for t in burst) == len(burst):
                break
        refused = [t.result() for t in burst if t.done()]
        assert model.waiting - 1 == 2 and len(refused) == 4
        assert all(r.status_code == 429 for r in refused)
        assert all("and the 2 in flight" in r.json()["message"] for r in refused)
        model.gate.set()
        answered = await asyncio.gather(*burst)
        assert sorted(r.status_code for r in answered) == [200, 200, 429, 429, 429, 429]
        controls = get_state(app).controls
        assert controls is not None and controls.budgets is not None
        assert controls.budgets.held == {}  # every run released what it held
        after = await c.post("/specs/quote/v1", json={"amount": 9})  # 45 + 15 would pass 50
        assert after.status_code == 429
        assert after.json()["message"].startswith(
            'the daily token budget of spec "quote" would be passed by this run: 45 of 50 tokens')


async def test_a_run_cancelled_in_flight_holds_nothing(tmp_path: Path) -> None:
    root = quote_project(tmp_path / "p", "")
    model = _GatedStandIn()
    settings = Settings(budgets={"specs": {"quote": {"tokens_per_day": 50}}})
    app = create_app(settings, root, model_factory=lambda rev: model)
    async with running(app) as c:
        _start(app, [LATE])
        controls = get_state(app).controls
        assert controls is not None and controls.budgets is not None
        call = asyncio.create_task(c.post("/specs/quote/v1", json={"amount": 1}))
        for _ in range(200):
            await asyncio.sleep(0.01)
            if model.waiting:
                break
        assert controls.budgets.held == {"spec:quote": 1}
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert controls.budgets.held == {}
