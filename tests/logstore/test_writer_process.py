"""The writer process (``writer="process"``, the server's default): it is replaced when it dies,
the batch it held fails with a clear error and nothing acknowledged is lost; Ctrl-C in the
terminal does not kill it; it cannot be opened on a bad location without saying where."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from specwright.runtime.logstore import LogStore, LogUnavailable, RunQuery
from specwright.runtime.logstore.sqlite import SQLiteLogStore
from specwright.runtime.logstore.threaded import ThreadedLogStore
from specwright.runtime.logstore.writer_process import ProcessLink
from specwright.runtime.records import RunRecord

MakeRun = Callable[..., RunRecord]


@pytest.fixture
def make_process_store(backend: str, location: str) -> Callable[[], LogStore]:
    """Stores on this test's log that commit in a writer process."""

    def make() -> LogStore:
        if backend == "sqlite":
            return SQLiteLogStore(Path(location), writer="process")
        from specwright.runtime.logstore.postgres import PostgresLogStore

        return PostgresLogStore(location, writer="process")

    return make


def child_of(store: LogStore) -> int:
    """The pid of the store's writer process."""
    assert isinstance(store, ThreadedLogStore) and store._writer is not None
    link = store._writer._link
    assert isinstance(link, ProcessLink) and link._proc is not None
    return link._proc.pid


async def exited(pid: int) -> None:
    for _ in range(500):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"process {pid} still runs")


async def stored_ids(store: LogStore) -> set[str]:
    return {r.id for r in (await store.query(RunQuery(limit=1000))).runs}


@pytest.fixture
async def process_store(make_process_store: Callable[[], LogStore]) -> AsyncIterator[LogStore]:
    store = make_process_store()
    await store.start()
    try:
        yield store
    finally:
        await store.close()


async def test_a_killed_writer_fails_its_batch_and_is_replaced(
    process_store: LogStore, make_run: MakeRun
) -> None:
    store = process_store
    first = make_run()
    await store.write(first)
    pid = child_of(store)
    os.kill(pid, signal.SIGSTOP)  # it cannot commit the next batch...
    held = make_run()
    write = asyncio.create_task(store.write(held))
    await asyncio.sleep(0.05)  # ...which is now in its pipe
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(LogUnavailable, match=r"writer process exited \(code -9\)"):
        await write
    later = [make_run() for _ in range(20)]
    await asyncio.gather(*(store.write(r) for r in later))  # a new writer process
    assert child_of(store) != pid
    stored = await stored_ids(store)
    assert {first.id, *(r.id for r in later)} <= stored
    assert held.id not in stored  # killed before it could commit
    assert store.stats.runs == 21 and store.stats.failed_runs == 0


async def test_a_writer_that_died_idle_is_replaced_on_the_next_write(
    process_store: LogStore, make_run: MakeRun
) -> None:
    await process_store.write(make_run())
    pid = child_of(process_store)
    os.kill(pid, signal.SIGKILL)
    await exited(pid)
    await asyncio.sleep(0.05)  # the store notices the exit
    run = make_run()
    await process_store.write(run)  # nothing was in flight: nothing failed
    assert run.id in await stored_ids(process_store)


async def test_ctrl_c_does_not_stop_the_writer_and_close_does(
    make_process_store: Callable[[], LogStore], make_run: MakeRun
) -> None:
    store = make_process_store()
    await store.start()
    pid = child_of(store)
    try:
        os.kill(pid, signal.SIGINT)  # a Ctrl-C reaches the whole process group
        os.kill(pid, signal.SIGTERM)
        runs = [make_run() for _ in range(30)]
        await asyncio.gather(*(store.write(r) for r in runs))
        assert child_of(store) == pid
    finally:
        await store.close()
    await exited(pid)  # closing the store ends its writer process


async def test_an_unopenable_location_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = SQLiteLogStore(blocker / "runs.sqlite3", writer="process")
    with pytest.raises(LogUnavailable, match=rf"cannot open the execution log at {blocker}"):
        await store.start()


def test_the_writer_mode_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown writer 'fork'"):
        SQLiteLogStore(tmp_path / "runs.sqlite3", writer="fork")  # type: ignore[arg-type]
