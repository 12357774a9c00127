"""Fixtures of the label and impact suite. PostgreSQL tests run when
SPECWRIGHT_TEST_POSTGRES_URL is set; each gets a schema of its own, dropped afterwards."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "runtime"))  # rt_support

from specwright.runtime.config import Settings  # noqa: E402

PG_URL = os.environ.get("SPECWRIGHT_TEST_POSTGRES_URL")


@pytest.fixture
def settings() -> Settings:
    return Settings(log_writer="thread")


@pytest.fixture
def pg_settings() -> Iterator[Settings]:
    if not PG_URL:
        pytest.skip("set SPECWRIGHT_TEST_POSTGRES_URL to run against PostgreSQL")
    import psycopg

    schema = f"sw_labels_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    try:
        yield Settings(log_writer="thread", database_url=url)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
