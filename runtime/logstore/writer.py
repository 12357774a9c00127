"""Group commit: one writer thread, one transaction per batch, futures resolved after COMMIT.

``submit`` appends a serialized run to a bounded queue and awaits a future. The writer thread,
with its own connection, takes everything queued (up to ``max_batch``), inserts it in ONE
transaction, commits, and resolves the batch's futures with a single ``call_soon_threadsafe``.
While it commits, new runs queue up and share the next commit: under load many runs share one
fsync, and an idle log commits a lone run at once. Nothing here blocks the event loop.

Adaptive linger: ``submit`` keeps a moving average of the gap between arrivals. When runs are
arriving faster than ``max_linger_s`` apart *and* other writers are evidently active (the last
batch held more than one run, or runs arrived while it committed), the writer waits for more
runs before committing, until the oldest queued run has waited ``max_linger_s`` or ``max_batch``
runs are queued. A lone run on an idle log (a long gap before it), or a single closed-loop
caller (nothing ever arrives while its run commits), is committed at once. Durability is the
same either way: a ``submit`` returns only after the transaction holding its run committed.

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
    queued_at: float


_GAP_WEIGHT = 0.2  # weight of the newest inter-arrival gap in the moving average


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
        self._last_arrival = 0.0  # time.monotonic() of the last submit
        self._gap = 1.0  # moving average of the seconds between submits (starts idle)
        self._committing = False  # the writer thread is inside a commit
        self._arrived_in_commit = 0  # runs submitted while the last commit was in flight
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
            now = time.monotonic()
            gap = min(now - self._last_arrival, 1.0)
            self._gap += _GAP_WEIGHT * (gap - self._gap)
            self._last_arrival = now
            if self._committing:
                self._arrived_in_commit += 1
            self._queue.append(_Item(future, row, attempts, now))
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
        last_size = 0
        try:
            while True:
                with self._cond:
                    while not self._queue and not self._closing:
                        self._cond.wait()
                    if not self._queue:
                        return  # closing, and everything submitted has been resolved
                    busy = last_size > 1 or self._arrived_in_commit > 0
                    if busy and self._gap < self._max_linger_s:
                        self._linger()
                    batch = self._queue[: self._max_batch]
                    del self._queue[: self._max_batch]
                    self._committing, self._arrived_in_commit = True, 0
                outcome = self._commit(batch)
                with self._cond:
                    self._committing = False
                last_size = len(batch)
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

    def _linger(self) -> None:
        """Under load, let more runs join the next commit: wait until ``max_batch`` runs are
        queued or the oldest queued run has waited ``max_linger_s``, whichever comes first.
        Called holding the lock; submit() wakes the thread only when the batch is full."""
        deadline = self._queue[0].queued_at + self._max_linger_s
        self._wake_at = self._max_batch
        while len(self._queue) < self._max_batch and not self._closing:
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
