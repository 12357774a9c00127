"""Group commit: batches are formed on the event loop and committed by one writer, a thread of
this process or a process of its own (``writer_process.py``).

``submit`` appends a serialized run to the queue and awaits a future. The queue lives on the event
loop: it is touched only there, without locks. When no batch is being committed, the queued runs
(up to ``max_batch``) are handed to the writer as ONE batch; the writer, with its own
connection, inserts them in one transaction, commits, and hands the outcome back (one
``call_soon_threadsafe``, or one message from the process), which resolves the batch's futures
and hands over the next batch: the runs that queued up while it committed share the next
commit. Under load many runs share one fsync; an idle log commits a lone run at once. Nothing here blocks the event loop.

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

Failures: see ``commit.py`` (a systemic error fails the batch, a bad run fails alone).

Thread or process: a writer thread needs the GIL back after each blocking call (the queue, the
database's step, the wake-up of the loop), and under load the event loop holds it: each time,
the thread waits, wakes at every release of the GIL by the loop, and finally forces a switch
that idles the loop until the thread has run. A writer process has a GIL of its own; the loop
pays one pipe write per batch and one read per outcome instead (``docs/performance.md``,
round 6). The server uses the process; the thread stays for library use and ``log_writer``.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from specwright.runtime.errors import LogUnavailable
from specwright.runtime.logstore.base import WriterStats
from specwright.runtime.logstore.codec import AttemptRow, RunRow
from specwright.runtime.logstore.commit import Committer, Outcome, WriterHooks

__all__ = ["CommitLink", "GroupCommitWriter", "Outcome", "ThreadLink", "WriterHooks"]

Done = Callable[[Outcome], None]  # called on the loop with the outcome of the batch sent
Died = Callable[[BaseException], None]  # called on the loop if the writer can commit no more
Committed = Callable[[list[Any]], None]  # the notes of the runs a batch committed, on the loop


class CommitLink(Protocol):
    """Where the batches go: one at a time, each answered by exactly one ``done(outcome)``."""

    stats: WriterStats

    async def start(self, loop: asyncio.AbstractEventLoop, done: Done, died: Died) -> None:
        """Connect and migrate; raises ``LogUnavailable`` if either fails."""

    def send(self, runs: list[RunRow], attempts: list[list[AttemptRow]]) -> None: ...

    async def close(self) -> None:
        """Stop the writer; called when nothing is in flight."""


@dataclass(slots=True)
class _Item:
    future: asyncio.Future[None]
    row: RunRow
    attempts: list[AttemptRow]
    queued_at: float
    note: Any  # what the submitter passed along (the RunRecord): given to ``on_committed``


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
        link: CommitLink | None = None,
        on_committed: Committed | None = None,
    ) -> None:
        """``link``: where batches are committed (default: a thread with ``hooks``);
        ``on_committed``: called on the loop with the notes of each batch's committed runs,
        before their ``submit`` calls return."""
        self._hooks = hooks
        self._on_committed = on_committed
        self._max_batch = max_batch
        self._max_linger_s = max_linger_s
        # Event-loop state: touched only on the loop thread.
        self._queue: list[_Item] = []
        self._committing = False  # a batch is with the writer
        self._in_flight: list[_Item] = []  # that batch
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
        self._link: CommitLink = link or ThreadLink(hooks, name)
        self._started = False
        self._loop: asyncio.AbstractEventLoop

    @property
    def stats(self) -> WriterStats:
        """Counted where the commits run."""
        return self._link.stats

    async def start(self) -> None:
        """Start the writer; it connects and migrates, and this raises if either fails."""
        self._loop = asyncio.get_running_loop()
        await self._link.start(self._loop, self._committed, self._died)
        self._started = True

    async def close(self) -> None:
        """Commit everything already submitted, then stop the writer."""
        self._closing = True
        if self._queue and not self._committing:
            self._hand_over()
        await self._idle.wait()
        if self._started:
            self._started = False
            await self._link.close()

    async def submit(
        self, row: RunRow, attempts: list[AttemptRow], where: str, note: Any = None
    ) -> None:
        while self._free <= 0:  # backpressure: wait for a commit to free some room
            self._room.clear()
            await self._room.wait()
        if self._closing:
            raise LogUnavailable(f"the execution log at {where} is closing")
        self._free -= 1
        future: asyncio.Future[None] = self._loop.create_future()
        now = time.monotonic()
        gap = min(now - self._last_arrival, 1.0)
        self._gap += _GAP_WEIGHT * (gap - self._gap)
        self._last_arrival = now
        self._queue.append(_Item(future, row, attempts, now, note))
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
        self._in_flight = batch
        self._link.send([i.row for i in batch], [i.attempts for i in batch])

    def _committed(self, outcome: Outcome) -> None:
        """Called on the loop when the writer is done with the batch in flight."""
        batch, self._in_flight = self._in_flight, []
        self._committing = False
        self._last_size = len(batch)
        if self._on_committed is not None and not isinstance(outcome, BaseException):
            self._on_committed([item.note for index, item in enumerate(batch)
                                if outcome is None or outcome[index] is None])
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

    def _died(self, exc: BaseException) -> None:
        """Called on the loop when the writer failed outside a commit (a bug): it is gone."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._closing = True
        self._committing = self._handing_over = False
        stranded, self._queue, self._in_flight = self._in_flight + self._queue, [], []
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


class ThreadLink:
    """Commits on a thread of this process, with its own connection."""

    def __init__(self, hooks: WriterHooks, name: str) -> None:
        self._committer = Committer(hooks)
        self._name = name
        self.stats = self._committer.stats  # counted on the writer thread
        # One batch at a time; None stops the thread.
        self._batches: queue.SimpleQueue[tuple[list[RunRow], list[list[AttemptRow]]] | None] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None

    async def start(self, loop: asyncio.AbstractEventLoop, done: Done, died: Died) -> None:
        ready: asyncio.Future[None] = loop.create_future()
        self._thread = threading.Thread(
            target=self._main, args=(loop, ready, done, died), name=self._name, daemon=True
        )
        self._thread.start()
        try:
            await ready
        except BaseException:  # failed to open, or start() was cancelled: stop the thread
            await asyncio.shield(self.close())
            raise

    def send(self, runs: list[RunRow], attempts: list[list[AttemptRow]]) -> None:
        self._batches.put((runs, attempts))

    async def close(self) -> None:
        if self._thread is not None:
            self._batches.put(None)
            await asyncio.to_thread(self._thread.join)
            self._thread = None

    def _main(
        self, loop: asyncio.AbstractEventLoop, ready: asyncio.Future[None], done: Done, died: Died
    ) -> None:
        committer = self._committer
        try:
            committer.open()
        except Exception as exc:  # noqa: BLE001 - handed to start(), which raises it
            loop.call_soon_threadsafe(_settle, ready, committer.hooks.wrap(exc, "open"))
            return
        loop.call_soon_threadsafe(_settle, ready, None)
        try:
            while (batch := self._batches.get()) is not None:
                loop.call_soon_threadsafe(done, committer.commit(*batch))
        except BaseException as exc:  # never leave a waiter hanging
            loop.call_soon_threadsafe(died, exc)
            raise
        finally:
            committer.close()


def _settle(future: asyncio.Future[None], exc: BaseException | None) -> None:
    if future.done():  # start() was cancelled meanwhile
        return
    if exc is None:
        future.set_result(None)
    else:
        future.set_exception(exc)
