"""Group commit: one writer thread, one transaction per batch, futures resolved after COMMIT.

``submit`` appends a serialized run to a bounded queue and awaits a future. The writer thread,
with its own connection, takes everything queued (up to ``max_batch``), inserts it in ONE
transaction, commits, and resolves the batch's futures with a single ``call_soon_threadsafe``.
While it commits, new runs queue up and share the next commit: under load many runs share one
fsync, and an idle log commits a lone run at once. Nothing here blocks the event loop.

Failures: a systemic error (I/O, lock timeout, lost connection) fails every waiter of the batch.
A data error in one run (duplicate id, a value the database rejects) would otherwise fail its
neighbours too, so the batch is then retried one run per transaction and only the bad run fails.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from runtime.logstore.base import LogStoreError, WriterStats
from runtime.logstore.codec import AttemptRow, RunRow

Outcome = BaseException | list[BaseException | None] | None  # all failed | per run | all ok


class WriterHooks(Protocol):
    """What a backend provides; every method runs on the writer thread."""

    def connect_writer(self) -> Any: ...
    def migrate(self, conn: Any) -> None: ...
    def insert(self, conn: Any, runs: list[RunRow], attempts: list[AttemptRow]) -> None: ...
    def is_systemic(self, exc: BaseException) -> bool: ...
    def healthy(self, conn: Any) -> bool: ...
    def close_quietly(self, conn: Any) -> None: ...
    def wrap(self, exc: BaseException, action: str) -> LogStoreError: ...


@dataclass(slots=True)
class _Item:
    future: asyncio.Future[None]
    row: RunRow
    attempts: list[AttemptRow]


class GroupCommitWriter:
    def __init__(
        self,
        hooks: WriterHooks,
        *,
        name: str,
        max_pending: int,
        max_batch: int,
        max_linger_s: float,
    ) -> None:
        self._hooks = hooks
        self._name = name
        self._max_batch = max_batch
        self._max_linger_s = max_linger_s
        self._cond = threading.Condition()
        self._queue: list[_Item] = []
        self._closing = False
        self._wake_at = 1  # queue length at which submit() wakes the writer thread
        self.stats = WriterStats()
        self._slots = asyncio.Semaphore(max_pending)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop
        self.conn: Any = None  # the writer thread's connection

    async def start(self) -> None:
        """Start the thread; it connects and migrates, and this raises if either fails."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        ready: asyncio.Future[None] = loop.create_future()
        self._thread = threading.Thread(
            target=self._main, args=(ready,), name=self._name, daemon=True
        )
        self._thread.start()
        try:
            await ready
        except BaseException:  # failed to open, or start() was cancelled: stop the thread
            await asyncio.shield(self.close())
            raise

    async def close(self) -> None:
        """Commit everything already submitted, then stop the thread."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)
            await asyncio.sleep(0)  # let the last batch's resolutions run

    async def submit(self, row: RunRow, attempts: list[AttemptRow], where: str) -> None:
        await self._slots.acquire()  # backpressure: at most max_pending runs in flight
        future: asyncio.Future[None] = self._loop.create_future()
        with self._cond:
            if self._closing:
                self._slots.release()
                raise LogStoreError(f"the execution log at {where} is closing")
            self._queue.append(_Item(future, row, attempts))
            if len(self._queue) >= self._wake_at:
                self._cond.notify()
        # If the caller is cancelled here the run stays queued and is still written.
        await future

    @property
    def pending(self) -> int:
        return len(self._queue)

    # -- the writer thread ----------------------------------------------------------------------
    def _main(self, ready: asyncio.Future[None]) -> None:
        loop, hooks = ready.get_loop(), self._hooks
        try:
            self.conn = hooks.connect_writer()
            hooks.migrate(self.conn)
        except Exception as exc:  # noqa: BLE001 - handed to start(), which raises it
            hooks.close_quietly(self.conn)
            loop.call_soon_threadsafe(_settle, ready, hooks.wrap(exc, "open"))
            return
        loop.call_soon_threadsafe(_settle, ready, None)
        batch: list[_Item] = []
        last_size, last_commit_s = 0, 0.0
        try:
            while True:
                with self._cond:
                    while not self._queue and not self._closing:
                        self._cond.wait()
                    if not self._queue:
                        return  # closing, and everything submitted has been resolved
                    if len(self._queue) < last_size:
                        self._linger(min(last_size, self._max_batch), last_commit_s)
                    batch = self._queue[: self._max_batch]
                    del self._queue[: self._max_batch]
                started = time.monotonic()
                outcome = self._commit(batch)
                last_size, last_commit_s = len(batch), time.monotonic() - started
                loop.call_soon_threadsafe(self._resolve, batch, outcome)
                batch = []
        except BaseException as exc:  # never leave a waiter hanging
            with self._cond:
                stranded, self._queue = batch + self._queue, []
                self._closing = True
            loop.call_soon_threadsafe(self._resolve, stranded, exc)
            raise
        finally:
            hooks.close_quietly(self.conn)

    def _linger(self, target: int, commit_s: float) -> None:
        """Under load (the last batch was bigger than what is queued now) the writers released
        by that commit are coming back: wait for them, at most one commit's time (capped), so
        the next fsync carries them too. Called holding the lock; never waits when idle."""
        self._wake_at = target
        deadline = time.monotonic() + min(commit_s, self._max_linger_s)
        while len(self._queue) < target and not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._cond.wait(remaining)
        self._wake_at = 1

    def _commit(self, batch: list[_Item]) -> Outcome:
        hooks = self._hooks
        if self.conn is None:  # lost after an earlier failure: reconnect first
            try:
                self.conn = hooks.connect_writer()
            except Exception as exc:  # noqa: BLE001 - handed to every waiter of the batch
                self.stats.failed_runs += len(batch)
                return exc
        try:
            hooks.insert(self.conn, [i.row for i in batch], [a for i in batch for a in i.attempts])
        except Exception as exc:  # noqa: BLE001 - handed to the waiters; the thread lives on
            self._after_failure()
            if len(batch) > 1 and not hooks.is_systemic(exc):
                return self._commit_one_by_one(batch)
            self.stats.failed_runs += len(batch)
            return exc
        self.stats.runs += len(batch)
        self.stats.batches += 1
        self.stats.max_batch = max(self.stats.max_batch, len(batch))
        return None

    def _commit_one_by_one(self, batch: list[_Item]) -> list[BaseException | None]:
        results: list[BaseException | None] = []
        for item in batch:
            try:
                if self.conn is None:
                    self.conn = self._hooks.connect_writer()
                self._hooks.insert(self.conn, [item.row], item.attempts)
            except Exception as exc:  # noqa: BLE001 - handed to this run's waiter
                self._after_failure()
                self.stats.failed_runs += 1
                results.append(exc)
            else:
                self.stats.runs += 1
                self.stats.batches += 1
                results.append(None)
        return results

    def _after_failure(self) -> None:
        if not self._hooks.healthy(self.conn):
            self._hooks.close_quietly(self.conn)
            self.conn = None  # the next batch reconnects

    def _resolve(self, batch: list[_Item], outcome: Outcome) -> None:
        for index, item in enumerate(batch):
            self._slots.release()
            if isinstance(outcome, BaseException):
                exc: BaseException | None = outcome
            else:
                exc = None if outcome is None else outcome[index]
            if item.future.done():  # the caller was cancelled; its run was still handled
                continue
            if exc is None:
                item.future.set_result(None)
            else:
                item.future.set_exception(self._hooks.wrap(exc, f"write run {item.row[0]} to"))


def _settle(future: asyncio.Future[None], exc: BaseException | None) -> None:
    if future.done():  # start() was cancelled meanwhile
        return
    if exc is None:
        future.set_result(None)
    else:
        future.set_exception(exc)
