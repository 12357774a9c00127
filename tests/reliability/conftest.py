"""Fixtures of the reliability suite; helpers live in ``rel_support`` beside this file.

Everything here talks to loopback only: the network guard (``runtime/testing/network_guard.py``,
registered for every run in ``pyproject.toml``) is on for every test, servers run as child processes on free 127.0.0.1 ports and are stopped in
``finally`` blocks, and every load is bounded in count and time.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from specwright.runtime.fakeserver import FakeConfig, FakeServerThread  # noqa: E402

PG_ENV = "SPECWRIGHT_TEST_POSTGRES_URL"
PG_SKIP = "set SPECWRIGHT_TEST_POSTGRES_URL to run against PostgreSQL"


@pytest.fixture
def fake() -> Iterator[FakeServerThread]:
    """A fake model server on 127.0.0.1 with no faults; ``fake.configure(...)`` changes it."""
    with FakeServerThread(FakeConfig()) as server:
        yield server


def with_search_path(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a brand-new schema, dropped after the test."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(PG_SKIP)
    import psycopg

    schema = f"sw_rel_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_search_path(base, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.skipif(
    not os.environ.get(PG_ENV), reason=PG_SKIP))])
def database(request: pytest.FixtureRequest) -> str | None:
    """None for the default SQLite log, else a fresh PostgreSQL URL."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("pg_url"))
