"""The execution log: every run, with its attempts, in SQLite (default) or PostgreSQL.

``open_store(settings, root)`` picks the backend; ``await store.start()`` before use and
``await store.close()`` after. See ``docs/execution-log.md``.
"""

from __future__ import annotations

from pathlib import Path

from compiler.errors import ConfigError, Diagnostic
from runtime.config import Settings
from runtime.logstore.base import (
    MAX_PAGE,
    InvalidQuery,
    LogStore,
    LogStoreError,
    RunPage,
    RunQuery,
    WriterStats,
)
from runtime.logstore.ulid import new_run_id

SQLITE_FILENAME = "runs.sqlite3"

__all__ = [
    "MAX_PAGE",
    "SQLITE_FILENAME",
    "InvalidQuery",
    "LogStore",
    "LogStoreError",
    "RunPage",
    "RunQuery",
    "WriterStats",
    "new_run_id",
    "open_store",
    "sqlite_path",
]


def sqlite_path(settings: Settings, root: Path) -> Path:
    """Where the SQLite log lives when no database URL is configured."""
    return settings.path(root, settings.data_dir) / SQLITE_FILENAME


def open_store(settings: Settings, root: Path) -> LogStore:
    """The configured store, not yet started: PostgreSQL if ``database_url`` is set
    (``postgresql://`` or ``postgres://``), ``sqlite:///path`` for an explicit SQLite file,
    else SQLite at ``<data_dir>/runs.sqlite3``."""
    url = settings.database_url
    if not url:
        from runtime.logstore.sqlite import SQLiteLogStore

        return SQLiteLogStore(sqlite_path(settings, root))
    if url.startswith(("postgresql://", "postgres://")):
        from runtime.logstore.postgres import PostgresLogStore

        return PostgresLogStore(url)
    if url.startswith("sqlite:///"):
        from runtime.logstore.sqlite import SQLiteLogStore

        return SQLiteLogStore(settings.path(root, url.removeprefix("sqlite:///")))
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
