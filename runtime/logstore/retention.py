"""Log retention: delete the oldest runs by age, or until the log fits a size.

``specwright logs prune --older-than 30d --max-size 2GB`` does it once; the settings
``log_retention_days`` and ``log_max_bytes`` make a running server do it at start and then every
``PRUNE_INTERVAL_S`` (``run_retention``). A run's attempts go with it (``ON DELETE CASCADE``).

Size is the space the log's rows use: in SQLite the database's pages less its free list (pages
freed by a delete are reused by new runs, so the file stops growing; ``VACUUM`` gives them back
to the file system), in PostgreSQL the tables' and indexes' total size. PostgreSQL reclaims
deleted rows only when it vacuums them, so there the oldest runs are deleted in one pass, in
proportion to how far the log is over the limit.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from specwright.runtime.logstore.threaded import ThreadedLogStore

log = logging.getLogger("specwright.logstore")
PRUNE_INTERVAL_S = 3600.0
_SQLITE_PASSES = 8


@dataclass(frozen=True, slots=True)
class PruneResult:
    deleted: int
    bytes_before: int
    bytes_after: int


def used_bytes(backend: str, conn: Any) -> int:
    if backend == "sqlite":
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)
    row = conn.execute(
        "SELECT pg_total_relation_size('runs') + pg_total_relation_size('attempts')"
    ).fetchone()
    return int(row[0])


def _delete_before(backend: str, conn: Any, before: float) -> int:
    if backend == "sqlite":
        return int(conn.execute("DELETE FROM runs WHERE created_at < ?", (before,)).rowcount)
    cur = conn.execute("DELETE FROM runs WHERE created_at < to_timestamp(%s)", (before,))
    conn.commit()
    return int(cur.rowcount)


def _delete_oldest(backend: str, conn: Any, count: int) -> int:
    if count <= 0:
        return 0
    if backend == "sqlite":
        sql = "DELETE FROM runs WHERE id IN (SELECT id FROM runs ORDER BY id LIMIT ?)"
        return int(conn.execute(sql, (count,)).rowcount)
    cur = conn.execute(
        "DELETE FROM runs WHERE id IN (SELECT id FROM runs ORDER BY id LIMIT %s)", (count,))
    conn.commit()
    return int(cur.rowcount)


def _run_count(conn: Any) -> int:
    return int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])


def prune_sync(store: ThreadedLogStore, *, before: float | None,
               max_bytes: int | None) -> PruneResult:
    """Delete runs created before ``before`` (epoch seconds), then the oldest runs until the log
    uses at most ``max_bytes``; on a connection of its own (the store need not be started, but
    its schema must exist)."""
    conn = store.connect_writer()
    try:
        start = used_bytes(store.backend, conn)
        deleted = 0 if before is None else _delete_before(store.backend, conn, before)
        passes = _SQLITE_PASSES if store.backend == "sqlite" else 1
        for _ in range(passes if max_bytes is not None else 0):
            assert max_bytes is not None
            used, count = used_bytes(store.backend, conn), _run_count(conn)
            if used <= max_bytes or count == 0:
                break
            deleted += _delete_oldest(store.backend, conn,
                                      max(1, math.ceil(count * (used - max_bytes) / used)))
        return PruneResult(deleted, start, used_bytes(store.backend, conn))
    except store.db_errors as exc:
        raise store.wrap(exc, "prune") from exc
    finally:
        store.close_quietly(conn)


async def prune(store: ThreadedLogStore, *, before: float | None,
                max_bytes: int | None) -> PruneResult:
    return await asyncio.to_thread(prune_sync, store, before=before, max_bytes=max_bytes)


async def run_retention(store: ThreadedLogStore, *, days: float | None,
                        max_bytes: int | None, interval_s: float = PRUNE_INTERVAL_S) -> None:
    """Prune at start and then every ``interval_s`` until cancelled; a failure is logged and
    the next round tries again."""
    while True:
        before = None if days is None else time.time() - days * 86400.0
        try:
            result = await prune(store, before=before, max_bytes=max_bytes)
        except Exception as exc:  # noqa: BLE001 - retention must not stop the server
            log.warning("pruning the execution log failed: %s", getattr(exc, "message", exc))
        else:
            if result.deleted:
                log.info("pruned %d runs from the execution log (%d -> %d bytes in use)",
                         result.deleted, result.bytes_before, result.bytes_after)
        await asyncio.sleep(interval_s)
