"""Error amplification (issue "Trust", item 4): what one invalid request makes the server write is
bounded, in its answer and in the log, and the log has a retention limit."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from click.testing import CliRunner
from rt_support import AppFactory, assert_error, logged, no_model, running

from specwright.runtime.cli import main
from specwright.runtime.config import Settings
from specwright.runtime.engine.bounded import MAX_ERRORS_LISTED, MAX_LOGGED_INVALID_INPUT
from specwright.runtime.logstore import RunQuery, new_run_id, open_store, sqlite_path
from specwright.runtime.records import RunRecord

TRIAGE = {"order_total": 10, "country": "US"}


def _flood(keys: int) -> bytes:
    return json.dumps(TRIAGE | {f"k{i:05d}": 1 for i in range(keys)}).encode()


async def test_a_body_with_70000_unknown_keys_gets_a_small_422_and_a_small_log_row(
    make_app: AppFactory, project: Path
) -> None:
    body = _flood(70_000)
    assert len(body) > 700_000
    app = make_app(model_factory=no_model)
    db = sqlite_path(Settings(), project)
    async with running(app) as c:
        r = await c.post("/specs/triage/v1", content=body,
                         headers={"content-type": "application/json"})
        err = assert_error(r, 422, "invalid_input")
        assert len(r.content) < 20_000, len(r.content)
        assert len(err["details"]) == MAX_ERRORS_LISTED
        assert "70000 error(s)" in err["message"]
        assert f"the first {MAX_ERRORS_LISTED} of 70000 are listed" in err["message"]
        run = await logged(app, r.headers["X-Specwright-Run-Id"])
        assert run.status == "invalid_input"
        assert run.input is not None and run.input["_key_count"] == 70_002
        assert len(json.dumps(run.input)) < 2_000 and len(json.dumps(run.error)) < 20_000
        before = db.stat().st_size
        for _ in range(20):
            await c.post("/specs/triage/v1", content=body,
                         headers={"content-type": "application/json"})
    growth = db.stat().st_size - before + sum(
        p.stat().st_size for p in db.parent.glob("*-wal"))
    assert growth < 2_000_000, growth  # was ~145 MB for 20 such requests


async def test_a_small_invalid_input_is_still_logged_as_sent(make_app: AppFactory) -> None:
    app = make_app(model_factory=no_model)
    async with running(app) as c:
        r = await c.post("/specs/triage/v1", json={"order_total": "x" * 100})
        run = await logged(app, r.headers["X-Specwright-Run-Id"])
        assert run.input == {"order_total": "x" * 100}
        big = {"order_total": "x" * (MAX_LOGGED_INVALID_INPUT + 10)}
        r = await c.post("/specs/triage/v1", json=big)
        run = await logged(app, r.headers["X-Specwright-Run-Id"])
        assert run.input is not None and "_omitted" in run.input


async def test_query_errors_are_bounded_too(make_app: AppFactory) -> None:
    async with running(make_app()) as c:
        r = await c.get("/runs?limit=0&revision=0&status=nope&cursor=" + "x" * 30)
        err = assert_error(r, 422, "invalid_input")
        assert len(err["details"]) <= MAX_ERRORS_LISTED


def _record(created_at: float, size: int = 10) -> RunRecord:
    return RunRecord(id=new_run_id(created_at), spec="triage", revision=1, major=1,
                     created_at=created_at, status="ok", latency_ms=1.0,
                     input={"note": "n" * size}, output={"action": "accept"})


async def _fill(project: Path, records: list[RunRecord]) -> None:
    store = open_store(Settings(), project, writer="thread")
    async with store:
        await asyncio.gather(*(store.write(r) for r in records))


async def _ids(project: Path, settings: Settings | None = None) -> set[str]:
    store = open_store(settings or Settings(), project, writer="thread")
    async with store:
        page = await store.query(RunQuery(limit=1000))
    return {r.id for r in page.runs}


def test_logs_prune_by_age_and_by_size(project: Path) -> None:
    now = time.time()
    old = [_record(now - 40 * 86400 + i) for i in range(5)]
    new = [_record(now - 100 + i, size=20_000) for i in range(50)]
    asyncio.run(_fill(project, old + new))
    runner = CliRunner()
    r = runner.invoke(main, ["logs", "prune", "--older-than", "30d", "--project", str(project)])
    assert r.exit_code == 0, r.output
    assert "deleted 5 runs" in r.output
    assert asyncio.run(_ids(project)) == {x.id for x in new}
    r = runner.invoke(main, ["logs", "prune", "--max-size", "400KB", "--project", str(project)])
    assert r.exit_code == 0, r.output
    left = asyncio.run(_ids(project))
    assert 0 < len(left) < len(new)
    kept = sorted(x.id for x in new)[-len(left):]
    assert left == set(kept)  # the newest runs are the ones kept
    after = int(r.output.split("uses ")[1].split(" bytes")[0].replace(",", ""))
    assert after <= 400_000
    r = runner.invoke(main, ["logs", "prune", "--project", str(project)])
    assert r.exit_code == 2 and "--older-than" in r.output
    r = runner.invoke(main, ["logs", "prune", "--older-than", "soon", "--project", str(project)])
    assert r.exit_code == 2 and "not an age" in r.output


async def test_a_server_with_a_retention_setting_prunes_at_start(
    make_app: AppFactory, project: Path
) -> None:
    now = time.time()
    old, recent = _record(now - 3 * 86400), _record(now - 60)
    await _fill(project, [old, recent])
    app = make_app(model_factory=no_model, settings=Settings(log_retention_days=1))
    async with running(app) as c:
        for _ in range(100):
            runs = (await c.get("/runs")).json()["runs"]
            if old.id not in {r["id"] for r in runs}:
                break
            await asyncio.sleep(0.05)
        ids = {r["id"] for r in runs}
    assert old.id not in ids and recent.id in ids
