"""A graceful stop (SIGTERM, what a deploy or ``systemctl stop`` sends) with runs in flight.

Every run that had started when the signal came finishes: its caller gets the 200 and the run is
in the log (the log is closed only after the last request, so its writer commits them first).
The server exits on its own, and refuses new connections from the moment it stops listening.
With one process and with ``--workers``.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from rel_support import CARRIER_DOMESTIC, Server, logged_runs, make_project, tracebacks

from specwright.runtime.config import load_settings
from specwright.runtime.fakeserver import FakeServerThread

IN_FLIGHT = 24
CARRIER_PATH = "/specs/carrier-selection/v1"


@pytest.mark.parametrize("workers", [1, 2])
async def test_sigterm_finishes_the_runs_in_flight(
    tmp_path: Path, fake: FakeServerThread, workers: int
) -> None:
    fake.configure(latency_ms=600)
    project = make_project(tmp_path / "proj", fake.url)
    server = Server(project, "--workers", str(workers), "--log-level", "info")
    try:
        await asyncio.to_thread(server.wait_ready, 60)
        if workers > 1:  # every worker started, so that the requests spread over them
            deadline = time.monotonic() + 60
            while server.output().count("Application startup complete.") < workers:
                assert time.monotonic() < deadline, server.output()[-3000:]
                await asyncio.sleep(0.05)
        async with httpx.AsyncClient(timeout=30.0, limits=httpx.Limits(
                max_connections=IN_FLIGHT)) as client:
            calls = [asyncio.create_task(client.post(
                server.url + CARRIER_PATH, json={**CARRIER_DOMESTIC, "order_id": f"T-{i}"}))
                for i in range(IN_FLIGHT)]
            deadline = time.monotonic() + 30
            while fake.stats()["requests"] < IN_FLIGHT:  # every run waits on its model call
                assert time.monotonic() < deadline, server.output()[-3000:]
                await asyncio.sleep(0.01)
            server.proc.terminate()
            answers = await asyncio.wait_for(asyncio.gather(*calls), 30)
        code = await asyncio.to_thread(server.proc.wait, 30)
        with pytest.raises(httpx.ConnectError):
            httpx.post(server.url + CARRIER_PATH, json=CARRIER_DOMESTIC, timeout=5)
    finally:
        server.stop()
    out = server.output()
    assert [r.status_code for r in answers] == [200] * IN_FLIGHT, out[-3000:]
    assert code in (0, -15), out[-3000:]  # uvicorn re-raises SIGTERM after its graceful stop
    ids = [r.headers["X-Specwright-Run-Id"] for r in answers]
    runs = await logged_runs(load_settings(project, {}), project, ids)
    assert sorted(runs) == sorted(ids), "every answered run is in the log"
    assert all(runs[i].output == r.json() for i, r in zip(ids, answers, strict=True))
    assert not tracebacks(out), out[-3000:]
