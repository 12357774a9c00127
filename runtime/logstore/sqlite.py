"""SQLite backend: one file under the data directory, WAL mode, ``synchronous=FULL``.

The writer thread owns the only writing connection; reads use a second connection on the reader
thread (WAL lets readers run while the writer commits). With ``synchronous=FULL`` every commit
fsyncs the WAL before it returns, so an acknowledged run survives a crash of the process *and* a
power loss (``NORMAL`` would only survive the former).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from specwright.runtime.errors import LogUnavailable
from specwright.runtime.logstore import migrations
from specwright.runtime.logstore.base import RunPage, RunQuery, WriterMode
from specwright.runtime.logstore.codec import (
    ATTEMPT_COLUMNS,
    RUN_COLUMNS,
    AttemptRow,
    RunRow,
    row_to_run,
    where_clause,
)
from specwright.runtime.logstore.threaded import ThreadedLogStore
from specwright.runtime.records import RunRecord

logger = logging.getLogger("specwright.logstore")

_ROWS_PER_INSERT = 64  # rows per multi-row INSERT statement (a few distinct statements cached)


def _insert_sql(table: str, columns: tuple[str, ...], rows: int) -> str:
    one = f"({', '.join('?' * len(columns))})"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * rows)}"


_INSERT_RUNS = [""] + [_insert_sql("runs", RUN_COLUMNS, n) for n in range(1, _ROWS_PER_INSERT + 1)]
_INSERT_ATTEMPTS = [""] + [
    _insert_sql("attempts", ATTEMPT_COLUMNS, n) for n in range(1, _ROWS_PER_INSERT + 1)
]
_SELECT_RUN = f"SELECT {', '.join(RUN_COLUMNS)} FROM runs"
_SELECT_ATTEMPT = f"SELECT {', '.join(ATTEMPT_COLUMNS)} FROM attempts"
_MIGRATIONS_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"""


class SQLiteLogStore(ThreadedLogStore):
    backend = "sqlite"
    db_errors = (sqlite3.Error,)

    def __init__(
        self,
        path: Path,
        *,
        synchronous: str = "FULL",
        busy_timeout_ms: int = 5_000,
        max_pending: int = 10_000,
        max_batch: int = 1_000,
        max_linger_s: float = 0.0005,
        writer: WriterMode = "thread",
    ) -> None:
        super().__init__(
            max_pending=max_pending, max_batch=max_batch, max_linger_s=max_linger_s, writer=writer
        )
        if synchronous.upper() not in {"FULL", "EXTRA", "NORMAL", "OFF"}:
            raise ValueError(f"unknown synchronous mode {synchronous!r}")
        self.path = Path(path)
        self._synchronous = synchronous.upper()
        self._busy_timeout_ms = busy_timeout_ms

    @property
    def location(self) -> str:
        return str(self.path)

    def writer_args(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "synchronous": self._synchronous,
            "busy_timeout_ms": self._busy_timeout_ms,
        }

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, cached_statements=64)
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        return conn

    def connect_writer(self) -> sqlite3.Connection:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # The log holds every input callers sent: readable by its owner only. Created here with
        # mode 0600 before SQLite opens it; SQLite gives the -wal and -shm files the same mode.
        os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        _owner_only(self.path)
        conn = self._open()
        try:
            mode = self._journal_mode_wal(conn)
            if str(mode).lower() != "wal":
                raise LogUnavailable(
                    f"{self.path}: SQLite refused WAL mode ({mode}); put the data directory "
                    "on a local file system"
                )
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
            conn.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            conn.close()
            raise
        return conn

    def _journal_mode_wal(self, conn: sqlite3.Connection) -> str:
        """``PRAGMA journal_mode = WAL``, retried while another process holds the lock.

        Switching a new file to WAL needs it alone, and SQLite answers "database is locked" at
        once instead of calling the busy handler: several server workers (``--workers N``)
        opening a fresh log together would each fail but one. They wait up to the busy
        timeout like every other statement does."""
        deadline = time.monotonic() + self._busy_timeout_ms / 1000.0
        pause = 0.005
        while True:
            try:
                return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() + pause > deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.1)

    def connect_reader(self) -> sqlite3.Connection:
        conn = self._open()
        conn.execute("PRAGMA query_only = ON")
        return conn

    def migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute(_MIGRATIONS_TABLE)
        known = migrations.load("sqlite")
        for migration in known:
            if migration.version in _applied(conn):
                continue
            script = (
                f"BEGIN IMMEDIATE;\n{migration.sql}\n;\n"
                "INSERT INTO schema_migrations (version, name, applied_at) "
                f"VALUES ({migration.version}, '{migration.name}', {time.time()!r});\nCOMMIT;"
            )
            try:
                conn.executescript(script)
            except sqlite3.Error:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if migration.version in _applied(conn):  # another process got there first
                    continue
                raise
        newest = max(_applied(conn), default=0)
        if newest > migrations.newest(known):
            raise LogUnavailable(
                f"{self.path} has schema version {newest}, newer than this Specwright "
                f"understands ({migrations.newest(known)}); upgrade Specwright"
            )

    def insert(
        self, conn: sqlite3.Connection, runs: list[RunRow], attempts: list[AttemptRow]
    ) -> None:
        if not attempts and len(runs) <= _ROWS_PER_INSERT:
            # One statement is its own transaction (all rows or none, committed and synced as
            # ``synchronous`` says): one ``execute`` instead of three (BEGIN, INSERT, COMMIT).
            # Each ``execute`` lets go of the GIL five times on CPython 3.11 (see
            # ``_insert_rows``), and each time the writer thread waits to get it back.
            _insert_rows(conn, _INSERT_RUNS, runs)
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            _insert_rows(conn, _INSERT_RUNS, runs)
            _insert_rows(conn, _INSERT_ATTEMPTS, attempts)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def is_systemic(self, exc: BaseException) -> bool:
        # Locked/busy database, I/O error, disk full: every run of the batch would fail alike.
        return isinstance(exc, sqlite3.OperationalError)

    def read_get(self, conn: sqlite3.Connection, run_id: str) -> RunRecord | None:
        conn.execute("BEGIN")  # one snapshot for the run and its attempts
        try:
            row = conn.execute(f"{_SELECT_RUN} WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                return None
            attempts = conn.execute(
                f"{_SELECT_ATTEMPT} WHERE run_id = ? ORDER BY seq", (run_id,)
            ).fetchall()
        finally:
            conn.execute("COMMIT")
        return row_to_run(row, attempts, json_text=True)

    def read_query(self, conn: sqlite3.Connection, query: RunQuery) -> RunPage:
        where, params = where_clause(query, "?", "{}")
        conn.execute("BEGIN")
        try:
            rows = conn.execute(
                f"{_SELECT_RUN} WHERE {where} ORDER BY id DESC LIMIT ?", [*params, query.limit + 1]
            ).fetchall()
            page = rows[: query.limit]
            ids = [r[0] for r in page]
            attempt_rows = (
                conn.execute(
                    f"{_SELECT_ATTEMPT} WHERE run_id IN ({', '.join('?' * len(ids))}) "
                    "ORDER BY run_id, seq",
                    ids,
                ).fetchall()
                if ids
                else []
            )
        finally:
            conn.execute("COMMIT")
        by_run: dict[str, list[Any]] = {}
        for a in attempt_rows:
            by_run.setdefault(a[0], []).append(a)
        runs = tuple(row_to_run(r, by_run.get(r[0], []), json_text=True) for r in page)
        next_cursor = page[-1][0] if len(rows) > query.limit else None
        return RunPage(runs, next_cursor)


def _applied(conn: sqlite3.Connection) -> set[int]:
    return {v for (v,) in conn.execute("SELECT version FROM schema_migrations")}


def _insert_rows(conn: sqlite3.Connection, sql: list[str], rows: list[Any]) -> None:
    """Insert ``rows`` with multi-row INSERT statements of up to ``_ROWS_PER_INSERT`` rows: one
    ``execute`` per chunk instead of per row. What costs under load is not SQLite's work but the
    GIL: CPython 3.11's ``execute`` of an INSERT lets go of it five times (around binding, the
    step, the column count, the reset and the last row id; counted with gdb on
    ``PyEval_SaveThread``), and the event loop thread holds it most of the time, so each release
    is a wait of up to the switch interval for this thread to get it back."""
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        conn.execute(sql[len(chunk)], [value for row in chunk for value in row])


def _owner_only(path: Path) -> None:
    """Take group and other access away from a log file an earlier version created 0644."""
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = p.stat().st_mode & 0o777
            if mode & 0o077:
                p.chmod(mode & 0o700)
        except FileNotFoundError:
            continue
        except OSError as exc:  # not the owner: say so, the log still works
            logger.warning("cannot make %s readable by its owner only: %s", p, exc)
