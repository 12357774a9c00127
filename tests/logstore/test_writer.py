"""The group-commit writer on its own (hooks in memory): batches are formed on the event loop,
one hand-over per batch; a writer thread that dies fails every waiter instead of hanging them."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from specwright.runtime.errors import LogUnavailable
from specwright.runtime.logstore.writer import GroupCommitWriter


class MemoryHooks:
    """Commits into a list; the first commit waits for ``release`` when ``hold`` is set."""

    def __init__(self, *, hold: bool = False, die_on: int | None = None) -> None:
        self.batches: list[list[Any]] = []
        self.hold = hold
        self.entered = threading.Event()
        self.release = threading.Event()
        self.die_on = die_on  # raise a BaseException (a bug in the thread) on this batch

    def connect_writer(self) -> Any:
        return object()

    def migrate(self, conn: Any) -> None:
        return None

    def insert(self, conn: Any, runs: list[Any], attempts: list[Any]) -> None:
        if self.die_on is not None and len(self.batches) == self.die_on:
            raise SystemExit("the writer thread dies")
        if self.hold and not self.batches:
            self.entered.set()
            assert self.release.wait(10)
        self.batches.append([r[0] for r in runs])

    def is_systemic(self, exc: BaseException) -> bool:
        return True

    def healthy(self, conn: Any) -> bool:
        return True

    def close_quietly(self, conn: Any) -> None:
        return None

    def wrap(self, exc: BaseException, action: str) -> LogUnavailable:
        return LogUnavailable(f"cannot {action} the log: {exc}")


def writer(hooks: MemoryHooks, **kw: Any) -> GroupCommitWriter:
    options = {"max_pending": 1_000, "max_batch": 100, "max_linger_s": 0.002} | kw
    return GroupCommitWriter(hooks, name="test-writer", **options)


async def test_runs_queued_during_a_commit_share_the_next_one() -> None:
    hooks = MemoryHooks(hold=True)
    w = writer(hooks)
    await w.start()
    try:
        first = asyncio.create_task(w.submit(("r0",), [], "memory"))
        assert await asyncio.to_thread(hooks.entered.wait, 10)  # r0 alone is committing
        rest = [asyncio.create_task(w.submit((f"r{i}",), [], "memory")) for i in range(1, 21)]
        await asyncio.sleep(0.01)
        assert w.pending == 20  # queued on the loop, not handed over while r0 commits
        hooks.release.set()
        await asyncio.gather(first, *rest)
    finally:
        await w.close()
    assert hooks.batches == [["r0"], [f"r{i}" for i in range(1, 21)]]
    assert w.stats.runs == 21 and w.stats.batches == 2


async def test_max_batch_splits_the_queue() -> None:
    hooks = MemoryHooks(hold=True)
    w = writer(hooks, max_batch=8)
    await w.start()
    try:
        first = asyncio.create_task(w.submit(("r0",), [], "memory"))
        assert await asyncio.to_thread(hooks.entered.wait, 10)
        rest = [asyncio.create_task(w.submit((f"r{i}",), [], "memory")) for i in range(1, 21)]
        await asyncio.sleep(0)
        hooks.release.set()
        await asyncio.gather(first, *rest)
    finally:
        await w.close()
    assert [len(b) for b in hooks.batches] == [1, 8, 8, 4]


async def test_close_commits_what_is_queued_then_refuses() -> None:
    hooks = MemoryHooks()
    w = writer(hooks, max_linger_s=5.0)  # a long linger: close must not wait for it
    await w.start()
    tasks = [asyncio.create_task(w.submit((f"r{i}",), [], "memory")) for i in range(30)]
    await asyncio.sleep(0)
    await asyncio.wait_for(w.close(), 5)
    await asyncio.gather(*tasks)
    assert sorted(r for b in hooks.batches for r in b) == sorted(f"r{i}" for i in range(30))
    with pytest.raises(LogUnavailable, match="closing"):
        await w.submit(("late",), [], "memory")


# The thread re-raises what killed it, so that its traceback is printed: expected here.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
async def test_a_dead_writer_thread_fails_every_waiter() -> None:
    hooks = MemoryHooks(die_on=1)
    w = writer(hooks)
    await w.start()
    await w.submit(("r0",), [], "memory")  # committed
    results = await asyncio.gather(
        *(w.submit((f"r{i}",), [], "memory") for i in range(1, 11)), return_exceptions=True
    )
    assert all(isinstance(r, LogUnavailable) for r in results), results
    assert "dies" in str(results[0])
    with pytest.raises(LogUnavailable, match="closing"):
        await w.submit(("after",), [], "memory")
    await asyncio.wait_for(w.close(), 5)
