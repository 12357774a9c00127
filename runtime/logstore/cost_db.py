"""The answer cache and the budgets' daily use, in the log database (migration 0008).

Why the log database: every replica of a server already shares it (SQLite on one machine,
PostgreSQL for many), so an answer recorded by one process is served by all, and a budget is
one budget however many processes spend it. Like the review log, these reads and writes are
small and go on a connection and a thread of their own, never through group commit.

* ``answer_cache``: key (SHA-256 of spec, revision and input) -> the answer, the run that
  produced it, and when it expires. An expired row is ignored and overwritten by the next answer.
* ``budget_usage``: (scope, UTC day) -> tokens, cost and runs, added to atomically
  (``INSERT ... ON CONFLICT DO UPDATE``), so concurrent replicas never lose an addition.

Every ``SWEEP_EVERY`` answers recorded, a process deletes the expired answers (an indexed range)
and budget rows older than ``KEEP_DAYS``: neither table grows with time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from specwright.runtime.logstore.base import LogStore
from specwright.runtime.logstore.side_db import SideDatabase

SWEEP_EVERY = 256
KEEP_DAYS = 8


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    run_id: str  # the run that produced the answer
    model: str | None
    output: str  # JSON text
    created_at: float
    expires_at: float


@dataclass(frozen=True, slots=True)
class DayUse:
    tokens: int = 0
    cost_usd: float = 0.0
    runs: int = 0


class CostLog(SideDatabase):
    """The cost-control half of one open ``LogStore`` (SQLite or PostgreSQL)."""

    purpose = "the answer cache and budgets"
    name = "costs"

    def __init__(self, store: LogStore) -> None:
        super().__init__(store)
        self._remembered = 0

    async def answer(self, key: str, now: float) -> CachedAnswer | None:
        """The recorded answer under ``key`` if it has not expired at ``now``."""
        return await self._call(self._answer_sync, key, now)

    async def remember(self, key: str, spec: str, revision: int, entry: CachedAnswer) -> None:
        await self._call(self._remember_sync, key, spec, revision, entry)

    async def use(self, scopes: Sequence[str], day: str) -> dict[str, DayUse]:
        """The day's use of each scope (absent: nothing used yet)."""
        return await self._call(self._use_sync, tuple(scopes), day)

    async def add_use(self, scopes: Sequence[str], day: str, tokens: int, cost_usd: float) -> None:
        await self._call(self._add_sync, tuple(scopes), day, tokens, cost_usd)

    # -- on the thread -----------------------------------------------------------------------
    def _answer_sync(self, key: str, now: float) -> CachedAnswer | None:
        p = self._p
        row = self._connection().execute(
            f"SELECT run_id, model, output, created_at, expires_at FROM answer_cache "
            f"WHERE key = {p} AND expires_at > {p}", (key, now)).fetchone()
        if row is None:
            return None
        return CachedAnswer(row[0], row[1], row[2], float(row[3]), float(row[4]))

    def _remember_sync(self, key: str, spec: str, revision: int, e: CachedAnswer) -> None:
        p = self._p
        self._connection().execute(
            f"INSERT INTO answer_cache (key, spec, revision, run_id, model, output, created_at, "
            f"expires_at) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}) "
            "ON CONFLICT (key) DO UPDATE SET run_id = excluded.run_id, model = excluded.model, "
            "output = excluded.output, created_at = excluded.created_at, "
            "expires_at = excluded.expires_at",
            (key, spec, revision, e.run_id, e.model, e.output, e.created_at, e.expires_at))
        self._remembered += 1
        if self._remembered % SWEEP_EVERY == 1:
            self._sweep_sync(e.created_at)

    def _sweep_sync(self, now: float) -> None:
        """Delete expired answers and budget rows of days long gone."""
        p = self._p
        conn = self._connection()
        conn.execute(f"DELETE FROM answer_cache WHERE expires_at <= {p}", (now,))
        oldest = dt.datetime.fromtimestamp(now - KEEP_DAYS * 86400, dt.UTC).strftime("%Y-%m-%d")
        conn.execute(f"DELETE FROM budget_usage WHERE day < {p}", (oldest,))

    def _use_sync(self, scopes: tuple[str, ...], day: str) -> dict[str, DayUse]:
        if not scopes:
            return {}
        p = self._p
        marks = ", ".join([p] * len(scopes))
        rows = self._connection().execute(
            f"SELECT scope, tokens, cost_usd, runs FROM budget_usage "
            f"WHERE day = {p} AND scope IN ({marks})", (day, *scopes)).fetchall()
        return {r[0]: DayUse(int(r[1]), float(r[2]), int(r[3])) for r in rows}

    def _add_sync(self, scopes: tuple[str, ...], day: str, tokens: int, cost: float) -> None:
        p = self._p
        conn = self._connection()
        for scope in scopes:
            conn.execute(
                f"INSERT INTO budget_usage (scope, day, tokens, cost_usd, runs) "
                f"VALUES ({p}, {p}, {p}, {p}, 1) ON CONFLICT (scope, day) DO UPDATE SET "
                "tokens = budget_usage.tokens + excluded.tokens, "
                "cost_usd = budget_usage.cost_usd + excluded.cost_usd, "
                "runs = budget_usage.runs + 1",
                (scope, day, tokens, cost))
