"""Fixtures for the log-store suite: every test that takes ``backend`` runs on SQLite and on
PostgreSQL (the latter only when SPECWRIGHT_TEST_POSTGRES_URL is set; each test then gets a
fresh schema of its own, dropped afterwards, so parallel and repeated runs never collide)."""

from __future__ import annotations

import itertools
import os
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from specwright.runtime.logstore import LogStore, WriterMode, new_run_id
from specwright.runtime.records import Attempt, RunRecord

PG_ENV = "SPECWRIGHT_TEST_POSTGRES_URL"
PG_URL = os.environ.get(PG_ENV)
PG_SKIP = "set SPECWRIGHT_TEST_POSTGRES_URL to run against PostgreSQL"

Raw = Callable[..., list[tuple[Any, ...]]]
StoreFactory = Callable[..., LogStore]


def with_search_path(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a brand-new schema, dropped after the test."""
    if not PG_URL:
        pytest.skip(PG_SKIP)
    import psycopg

    schema = f"sw_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_search_path(PG_URL, schema)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.skipif(not PG_URL, reason=PG_SKIP)),
    ]
)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def location(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The SQLite file path or the PostgreSQL URL of this test's log."""
    if backend == "sqlite":
        return str(tmp_path / "data" / "runs.sqlite3")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(params=["thread", "process"])
def writer(request: pytest.FixtureRequest) -> WriterMode:
    """Where the store commits: a thread of the test process, or a writer process."""
    mode: WriterMode = request.param
    return mode


@pytest.fixture
def make_store(backend: str, location: str, writer: WriterMode) -> StoreFactory:
    """New, unstarted stores on this test's log (call it again to "reopen")."""

    def make(**options: Any) -> LogStore:
        options.setdefault("writer", writer)
        if backend == "sqlite":
            from specwright.runtime.logstore.sqlite import SQLiteLogStore

            return SQLiteLogStore(Path(location), **options)
        from specwright.runtime.logstore.postgres import PostgresLogStore

        return PostgresLogStore(location, **options)

    return make


@pytest.fixture
async def store(make_store: StoreFactory) -> AsyncIterator[LogStore]:
    s = make_store()
    await s.start()
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def raw(backend: str, location: str) -> Raw:
    """Run one SQL statement on a separate connection (autocommit); return its rows."""

    def run(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if backend == "sqlite":
            conn = sqlite3.connect(location, isolation_level=None)
            try:
                cur = conn.execute(sql.replace("%s", "?"), params)
                return cur.fetchall() if cur.description else []
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(location, autocommit=True) as pconn:
            pcur = pconn.execute(sql.encode() if not params else sql, params or None)
            return pcur.fetchall() if pcur.description else []

    return run


_seq = itertools.count()


def _us(t: float) -> float:
    """Round to whole microseconds: what timestamptz keeps (see docs/execution-log.md)."""
    return round(t * 1_000_000) / 1_000_000


@pytest.fixture
def make_run() -> Callable[..., RunRecord]:
    """A realistic run; keyword arguments override fields."""

    def make(**fields: Any) -> RunRecord:
        n = next(_seq)
        now = _us(fields.pop("created_at", time.time()))
        base: dict[str, Any] = {
            "id": new_run_id(now),
            "spec": "carrier-selection",
            "revision": 3,
            "major": 1,
            "created_at": now,
            "status": "ok",
            "latency_ms": 12.5 + n,
            "input": {"order_id": f"o-{n}", "weight_kg": 2.5, "destination": "AK"},
            "output": {"carrier": "ups", "service": "ground"},
            "model": "openai:gpt-4o-mini",
            "rule_trace": ({"table": "carrier", "rows": [2], "line": 41},),
            "guardrails": ({"label": "cost is positive", "passed": True, "line": 60},),
            "attempts": (
                Attempt(
                    "openai",
                    "gpt-4o-mini",
                    "call",
                    _us(now - 0.01),
                    9.25,
                    "ok",
                    input_tokens=812,
                    output_tokens=41,
                    cached_tokens=0,
                    cost_usd=0.000147,
                ),
            ),
        }
        base.update(fields)
        return RunRecord(**base)

    return make
