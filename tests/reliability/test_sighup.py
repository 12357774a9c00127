"""SIGHUP to a one-process ``specwright serve``: the revisions compiled since are served, in
place, under load: the catalog is swapped as ``--watch`` swaps it, so no connection is closed
and no request fails. (With ``--workers``, the parent replaces the workers instead:
``test_workers.py``.)"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from pathlib import Path

import httpx
from rel_support import (
    CARRIER_DOMESTIC,
    ORDER_OK,
    REPO,
    Server,
    compile_here,
    make_project,
    tracebacks,
)

from specwright.runtime.fakeserver import FakeServerThread

ORDER_PATH = "/specs/order-validation/v1"
CARRIER_PATH = "/specs/carrier-selection/v1"


async def test_sighup_serves_the_new_revisions_without_failing_a_request(
    tmp_path: Path, fake: FakeServerThread
) -> None:
    project = make_project(tmp_path / "proj", fake.url, specs=("order-validation",))
    server = Server(project, "--log-level", "info")
    statuses: list[int] = []
    failures: list[str] = []
    try:
        await asyncio.to_thread(server.wait_ready)
        assert httpx.post(server.url + CARRIER_PATH, json=CARRIER_DOMESTIC,
                          timeout=10).status_code == 404
        shutil.copy(REPO / "specs" / "carrier-selection.md", project / "specs")
        compile_here(project)
        stop = asyncio.Event()

        async def steady() -> None:  # keep-alive connections, kept across the reload
            async with httpx.AsyncClient(timeout=10.0) as client:
                while not stop.is_set():
                    try:
                        r = await client.post(server.url + ORDER_PATH, json=ORDER_OK)
                    except httpx.TransportError as exc:
                        failures.append(repr(exc))
                        continue
                    statuses.append(r.status_code)

        background = [asyncio.create_task(steady()) for _ in range(4)]
        await asyncio.sleep(0.3)
        os.kill(server.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(timeout=10.0) as client:
            while (await client.post(server.url + CARRIER_PATH,
                                     json=CARRIER_DOMESTIC)).status_code != 200:
                assert time.monotonic() < deadline, server.output()[-3000:]
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*background), 30)
        assert server.proc.poll() is None, "SIGHUP must not stop the server"
    finally:
        server.stop()
    out = server.output()
    assert not failures and statuses and set(statuses) == {200}, (failures[:3], out[-3000:])
    assert "SIGHUP: loading generated/ again" in out
    assert "carrier-selection r1 is now served at /specs/carrier-selection/v1" in out
    assert not tracebacks(out), out[-3000:]
