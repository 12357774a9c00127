"""The execution log: every run, with its attempts, in SQLite (default) or PostgreSQL.

``open_store(settings, root)`` picks the backend; ``await store.start()`` before use and
``await store.close()`` after. See ``docs/execution-log.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from specwright.compiler.errors import ConfigError, Diagnostic
from specwright.runtime.errors import InvalidQuery, LogUnavailable
from specwright.runtime.logstore.base import (
    MAX_PAGE,
    LogStore,
    RunPage,
    RunQuery,
    WriterMode,
    WriterStats,
)
from specwright.runtime.logstore.ulid import new_run_id

if TYPE_CHECKING:  # the writer process imports this package and needs no settings
    from specwright.runtime.config import Settings

SQLITE_FILENAME = "runs.sqlite3"

__all__ = [
    "MAX_PAGE",
    "SQLITE_FILENAME",
    "InvalidQuery",
    "LogStore",
    "LogUnavailable",
    "RunPage",
    "RunQuery",
    "WriterMode",
    "WriterStats",
    "new_run_id",
    "open_store",
    "sqlite_path",
]


def sqlite_path(settings: Settings, root: Path) -> Path:
    """Where the SQLite log lives when no database URL is configured."""
    return settings.path(root, settings.data_dir) / SQLITE_FILENAME


def open_store(
    settings: Settings, root: Path, writer: WriterMode | None = None
) -> LogStore:
    """The configured store, not yet started: PostgreSQL if ``database_url`` is set
    (``postgresql://`` or ``postgres://``), ``sqlite:///path`` for an explicit SQLite file,
    else SQLite at ``<data_dir>/runs.sqlite3``. ``writer`` overrides ``log_writer`` (a command
    that only reads needs no writer process)."""
    url = settings.database_url
    mode = writer or settings.log_writer
    if not url:
        from specwright.runtime.logstore.sqlite import SQLiteLogStore

        return SQLiteLogStore(sqlite_path(settings, root), writer=mode)
    if url.startswith(("postgresql://", "postgres://")):
        from specwright.runtime.logstore.postgres import PostgresLogStore

        return PostgresLogStore(url, writer=mode)
    if url.startswith("sqlite:///"):
        from specwright.runtime.logstore.sqlite import SQLiteLogStore

        return SQLiteLogStore(settings.path(root, url.removeprefix("sqlite:///")), writer=mode)
    scheme = url.split("://", 1)[0] if "://" in url else url[:20]
    raise ConfigError(
        [
            Diagnostic(
                "database_url",
                1,
                1,
                f"unsupported database URL scheme {scheme!r}: use postgresql://user@host/db "
                "or sqlite:///path/to/file, or leave it unset for SQLite under data_dir",
            )
        ]
    )
