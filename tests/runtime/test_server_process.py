"""The real server: ``specwright serve`` in a child process, over HTTP on loopback.

Includes the durability test: kill -9 the server in the middle of a load, then every run whose
200 the clients saw must be in the log, and the server must start again on the same database.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from specwright.runtime.config import Settings
from specwright.runtime.logstore import open_store
from specwright.runtime.testing.server import ServeProcess

TRIAGE = {"order_total": 10, "country": "US"}


def test_serve_answers_over_http_and_stops_cleanly(project: Path) -> None:
    server = ServeProcess(project)
    try:
        server.wait_ready()
        r = httpx.post(server.url + "/specs/triage/v1", json=TRIAGE, timeout=10)
        assert r.status_code == 200 and r.json() == {"action": "accept"}
        run_id = r.headers["X-Specwright-Run-Id"]
        assert httpx.get(f"{server.url}/runs/{run_id}", timeout=10).json()["status"] == "ok"
        doc = httpx.get(server.url + "/openapi.json", timeout=10).json()
        assert "/specs/shipping/v1" in doc["paths"]
        r = httpx.post(server.url + "/specs/triage/v1", content=b"{" * 10, timeout=10,
                       headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["type"] == "invalid_json"
    finally:
        code = server.stop()
    out = server.output()
    assert code in (0, -15), out  # uvicorn re-raises SIGTERM after its graceful shutdown
    assert "Application shutdown complete" in out
    assert "no API keys configured: serving on loopback only" in out
    assert "OPENAI_API_KEY" in out  # the start-up check names the missing variable
    assert "Traceback" not in out


async def _load(url: str, acked: list[str], stop: asyncio.Event, deadline: float) -> None:
    async with httpx.AsyncClient(timeout=5.0) as client:
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                r = await client.post(url, json=TRIAGE)
            except httpx.TransportError:
                return  # the server is gone
            if r.status_code == 200:
                acked.append(r.headers["X-Specwright-Run-Id"])


async def test_kill_9_mid_load_loses_no_acknowledged_run(project: Path) -> None:
    server = ServeProcess(project)
    acked: list[str] = []
    try:
        await asyncio.to_thread(server.wait_ready)
        stop = asyncio.Event()
        deadline = time.monotonic() + 30
        url = server.url + "/specs/triage/v1"
        workers = [asyncio.create_task(_load(url, acked, stop, deadline)) for _ in range(8)]
        while len(acked) < 150 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        server.kill9()  # requests are still in flight
        killed_at = len(acked)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*workers), 15)
    finally:
        if server.proc.poll() is None:
            server.stop()
    assert killed_at >= 150, server.output()

    store = open_store(Settings(), project)
    async with store:
        missing = [run_id for run_id in acked if await store.get(run_id) is None]
    assert missing == [], f"{len(missing)} acknowledged runs lost of {len(acked)}"

    again = ServeProcess(project)  # same database
    try:
        await asyncio.to_thread(again.wait_ready)
        async with httpx.AsyncClient(timeout=10) as client:
            r = await client.post(again.url + "/specs/triage/v1", json=TRIAGE)
            assert r.status_code == 200
            r = await client.get(f"{again.url}/runs/{acked[0]}")
            assert r.status_code == 200 and r.json()["id"] == acked[0]
    finally:
        assert again.stop() in (0, -15), again.output()
