"""Group commit: batches are formed on the event loop and committed by one writer thread.

``submit`` appends a serialized run to the queue and awaits a future. The queue lives on the event
loop: it is touched only there, without locks. When no batch is being committed, the queued runs
(up to ``max_batch``) are handed to the writer thread as ONE batch; the thread, with its own
connection, inserts them in one transaction, commits, and hands the outcome back with a single
``call_soon_threadsafe``, which resolves the batch's futures and hands over the next batch: the
runs that queued up while it committed share the next commit. Under load many runs share one
fsync; an idle log commits a lone run at once. Nothing here blocks the event loop.

Why the loop forms the batches: the writer thread needs the GIL for every bit of Python it runs,
and each time it wants the GIL back from a busy event loop, the two threads hand it over with
several context switches, which cost the event loop far more CPU than the work itself. So the
thread does as little as possible between blocking calls: one wake-up per batch, the database
calls, one hand-back. (A condition variable shared with the loop, woken per run and waited on
with timeouts, cost about as much CPU per run as the rest of a rules-only request.)

Adaptive linger: ``submit`` keeps a moving average of the gap between arrivals. When runs are
arriving faster than ``max_linger_s`` apart *and* other writers are evidently active (the last
batch held more than one run, or runs arrived while it committed), the loop waits for more runs
before handing a batch over, until the oldest queued run has waited ``max_linger_s`` or
``max_batch`` runs are queued (a timer, not a thread). A lone run on an idle log (a long gap
before it), or a single closed-loop caller (nothing ever arrives while its run commits), is
committed at once. Durability is the same either way: a ``submit`` returns only after the
transaction holding its run committed.

Failures: a systemic error (I/O, lock timeout, lost connection) fails every waiter of the batch.
A data error in one run (duplicate id, a value the database rejects) would otherwise fail its
neighbours too, so the batch is then retried one run per transaction and only the bad run fails.
"""

from __future__ import annotations

import asyncio
import queue
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
        # Event-loop state: touched only on the loop thread.
        self._queue: list[_Item] = []
        self._committing = False  # a batch is with the writer thread
        self._handing_over = False  # a commit just finished: the next hand-over is scheduled
        self._timer: asyncio.TimerHandle | None = None  # a lingering hand-over
        self._closing = False
        self._idle = asyncio.Event()  # nothing queued and nothing committing
        self._idle.set()
        self._last_arrival = 0.0  # time.monotonic() of the last submit
        self._gap = 1.0  # moving average of the seconds between submits (starts idle)
        self._last_size = 0  # runs in the last batch committed
        self._arrived_in_commit = 0  # runs submitted while the current batch commits
        # Backpressure: at most max_pending runs between submit and their commit's outcome. A
        # counter and an event rather than a Semaphore: two attribute updates per run instead
        # of a coroutine call and a waiter scan each way (this is on every request's path).
        self._max_pending = max_pending
        self._free = max_pending
        self._room = asyncio.Event()
        self._room.set()
        # Hand-over to the writer thread: one batch at a time; None stops it.
        self._batches: queue.SimpleQueue[list[_Item] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop
        self.stats = WriterStats()  # counted on the writer thread
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
        self._closing = True
        if self._queue and not self._committing:
            self._hand_over()
        await self._idle.wait()
        if self._thread is not None:
            self._batches.put(None)
            await asyncio.to_thread(self._thread.join)

    async def submit(self, row: RunRow, attempts: list[AttemptRow], where: str) -> None:
        while self._free <= 0:  # backpressure: wait for a commit to free some room
            self._room.clear()
            await self._room.wait()
        if self._closing:
            raise LogStoreError(f"the execution log at {where} is closing")
        self._free -= 1
        future: asyncio.Future[None] = self._loop.create_future()
        now = time.monotonic()
        gap = min(now - self._last_arrival, 1.0)
        self._gap += _GAP_WEIGHT * (gap - self._gap)
        self._last_arrival = now
        self._queue.append(_Item(future, row, attempts, now))
        self._idle.clear()
        if self._committing:
            self._arrived_in_commit += 1  # handed over when the current batch is done
        elif not self._handing_over:
            self._schedule()
        # If the caller is cancelled here the run stays queued and is still written.
        await future

    @property
    def pending(self) -> int:
        return len(self._queue)

    @property
    def in_flight(self) -> int:
        """Runs submitted whose commit has not been settled yet (at most ``max_pending``)."""
        return self._max_pending - self._free

    # -- on the event loop ----------------------------------------------------------------------
    def _schedule(self) -> None:
        """Hand the queue over now, or linger for company (see the module docstring)."""
        if self._timer is not None:
            if len(self._queue) >= self._max_batch:
                self._hand_over()
            return
        busy = self._last_size > 1 or self._arrived_in_commit > 0
        if (
            busy
            and not self._closing
            and self._gap < self._max_linger_s
            and len(self._queue) < self._max_batch
        ):
            self._linger()
        else:
            self._hand_over()

    def _linger(self) -> None:
        """Under load, let more runs join the next commit: hand the queue over when its oldest
        run has waited ``max_linger_s`` (or at once when ``max_batch`` runs are queued)."""
        delay = self._queue[0].queued_at + self._max_linger_s - time.monotonic()
        if delay <= 0:
            self._hand_over()
        else:
            self._timer = self._loop.call_later(delay, self._hand_over)

    def _hand_over(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._committing or not self._queue:
            return
        batch = self._queue[: self._max_batch]
        del self._queue[: self._max_batch]
        self._committing, self._arrived_in_commit = True, 0
        self._batches.put(batch)

    def _committed(self, batch: list[_Item], outcome: Outcome) -> None:
        """Called on the loop when the writer thread is done with ``batch``."""
        self._committing = False
        self._last_size = len(batch)
        self._resolve(batch, outcome)
        # Hand the next batch over once the callers just resolved have run (their wake-ups are
        # already scheduled, ahead of this): a caller that writes again at once joins it.
        self._handing_over = True
        self._loop.call_soon(self._after_commit)

    def _after_commit(self) -> None:
        self._handing_over = False
        if self._committing:  # close() handed the queue over meanwhile
            return
        if self._queue:
            self._schedule()
        else:
            self._arrived_in_commit = 0
            self._idle.set()

    def _died(self, batch: list[_Item], exc: BaseException) -> None:
        """Called on the loop when the writer thread failed outside a commit (a bug)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._closing = True
        self._committing = self._handing_over = False
        stranded, self._queue = batch + self._queue, []
        self._resolve(stranded, exc)
        self._idle.set()

    def _resolve(self, batch: list[_Item], outcome: Outcome) -> None:
        self._free += len(batch)
        self._room.set()
        for index, item in enumerate(batch):
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
        try:
            while (next_batch := self._batches.get()) is not None:
                batch = next_batch
                outcome = self._commit(batch)
                loop.call_soon_threadsafe(self._committed, batch, outcome)
                batch = []
        except BaseException as exc:  # never leave a waiter hanging
            loop.call_soon_threadsafe(self._died, batch, exc)
            raise
        finally:
            hooks.close_quietly(self.conn)

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


def _settle(future: asyncio.Future[None], exc: BaseException | None) -> None:
    if future.done():  # start() was cancelled meanwhile
        return
    if exc is None:
        future.set_result(None)
    else:
        future.set_exception(exc)
