"""An acknowledged run survives the writer being killed: SIGKILL mid-stream, then reopen."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from specwright.runtime.logstore import LogStore, RunQuery

CHILD = Path(__file__).with_name("durability_child.py")


async def test_every_acknowledged_run_survives_sigkill(
    backend: str, location: str, writer: str, make_store: Callable[..., LogStore]
) -> None:
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), backend, location, writer],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(60, proc.kill)  # never hang the suite
    watchdog.start()
    acked: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            acked.append(line.strip())
            if len(acked) >= 1500:
                os.kill(proc.pid, signal.SIGKILL)  # mid-stream: writes are in flight
                break
        acked.extend(line.strip() for line in proc.stdout)  # printed before it died
        proc.wait()
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.stdout:
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL, stderr
    assert len(acked) >= 1500, stderr

    store = make_store()
    await store.start()
    try:
        stored: set[str] = set()
        cursor = None
        while True:
            page = await store.query(RunQuery(limit=1000, cursor=cursor))
            stored.update(r.id for r in page.runs)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        missing = set(acked) - stored
        assert not missing, f"{len(missing)} acknowledged runs lost, e.g. {sorted(missing)[:3]}"
        # Nothing half-written: every stored run came back with its attempt.
        sample = await store.get(acked[-1])
        assert sample is not None and len(sample.attempts) == 1
    finally:
        await store.close()
