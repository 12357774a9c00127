"""PostgreSQL backend (``database_url = "postgresql://..."``; needs ``specwright[postgres]``).

Same group commit as SQLite: one writer connection on a thread, one transaction per batch, the
waiters resolved after COMMIT returns. The writer sets ``synchronous_commit = on`` for its
session, so a COMMIT has reached the server's WAL on disk (and its synchronous standbys, if
configured) before a run is acknowledged, whatever the server default is.

Tables are created in the connection's current schema: pick one with
``?options=-csearch_path%3Dmyschema`` in the URL.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import psycopg

from specwright.runtime.errors import LogUnavailable
from specwright.runtime.logstore import migrations
from specwright.runtime.logstore.base import RunPage, RunQuery, WriterMode
from specwright.runtime.logstore.codec import (
    ATTEMPT_COLUMNS,
    RUN_COLUMNS,
    RUN_JSON_COLUMNS,
    AttemptRow,
    RunRow,
    row_to_run,
    where_clause,
)
from specwright.runtime.logstore.threaded import ThreadedLogStore
from specwright.runtime.records import RunRecord

# Columns holding caller or model data: ``json`` (migration 0002), which, unlike ``jsonb``,
# can hold an escaped U+0000.
_CALLER_DATA_COLUMNS = frozenset({"input", "output", "error"})


def _placeholder(column: str, json_columns: frozenset[str] = frozenset()) -> str:
    if column in json_columns:
        return "%s::json" if column in _CALLER_DATA_COLUMNS else "%s::jsonb"
    if column in ("created_at", "started_at"):
        return "to_timestamp(%s)"
    return "%s"


def _select(column: str) -> str:
    if column in ("created_at", "started_at"):
        return f"extract(epoch FROM {column})::float8"
    return column


_INSERT_RUN = (
    f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}) "
    f"VALUES ({', '.join(_placeholder(c, RUN_JSON_COLUMNS) for c in RUN_COLUMNS)})"
)
_INSERT_ATTEMPT = (
    f"INSERT INTO attempts ({', '.join(ATTEMPT_COLUMNS)}) "
    f"VALUES ({', '.join(_placeholder(c) for c in ATTEMPT_COLUMNS)})"
)
_SELECT_RUN = f"SELECT {', '.join(_select(c) for c in RUN_COLUMNS)} FROM runs"
_SELECT_ATTEMPT = f"SELECT {', '.join(_select(c) for c in ATTEMPT_COLUMNS)} FROM attempts"
_MIGRATIONS_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer NOT NULL PRIMARY KEY, name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now())"""


def redact_url(url: str) -> str:
    """The URL or conninfo with any password replaced by ***."""
    url = re.sub(r"(://[^:/@?]*):[^@/?]*@", r"\1:***@", url)
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", url)


def _lock_key(schema: str) -> int:
    digest = hashlib.sha256(f"specwright.logstore.{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresLogStore(ThreadedLogStore):
    backend = "postgres"
    db_errors = (psycopg.Error,)

    def __init__(
        self,
        url: str,
        *,
        connect_timeout_s: int = 10,
        application_name: str = "specwright-log",
        max_pending: int = 10_000,
        max_batch: int = 1_000,
        max_linger_s: float = 0.0005,
        writer: WriterMode = "thread",
    ) -> None:
        super().__init__(
            max_pending=max_pending, max_batch=max_batch, max_linger_s=max_linger_s, writer=writer
        )
        self.url = url
        self._connect_timeout_s = connect_timeout_s
        self.application_name = application_name

    def writer_args(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "connect_timeout_s": self._connect_timeout_s,
            "application_name": self.application_name,
        }

    @property
    def location(self) -> str:
        return redact_url(self.url)

    def _connect(self, role: str) -> psycopg.Connection[Any]:
        return psycopg.connect(
            self.url,
            autocommit=role == "reader",
            connect_timeout=self._connect_timeout_s,
            application_name=f"{self.application_name}-{role}",
        )

    def connect_writer(self) -> psycopg.Connection[Any]:
        conn = self._connect("writer")
        conn.execute("SET synchronous_commit = on")
        conn.commit()
        return conn

    def connect_reader(self) -> psycopg.Connection[Any]:
        return self._connect("reader")

    def migrate(self, conn: psycopg.Connection[Any]) -> None:
        known = migrations.load("postgres")
        with conn.transaction():
            row = conn.execute("SELECT current_schema()").fetchone()
            if row is None or row[0] is None:
                raise LogUnavailable(
                    f"{self.location}: no schema to create the log tables in; check search_path"
                )
            # Serialize concurrent starters (several app workers) on the same schema.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(row[0]),))
            conn.execute(_MIGRATIONS_TABLE)
            applied = {v for (v,) in conn.execute("SELECT version FROM schema_migrations")}
            for migration in known:
                if migration.version not in applied:
                    conn.execute(migration.sql.encode())  # no parameters: several statements
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        (migration.version, migration.name),
                    )
            newest = max(applied, default=0)
        if newest > (top := max((m.version for m in known), default=0)):
            raise LogUnavailable(
                f"{self.location} has schema version {newest}, newer than this Specwright "
                f"understands ({top}); upgrade Specwright"
            )

    def insert(
        self, conn: psycopg.Connection[Any], runs: list[RunRow], attempts: list[AttemptRow]
    ) -> None:
        try:
            with conn.cursor() as cur:
                cur.executemany(_INSERT_RUN, runs)
                if attempts:
                    cur.executemany(_INSERT_ATTEMPT, attempts)
            conn.commit()
        except BaseException:
            if not conn.closed and not conn.broken:
                conn.rollback()
            raise

    def is_systemic(self, exc: BaseException) -> bool:
        # Connection lost, server shutting down, disk full: every run of the batch fails alike.
        return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)

    def healthy(self, conn: Any) -> bool:
        return conn is not None and not conn.closed and not conn.broken

    def read_get(self, conn: psycopg.Connection[Any], run_id: str) -> RunRecord | None:
        row = conn.execute(f"{_SELECT_RUN} WHERE id = %s", (run_id,)).fetchone()
        if row is None:
            return None
        attempts = conn.execute(
            f"{_SELECT_ATTEMPT} WHERE run_id = %s ORDER BY seq", (run_id,)
        ).fetchall()
        return row_to_run(row, attempts, json_text=False)

    def read_query(self, conn: psycopg.Connection[Any], query: RunQuery) -> RunPage:
        where, params = where_clause(query, "%s", "to_timestamp({})")
        rows = conn.execute(
            f"{_SELECT_RUN} WHERE {where} ORDER BY id DESC LIMIT %s", [*params, query.limit + 1]
        ).fetchall()
        page = rows[: query.limit]
        ids = [r[0] for r in page]
        by_run: dict[str, list[Any]] = {}
        if ids:
            for a in conn.execute(
                f"{_SELECT_ATTEMPT} WHERE run_id = ANY(%s) ORDER BY run_id, seq", (ids,)
            ):
                by_run.setdefault(a[0], []).append(a)
        runs = tuple(row_to_run(r, by_run.get(r[0], []), json_text=False) for r in page)
        next_cursor = page[-1][0] if len(rows) > query.limit else None
        return RunPage(runs, next_cursor)
