"""The durable webhook queue in the execution log (migration 0009, ``webhook_deliveries``).

A resolution of a case whose spec has a webhook is written together with its queue row, in one
transaction: a resolution is never without its pending delivery. A server takes a due delivery
by a lease (one conditional ``UPDATE``: not finished, due, and nobody's lease running), makes
one attempt, appends it to the case's events and gives the row back with the attempt counted
and the next one scheduled. Another server sharing the database (PostgreSQL) finds the row
leased and leaves it; a server that died holding a lease loses it when ``lease_until`` passes.

The queue row is operational state and is updated; what happened stays append-only: the
resolution and every attempt are ``review_events``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from specwright.runtime.logstore.reviews import ReviewEvent, ReviewLog, insert_event


@dataclass(frozen=True, slots=True)
class Delivery:
    case_id: str
    spec: str
    attempts: int  # made so far
    due_at: float  # when the next may be made (epoch seconds)
    done: bool = False


class DeliveryLog:
    """The ``webhook_deliveries`` half of a ``ReviewLog`` (its thread and connection)."""

    def __init__(self, reviews: ReviewLog) -> None:
        self.reviews = reviews

    async def resolve(self, event: ReviewEvent, spec: str) -> None:
        """Append the resolution and queue its delivery, due now, in one transaction."""
        await self.reviews.on_thread(_resolve_sync, self.reviews.backend, event, spec)

    async def due(self, specs: list[str], now: float, limit: int = 100) -> list[Delivery]:
        """Deliveries of these specs due at ``now`` and not leased, oldest first."""
        if not specs:
            return []
        return await self.reviews.on_thread(_due_sync, specs, now, limit)

    async def next_due(self, specs: list[str]) -> float | None:
        """When the earliest unfinished delivery of these specs is due (leased or not)."""
        if not specs:
            return None
        return await self.reviews.on_thread(_next_sync, specs)

    async def claim(self, case_id: str, holder: str, now: float,
                    lease_s: float) -> Delivery | None:
        """Lease a due delivery for one attempt; None when it is not due or someone holds it."""
        return await self.reviews.on_thread(_claim_sync, case_id, holder, now, now + lease_s)

    async def release(self, case_id: str, holder: str, attempts: int, due_at: float,
                      done: bool) -> bool:
        """Count the attempt made under the lease and give the row back; False when the lease
        had run out and another server took the delivery meanwhile."""
        return await self.reviews.on_thread(_release_sync, case_id, holder, attempts, due_at,
                                            done)

    async def get(self, case_id: str) -> Delivery | None:
        return await self.reviews.on_thread(_get_sync, case_id)


_COLUMNS = "case_id, spec, attempts, due_at, done"


def _row(row: Any) -> Delivery:
    return Delivery(row[0], row[1], int(row[2]), float(row[3]), bool(row[4]))


@contextmanager
def _transaction(conn: Any, backend: str) -> Iterator[None]:
    if backend != "sqlite":  # psycopg, autocommit connection
        with conn.transaction():
            yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _resolve_sync(conn: Any, p: str, backend: str, event: ReviewEvent, spec: str) -> None:
    with _transaction(conn, backend):
        insert_event(conn, p, event)
        conn.execute(f"INSERT INTO webhook_deliveries (case_id, spec, due_at) VALUES ({p}, {p}, {p})",
                     (event.case_id, spec, event.at))


def _specs(p: str, specs: list[str]) -> str:
    return f"spec IN ({', '.join([p] * len(specs))})"


def _due_sync(conn: Any, p: str, specs: list[str], now: float, limit: int) -> list[Delivery]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM webhook_deliveries WHERE done = 0 AND due_at <= {p} "
        f"AND lease_until <= {p} AND {_specs(p, specs)} ORDER BY due_at LIMIT {p}",
        [now, now, *specs, limit]).fetchall()
    return [_row(r) for r in rows]


def _next_sync(conn: Any, p: str, specs: list[str]) -> float | None:
    row = conn.execute(
        f"SELECT min(CASE WHEN lease_until > due_at THEN lease_until ELSE due_at END) "
        f"FROM webhook_deliveries WHERE done = 0 AND {_specs(p, specs)}", specs).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def _claim_sync(conn: Any, p: str, case_id: str, holder: str, now: float,
                until: float) -> Delivery | None:
    rows = conn.execute(
        f"UPDATE webhook_deliveries SET holder = {p}, lease_until = {p} "
        f"WHERE case_id = {p} AND done = 0 AND due_at <= {p} AND lease_until <= {p} "
        f"RETURNING {_COLUMNS}", (holder, until, case_id, now, now)).fetchall()
    return _row(rows[0]) if rows else None


def _release_sync(conn: Any, p: str, case_id: str, holder: str, attempts: int, due_at: float,
                  done: bool) -> bool:
    cursor = conn.execute(
        f"UPDATE webhook_deliveries SET attempts = {p}, due_at = {p}, done = {p}, "
        f"holder = NULL, lease_until = 0 WHERE case_id = {p} AND holder = {p}",
        (attempts, due_at, int(done), case_id, holder))
    return bool(cursor.rowcount == 1)


def _get_sync(conn: Any, p: str, case_id: str) -> Delivery | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM webhook_deliveries WHERE case_id = {p}",
                       (case_id,)).fetchone()
    return None if row is None else _row(row)
