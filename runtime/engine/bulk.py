"""What makes ``specwright run`` a bulk run: pacing to the rate limits, and resuming.

* ``Pacer``: how many lines may be in flight. Under a known requests-per-minute limit (configured
  or learned, ``models/rate_limits.py``), Little's law: the limit's rate times a call's measured
  latency, doubled for headroom (calls that would exceed the limit wait in the limiter, not at
  the provider). Without a known limit: the ``fallback`` width until one is learned.
* ``Progress``: which lines of this input file are already logged (``logstore/bulk.py``), and
  marking lines done as they finish, in batches, so an interrupted run resumes after them.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from specwright.runtime.logstore.bulk import BulkDB, DoneLine
from specwright.runtime.models.base import Model
from specwright.runtime.models.rate_limits import Limiter

__all__ = ["MAX_AUTO_CONCURRENCY", "OK_STATUSES", "LineResult", "Pacer", "Progress",
           "limiters_of"]

OK_STATUSES = frozenset({"ok", "escalated"})

MAX_AUTO_CONCURRENCY = 256
_ASSUMED_LATENCY_S = 1.0  # before the first call has answered


@dataclass(frozen=True, slots=True)
class LineResult:
    """One finished line, for progress displays and resume bookkeeping."""

    line: int
    run_id: str | None
    status: str
    ok: bool
    cost_usd: float | None


def limiters_of(model: Model) -> list[Limiter]:
    """The limiters of a route's models (a ``Router`` over ``ThrottledModel``s), in route order."""
    found = []
    for candidate in getattr(model, "candidates", ()):
        limiter = getattr(candidate.model, "limiter", None)
        if isinstance(limiter, Limiter):
            found.append(limiter)
    return found


@dataclass(slots=True)
class Pacer:
    """The width of the batch window, asked before each line starts."""

    limiters: Callable[[], list[Limiter]]
    fallback: int = 4
    fixed: int | None = None  # --concurrency N: always N
    ceiling: int = MAX_AUTO_CONCURRENCY

    def __call__(self) -> int:
        if self.fixed is not None:
            return self.fixed
        paced = [lim for lim in self.limiters() if lim.requests_per_second]
        if not paced:
            return self.fallback
        first = paced[0]  # the route's first model serves the batch unless it fails
        rate = first.requests_per_second or 0.0
        latency = first.latency_s if first.latency_s is not None else _ASSUMED_LATENCY_S
        return max(1, min(self.ceiling, math.ceil(rate * latency * 2) + 2))


@dataclass(slots=True)
class Progress:
    """The lines of one job already done, and the ones finished since (flushed in batches)."""

    db: BulkDB
    job: str
    thread: ThreadPoolExecutor  # the database connection's one thread (SQLite's rule)
    done: dict[int, DoneLine] = field(default_factory=dict)
    retry_failed: bool = False
    flush_every: int = 200
    flush_s: float = 1.0
    _pending: list[DoneLine] = field(default_factory=list)
    _last_flush: float = field(default_factory=time.monotonic)
    _flushing: asyncio.Task[None] | None = None

    def skips(self, line: int) -> bool:
        d = self.done.get(line)
        if d is None:
            return False
        return not self.retry_failed or d.status in OK_STATUSES

    def remaining(self, lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
        return ((n, text) for n, text in lines if not self.skips(n))

    def record(self, result: LineResult) -> None:
        """A line whose run is logged: marked done with the next flush."""
        self._pending.append(DoneLine(result.line, result.run_id, result.status))
        due = (len(self._pending) >= self.flush_every
               or time.monotonic() - self._last_flush >= self.flush_s)
        if due and (self._flushing is None or self._flushing.done()):
            batch, self._pending = self._pending, []
            self._last_flush = time.monotonic()
            self._flushing = asyncio.create_task(self._mark(batch))

    async def flush(self) -> None:
        """Wait for the flush in progress and write what is pending (at the end, or a stop)."""
        if self._flushing is not None:
            await self._flushing
            self._flushing = None
        if self._pending:
            batch, self._pending = self._pending, []
            await self._mark(batch)

    async def _mark(self, batch: list[DoneLine]) -> None:
        await asyncio.get_running_loop().run_in_executor(self.thread, self.db.mark, self.job,
                                                         batch)

    async def close(self) -> None:
        """Flush, close the connection and its thread."""
        try:
            await self.flush()
        finally:
            await asyncio.get_running_loop().run_in_executor(self.thread, self.db.close)
            self.thread.shutdown(wait=False)
