"""A connection of its own, on a thread of its own, to the database of an open ``LogStore``.

The review log (``reviews.py``) and the cost controls (``cost_db.py``) read and write a few
small rows per run or per event: they do not go through group commit, and they must never
block the event loop. Each opens one autocommitted connection on first use, runs every
statement on its one thread, and turns a database error into ``LogUnavailable`` naming what
it was for (the connection is dropped and opened again by the next call).
"""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from specwright.runtime.errors import LogUnavailable
from specwright.runtime.logstore.base import LogStore


def _db_errors() -> tuple[type[Exception], ...]:
    try:
        import psycopg
    except ImportError:  # the postgres extra is not installed: only SQLite is in use
        return (sqlite3.Error, OSError)
    return (sqlite3.Error, OSError, psycopg.Error)


DB_ERRORS = _db_errors()


class SideDatabase:
    """Subclasses name what they are for (``purpose``: "the review queue") and their thread
    and connection (``name``: "reviews"), and may map a database error of their own first
    (``_mapped``)."""

    purpose = "this part of the log"
    name = "side"

    def __init__(self, store: LogStore) -> None:
        self.store = store
        self.backend = getattr(store, "backend", "")
        self._p = "?" if self.backend == "sqlite" else "%s"
        self._conn: Any = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"logstore-{self.name}")

    async def close(self) -> None:
        await self._call(self._close_sync)
        self._pool.shutdown(wait=False)

    async def _call(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._guarded, fn,
                                                                args)

    def _mapped(self, exc: BaseException) -> BaseException | None:
        """An exception of the subclass's own for this database error, or None."""
        return None

    def _guarded(self, fn: Any, args: tuple[Any, ...]) -> Any:
        try:
            return fn(*args)
        except LogUnavailable:
            raise
        except DB_ERRORS as exc:
            mapped = self._mapped(exc)
            if mapped is not None:
                raise mapped from None
            self._close_sync()
            raise LogUnavailable(
                f"cannot use {self.purpose} at {self.store.location}: "
                f"{type(exc).__name__}: {' '.join(str(exc).split())}"
            ) from exc

    def _connection(self) -> Any:
        if self._conn is None:
            if self.backend == "sqlite":
                conn: Any = sqlite3.connect(getattr(self.store, "path"),  # noqa: B009
                                            isolation_level=None)
                conn.execute("PRAGMA busy_timeout = 5000")
            elif self.backend == "postgres":
                import psycopg

                conn = psycopg.connect(getattr(self.store, "url"), autocommit=True,  # noqa: B009
                                       application_name=f"specwright-log-{self.name}")
            else:
                raise LogUnavailable(f"{self.purpose} needs the SQLite or PostgreSQL log, "
                                     f"not {self.backend!r}")
            self._conn = conn
        return self._conn

    def _close_sync(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
