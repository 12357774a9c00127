"""kill -9 of ``specwright serve`` while model-backed runs are in flight, on SQLite and PostgreSQL.

``tests/runtime/test_server_process.py`` kills the server under a rules-only load on SQLite.
Here the runs are model-backed (the fake model answers after 40 ms, so many runs are waiting on
their model call when the server dies) and the log is SQLite or PostgreSQL. Afterwards every
run acknowledged with a 200 is in the log with its attempts and the answer the caller got, the
SQLite file passes ``PRAGMA integrity_check``, and the server restarts cleanly on the same
database and serves the old runs and new ones.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
from rel_support import CARRIER_DOMESTIC, Server, logged_runs, make_project, tracebacks

from specwright.runtime.config import load_settings
from specwright.runtime.fakeserver import FakeServerThread
from specwright.runtime.logstore import sqlite_path

ACKED_BEFORE_KILL = 120
CLIENTS = 24


async def load(url: str, acked: dict[str, Any], stop: asyncio.Event, deadline: float) -> None:
    async with httpx.AsyncClient(timeout=10.0) as client:
        i = 0
        while not stop.is_set() and time.monotonic() < deadline:
            i += 1
            try:
                r = await client.post(url, json={**CARRIER_DOMESTIC, "order_id": f"K-{i}"})
            except httpx.TransportError:
                return  # the server is gone
            if r.status_code == 200:
                acked[r.headers["X-Specwright-Run-Id"]] = r.json()


async def test_kill_9_under_model_backed_load(
    tmp_path: Path, fake: FakeServerThread, database: str | None
) -> None:
    fake.configure(latency_ms=40)
    project = make_project(tmp_path / "proj", fake.url)
    env = {"SPECWRIGHT_DATABASE_URL": database} if database else {}
    settings = load_settings(project, env)
    url_path = "/specs/carrier-selection/v1"
    acked: dict[str, Any] = {}
    server = Server(project, env=env)
    try:
        await asyncio.to_thread(server.wait_ready)
        stop = asyncio.Event()
        deadline = time.monotonic() + 30
        workers = [asyncio.create_task(load(server.url + url_path, acked, stop, deadline))
                   for _ in range(CLIENTS)]
        while len(acked) < ACKED_BEFORE_KILL and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        in_flight = fake.stats()["requests"] - len(acked)
        server.kill9()
        stop.set()
        await asyncio.wait_for(asyncio.gather(*workers), 20)
    finally:
        server.stop()
    assert len(acked) >= ACKED_BEFORE_KILL, server.output()
    assert in_flight > 0, "the kill should catch model calls in flight"

    runs = await logged_runs(settings, project, acked)
    missing = sorted(set(acked) - set(runs))
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged runs lost: {missing[:3]}"
    for run_id, body in acked.items():
        run = runs[run_id]
        assert run.status == "ok" and run.output == body
        assert run.attempts and run.attempts[-1].status == "ok"
    if database is None:
        with sqlite3.connect(sqlite_path(settings, project)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()

    again = Server(project, env=env)  # the same database
    try:
        await asyncio.to_thread(again.wait_ready)
        async with httpx.AsyncClient(base_url=again.url, timeout=10) as client:
            r = await client.post(url_path, json=CARRIER_DOMESTIC)
            assert r.status_code == 200, r.text
            new_id = r.headers["X-Specwright-Run-Id"]
            old_id = next(iter(acked))
            assert (await client.get(f"/runs/{old_id}")).json()["id"] == old_id
            page = (await client.get("/runs", params={"limit": 1000})).json()
            listed = {run["id"] for run in page["runs"]}
            assert new_id in listed and set(acked) <= listed
    finally:
        code = again.stop()
    assert code in (0, -15), again.output()
    assert not tracebacks(again.output()), again.output()
