"""The answer cache: a hit answers without a model call and says so (header, log), a miss calls
the model, an entry expires, a spec that forbids it or a failed run is never served from it,
and two apps on one database share it."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from cost_support import quote_project, unique_name
from rt_support import ScriptedStandIn, logged, running

from specwright.runtime.config import Settings
from specwright.runtime.errors import RateLimited
from specwright.runtime.http.app import create_app
from specwright.runtime.http.state import get_state

NOTE = {"note": "a fine quote"}
PG_URL = os.environ.get("SPECWRIGHT_TEST_POSTGRES_URL")


def _app(root: Path, model: Any, settings: Settings | None = None) -> Any:
    return create_app(settings or Settings(), root, model_factory=lambda rev: model)


async def test_a_repeat_is_answered_from_the_cache_and_marked(tmp_path: Path) -> None:
    root = quote_project(tmp_path / "p")
    model = ScriptedStandIn([NOTE])
    app = _app(root, model)
    async with running(app) as c:
        first = await c.post("/specs/quote/v1", json={"amount": 500})
        second = await c.post("/specs/quote/v1", json={"amount": 500})
        other = await c.post("/specs/quote/v1", json={"amount": 50})
        assert (first.status_code, second.status_code, other.status_code) == (200, 200, 200)
        assert first.headers["X-Specwright-Cache"] == "miss"
        assert second.headers["X-Specwright-Cache"] == "hit"
        assert other.headers["X-Specwright-Cache"] == "miss"
        assert second.json() == first.json() == {"tier": "large", "note": "a fine quote"}
        assert other.json()["tier"] == "small"  # the tables still decide their fields
        assert len(model.requests) == 2  # the repeat called no model
        assert second.headers["X-Specwright-Model"] == "fake:scripted"
        assert second.headers["X-Specwright-Cost-USD"] == "0.000000"
        run = await logged(app, second.headers["X-Specwright-Run-Id"])
        assert run.cached_from == first.headers["X-Specwright-Run-Id"]
        assert run.attempts == () and run.status == "ok"
        assert run.output == first.json()
        first_run = await logged(app, first.headers["X-Specwright-Run-Id"])
        assert first_run.cached_from is None and len(first_run.attempts) == 1
        admin = await c.get(f"/runs/{run.id}")
        assert admin.json()["cached_from"] == first_run.id


async def test_an_entry_expires(tmp_path: Path) -> None:
    root = quote_project(tmp_path / "p", "answer cache: 90s\n")
    model = ScriptedStandIn([NOTE])
    app = _app(root, model)
    now = [1_800_000_000.0]
    async with running(app) as c:
        controls = get_state(app).controls
        assert controls is not None and controls.cache is not None
        controls.cache.clock = lambda: now[0]
        for step, expected in ((0, "miss"), (89, "hit"), (2, "miss"), (1, "hit")):
            now[0] += step
            r = await c.post("/specs/quote/v1", json={"amount": 5})
            assert r.headers["X-Specwright-Cache"] == expected, step
    assert len(model.requests) == 2


@pytest.mark.parametrize(("front", "settings"), [
    ("answer cache: never\n", Settings(answer_cache={"specs": {"quote": "1h"}})),
    ("", Settings()),  # not opted in
    ("answer cache: 1h\n", Settings(answer_cache={"enabled": False})),
])
async def test_a_spec_that_forbids_or_does_not_opt_in_is_never_cached(
        tmp_path: Path, front: str, settings: Settings) -> None:
    root = quote_project(tmp_path / "p", front)
    model = ScriptedStandIn([NOTE])
    app = _app(root, model, settings)
    async with running(app) as c:
        for _ in range(2):
            r = await c.post("/specs/quote/v1", json={"amount": 5})
            assert r.status_code == 200 and "X-Specwright-Cache" not in r.headers
    assert len(model.requests) == 2


async def test_the_deployment_can_opt_a_spec_in(tmp_path: Path) -> None:
    root = quote_project(tmp_path / "p", "")
    model = ScriptedStandIn([NOTE])
    app = _app(root, model, Settings(answer_cache={"specs": {"quote": "10m"}}))
    async with running(app) as c:
        hits = [(await c.post("/specs/quote/v1", json={"amount": 5})).headers[
            "X-Specwright-Cache"] for _ in range(2)]
    assert hits == ["miss", "hit"] and len(model.requests) == 1


async def test_a_failed_run_is_not_recorded(tmp_path: Path) -> None:
    root = quote_project(tmp_path / "p")
    answers: list[Any] = [RateLimited("HTTP 429 (scripted)", retry_after=0.0)]

    class Flaky:
        name = "fake:flaky"

        def __init__(self) -> None:
            self.inner = ScriptedStandIn([NOTE])

        async def complete(self, request: Any) -> Any:
            if answers:
                raise answers.pop()
            return await self.inner.complete(request)

    flaky = Flaky()
    app = _app(root, flaky)
    async with running(app) as c:
        failed = await c.post("/specs/quote/v1", json={"amount": 5})
        assert failed.status_code == 502 and failed.headers["X-Specwright-Cache"] == "miss"
        ok = await c.post("/specs/quote/v1", json={"amount": 5})
        assert ok.status_code == 200 and ok.headers["X-Specwright-Cache"] == "miss"
        again = await c.post("/specs/quote/v1", json={"amount": 5})
        assert again.headers["X-Specwright-Cache"] == "hit"
        invalid = await c.post("/specs/quote/v1", json={"amount": -1})
        assert invalid.status_code == 422 and "X-Specwright-Cache" not in invalid.headers
    assert len(flaky.inner.requests) == 1


async def _shared(tmp_path: Path, settings: Settings) -> None:
    name = unique_name()
    root = quote_project(tmp_path / "p", name=name)
    model_a, model_b = ScriptedStandIn([NOTE]), ScriptedStandIn([{"note": "other replica"}])
    app_a, app_b = _app(root, model_a, settings), _app(root, model_b, settings)
    async with running(app_a) as a, running(app_b) as b:
        first = await a.post(f"/specs/{name}/v1", json={"amount": 7})
        second = await b.post(f"/specs/{name}/v1", json={"amount": 7})
        assert first.headers["X-Specwright-Cache"] == "miss"
        assert second.headers["X-Specwright-Cache"] == "hit"
        assert second.json() == first.json()
        run = await logged(app_b, second.headers["X-Specwright-Run-Id"])
        assert run.cached_from == first.headers["X-Specwright-Run-Id"]
    assert (len(model_a.requests), len(model_b.requests)) == (1, 0)


async def test_two_apps_on_one_sqlite_file_share_the_cache(tmp_path: Path) -> None:
    await _shared(tmp_path, Settings())


@pytest.mark.skipif(not PG_URL, reason="set SPECWRIGHT_TEST_POSTGRES_URL to run against "
                    "PostgreSQL")
async def test_two_apps_on_one_postgres_database_share_the_cache(tmp_path: Path) -> None:
    await _shared(tmp_path, Settings(database_url=PG_URL))


async def test_expired_answers_and_old_budget_days_are_swept(tmp_path: Path) -> None:
    from specwright.runtime.logstore import open_store
    from specwright.runtime.logstore.cost_db import SWEEP_EVERY, CachedAnswer, CostLog

    store = open_store(Settings(data_dir=str(tmp_path / "data"), log_writer="thread"), tmp_path)
    await store.start()
    db = CostLog(store)
    try:
        now = 1_800_000_000.0
        await db.add_use(["spec:old"], "2020-01-01", 10, 0.0)
        await db.add_use(["spec:new"], "2027-01-14", 10, 0.0)
        await db.remember("gone", "s", 1, CachedAnswer("r0", None, "{}", now - 100, now - 1))
        assert await db.answer("gone", now) is None  # expired: never served
        for i in range(SWEEP_EVERY):  # the next sweep comes with the next 256th answer
            await db.remember(f"k{i}", "s", 1, CachedAnswer(f"r{i}", None, "{}", now, now + 60))
        conn = sqlite3.connect(getattr(store, "path"))  # noqa: B009 - the SQLite store's file
        keys = {k for (k,) in conn.execute("SELECT key FROM answer_cache")}
        conn.close()
        assert "gone" not in keys and len(keys) == SWEEP_EVERY
        assert set(await db.use(["spec:old", "spec:new"], "2020-01-01")) == set()
        assert (await db.use(["spec:new"], "2027-01-14"))["spec:new"].tokens == 10
    finally:
        await db.close()
        await store.close()
