"""Several processes opening one new SQLite log at once (``serve --workers N`` on a fresh
project): every one of them opens it. Switching a new file to WAL answered "database is
locked" at once to all but one, without waiting for the busy timeout."""

from __future__ import annotations

import multiprocessing as mp
from multiprocessing.synchronize import Barrier
from pathlib import Path

from specwright.runtime.logstore.sqlite import SQLiteLogStore

PROCESSES = 6
TRIALS = 8


def _open(path: str, barrier: Barrier) -> None:
    store = SQLiteLogStore(Path(path))
    barrier.wait()
    conn = store.connect_writer()
    try:
        store.migrate(conn)
    finally:
        conn.close()


def test_processes_opening_a_new_log_together_all_open_it(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    failed: list[tuple[int, list[int | None]]] = []
    for trial in range(TRIALS):
        path = str(tmp_path / f"trial{trial}" / "runs.sqlite3")
        barrier = ctx.Barrier(PROCESSES)
        procs = [ctx.Process(target=_open, args=(path, barrier)) for _ in range(PROCESSES)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        codes = [p.exitcode for p in procs]
        if any(code != 0 for code in codes):
            failed.append((trial, codes))
    assert not failed, failed
