"""Review cases in the execution log: escalated runs and the events reviewers add to them.

A case *is* an escalated run (its id is the run's id): the run's row, written with the run in
the same commit, is the case's opening. Everything after is an append-only row of
``review_events`` (migration 0005): a claim, the resolution (at most one per case, a unique
index: of two reviewers resolving at once, the second insert fails), each webhook delivery
attempt. Nothing here updates or deletes a row.

These writes are rare and small, so they do not go through group commit: a connection of their
own on a thread of their own, one autocommitted statement per event.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from specwright.runtime.errors import AlreadyResolved, InvalidQuery
from specwright.runtime.logstore.side_db import SideDatabase
from specwright.runtime.logstore.ulid import new_run_id

CaseState = Literal["open", "claimed", "resolved"]
CASE_STATES: tuple[CaseState, ...] = ("open", "claimed", "resolved")
EventKind = Literal["claim", "resolve", "delivery"]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ReviewEvent:
    id: str
    case_id: str
    kind: EventKind
    actor: str | None
    at: float
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ReviewCase:
    id: str  # the escalated run's id
    spec: str
    revision: int
    major: int
    created_at: float
    input: dict[str, Any] | None
    output: dict[str, Any] | None  # what the run answered (never changed)
    rule_trace: tuple[dict[str, Any], ...]
    events: tuple[ReviewEvent, ...] = field(default=())

    @property
    def resolution(self) -> ReviewEvent | None:
        return next((e for e in self.events if e.kind == "resolve"), None)

    @property
    def claim(self) -> ReviewEvent | None:
        claims = [e for e in self.events if e.kind == "claim"]
        return claims[-1] if claims else None

    @property
    def state(self) -> CaseState:
        if self.resolution is not None:
            return "resolved"
        return "claimed" if self.claim is not None else "open"

    def fired(self, table: str | None, row_line: int | None) -> bool:
        """Some table row that decided this run matches the filter (None: any)."""
        if table is None and row_line is None:
            return True
        for entry in self.rule_trace:
            if table is not None and entry.get("table") != table:
                continue
            if row_line is None or row_line in (entry.get("row_lines") or []):
                return True
        return False


@dataclass(frozen=True, slots=True)
class CaseQuery:
    spec: str | None = None
    state: CaseState | None = None
    older_than_s: float | None = None  # opened at least this long ago
    since: float | None = None  # opened at or after (epoch seconds)
    table: str | None = None  # a row of this table fired
    row_line: int | None = None  # the row on this spec line fired
    limit: int = 50
    cursor: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= 1000:
            raise InvalidQuery(f"limit must be between 1 and 1000, not {self.limit}")
        if self.state is not None and self.state not in CASE_STATES:
            raise InvalidQuery(f"unknown state {self.state!r}; one of: {', '.join(CASE_STATES)}")


_SCAN_LIMIT = 10_000  # escalated runs looked at per page when filtering by the row that fired


class ReviewLog(SideDatabase):
    """The review half of one open ``LogStore`` (SQLite or PostgreSQL)."""

    purpose = "the review log"
    name = "reviews"

    async def case(self, case_id: str) -> ReviewCase | None:
        found = await self._call(self._cases_sync, [case_id])
        return found[0] if found else None

    async def cases(self, query: CaseQuery) -> tuple[list[ReviewCase], str | None]:
        return await self._call(self._query_sync, query)

    async def add(self, case_id: str, kind: EventKind, actor: str | None,
                  data: dict[str, Any]) -> ReviewEvent:
        """Append one event; a second ``resolve`` of a case raises ``AlreadyResolved``."""
        now = time.time()
        event = ReviewEvent(new_run_id(now), case_id, kind, actor, now, data)
        await self._call(self._insert_sync, event)
        return event

    async def resolved_since(self, spec: str, since: float | None) -> list[ReviewCase]:
        """Every resolved case of ``spec`` opened at or after ``since`` (for stats)."""
        cases: list[ReviewCase] = []
        cursor = None
        while True:
            page, cursor = await self.cases(
                CaseQuery(spec=spec, state="resolved", since=since, limit=1000, cursor=cursor))
            cases.extend(page)
            if cursor is None:
                return cases

    async def run_rows(self, spec: str, since: float | None) -> list[tuple[str, float, Any]]:
        """(status, latency_ms, rule_trace) of every run of ``spec`` since ``since``."""
        return await self._call(self._run_rows_sync, spec, since)

    # -- on the thread -----------------------------------------------------------------------
    def _mapped(self, exc: BaseException) -> BaseException | None:
        """Of two reviewers resolving one case at once, the second insert breaks the unique
        index: that is the second reviewer's answer, not a broken log."""
        return AlreadyResolved("this case is already resolved") if self._unique_violation(
            exc) else None

    def _unique_violation(self, exc: BaseException) -> bool:
        if isinstance(exc, sqlite3.IntegrityError):
            return "UNIQUE" in str(exc)
        return type(exc).__name__ == "UniqueViolation"

    def _insert_sync(self, event: ReviewEvent) -> None:
        insert_event(self._connection(), self._p, event)

    async def on_thread(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(connection, placeholder, *args)`` on this log's thread and connection, its
        database errors mapped as this log's own are (``deliveries.py``)."""
        result: T = await self._call(lambda: fn(self._connection(), self._p, *args))
        return result

    def _run_rows_sync(self, spec: str, since: float | None) -> list[tuple[str, float, Any]]:
        p = self._p
        sql = f"SELECT status, latency_ms, rule_trace FROM runs WHERE spec = {p}"
        params: list[Any] = [spec]
        if since is not None:
            sql += f" AND {self._created()} >= {p}"
            params.append(since)
        rows = self._connection().execute(sql, params).fetchall()
        return [(r[0], float(r[1]), _json(r[2]) or []) for r in rows]

    def _created(self) -> str:
        return "created_at" if self.backend == "sqlite" else "extract(epoch FROM created_at)::float8"

    def _query_sync(self, query: CaseQuery) -> tuple[list[ReviewCase], str | None]:
        p = self._p
        where: list[str] = ["status = 'escalated'"]
        params: list[Any] = []
        if query.spec is not None:
            where.append(f"spec = {p}")
            params.append(query.spec)
        if query.cursor is not None:
            where.append(f"id < {p}")
            params.append(query.cursor)
        stamp = self._created()
        if query.since is not None:
            where.append(f"{stamp} >= {p}")
            params.append(query.since)
        if query.older_than_s is not None:
            where.append(f"{stamp} <= {p}")
            params.append(time.time() - query.older_than_s)
        resolved = "EXISTS (SELECT 1 FROM review_events e WHERE e.case_id = runs.id AND " \
                   "e.kind = 'resolve')"
        claimed = "EXISTS (SELECT 1 FROM review_events e WHERE e.case_id = runs.id AND " \
                  "e.kind = 'claim')"
        if query.state == "resolved":
            where.append(resolved)
        elif query.state == "claimed":
            where += [f"NOT {resolved}", claimed]
        elif query.state == "open":
            where += [f"NOT {resolved}", f"NOT {claimed}"]
        filtering = query.table is not None or query.row_line is not None
        scan = _SCAN_LIMIT if filtering else query.limit + 1
        rows = self._connection().execute(
            f"SELECT id FROM runs WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT {p}",
            [*params, scan],
        ).fetchall()
        ids = [r[0] for r in rows]
        cases = [c for c in self._cases_sync(ids) if c.fired(query.table, query.row_line)]
        page = cases[: query.limit]
        more = len(cases) > query.limit or (filtering and len(ids) == scan)
        return page, (page[-1].id if more and page else None)

    def _cases_sync(self, ids: list[str]) -> list[ReviewCase]:
        if not ids:
            return []
        p, conn = self._p, self._connection()
        marks = ", ".join([p] * len(ids))
        runs = conn.execute(
            f"SELECT id, spec, revision, major, {self._created()}, input, output, rule_trace "
            f"FROM runs WHERE status = 'escalated' AND id IN ({marks})", ids
        ).fetchall()
        events: dict[str, list[ReviewEvent]] = {}
        for row in conn.execute(
            f"SELECT id, case_id, kind, actor, at, data FROM review_events "
            f"WHERE case_id IN ({marks}) ORDER BY id", ids
        ).fetchall():
            events.setdefault(row[1], []).append(
                ReviewEvent(row[0], row[1], row[2], row[3], float(row[4]), _json(row[5]) or {}))
        by_id = {
            r[0]: ReviewCase(
                id=r[0], spec=r[1], revision=int(r[2]), major=int(r[3]), created_at=float(r[4]),
                input=_json(r[5]), output=_json(r[6]), rule_trace=tuple(_json(r[7]) or ()),
                events=tuple(events.get(r[0], ())),
            )
            for r in runs
        }
        return [by_id[i] for i in ids if i in by_id]


def insert_event(conn: Any, p: str, event: ReviewEvent) -> None:
    data = json.dumps(event.data, sort_keys=True, ensure_ascii=False)
    conn.execute(
        f"INSERT INTO review_events (id, case_id, kind, actor, at, data) "
        f"VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
        (event.id, event.case_id, event.kind, event.actor, event.at, data),
    )


def _json(value: Any) -> Any:
    """SQLite hands JSON columns back as text; psycopg parses json and jsonb itself."""
    return json.loads(value) if isinstance(value, str | bytes) else value
