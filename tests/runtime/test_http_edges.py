"""HTTP edges an outside audit found (issue "Trust", item 5), each kept closed by a test.

PostgreSQL cases run when SPECWRIGHT_TEST_POSTGRES_URL is set (a schema of their own each).
"""

from __future__ import annotations

import os
import re
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rt_support import AppFactory, assert_error, running

from specwright.runtime.config import Settings
from specwright.runtime.logstore import sqlite_path
from specwright.runtime.testing.server import ServeProcess

PG_URL = os.environ.get("SPECWRIGHT_TEST_POSTGRES_URL")
needs_pg = pytest.mark.skipif(not PG_URL, reason="set SPECWRIGHT_TEST_POSTGRES_URL")
TRIAGE_INPUT = {"order_total": 10, "country": "US"}


@pytest.fixture
def pg_url() -> Iterator[str]:
    assert PG_URL
    import psycopg

    schema = f"sw_edges_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def test_a_revision_beyond_any_integer_column_is_a_422(make_app: AppFactory) -> None:
    async with running(make_app()) as c:
        for value in ("9223372036854775808", "2147483648", "0"):
            r = await c.get(f"/runs?revision={value}")
            body = assert_error(r, 422, "invalid_input")
            assert body["details"][0]["loc"] == ["query", "revision"]
        assert (await c.get("/runs?revision=2147483647")).status_code == 200


async def test_a_spec_filter_that_is_no_spec_name_is_a_422(make_app: AppFactory) -> None:
    async with running(make_app()) as c:
        for value in ("%00", "a%00b", "Ship%20ping"):
            assert_error(await c.get(f"/runs?spec={value}"), 422, "invalid_input")
        assert (await c.get("/runs?spec=triage")).status_code == 200


@needs_pg
async def test_on_postgresql_a_nul_spec_filter_is_a_422_not_a_503(
    make_app: AppFactory, pg_url: str
) -> None:
    async with running(make_app(settings=Settings(database_url=pg_url))) as c:
        assert_error(await c.get("/runs?spec=%00"), 422, "invalid_input")
        assert (await c.get("/runs?spec=triage")).status_code == 200


@needs_pg
async def test_a_503_names_no_database_user_host_port_or_name(
    make_app: AppFactory, pg_url: str
) -> None:
    import psycopg

    app = make_app(settings=Settings(database_url=pg_url, log_writer="thread"))
    async with running(app) as c:
        assert (await c.post("/specs/triage/v1", json=TRIAGE_INPUT)).status_code == 200
        schema = re.search(r"search_path%3D(\w+)", pg_url)
        assert schema is not None
        with psycopg.connect(PG_URL or "", autocommit=True) as conn:  # the log loses its tables
            conn.execute(f'DROP TABLE "{schema[1]}".attempts, "{schema[1]}".runs CASCADE')
        answers = [await c.post("/specs/triage/v1", json=TRIAGE_INPUT),
                   await c.get("/runs"), await c.get("/readyz")]
    for r in answers:
        assert r.status_code == 503, r.text
        text = r.text.lower()
        for leak in ("postgres", "127.0.0.1", "5432", "/test", schema[1], "runs\" does not"):
            assert leak not in text, r.text


async def test_the_trailing_slash_redirect_never_echoes_the_host_header(
    make_app: AppFactory,
) -> None:
    async with running(make_app()) as c:
        r = await c.get("/runs/?limit=2", headers={"host": "evil.example"})
        assert r.status_code == 307 and r.headers["location"] == "/runs?limit=2"
        r = await c.get("/specs/", headers={"host": "evil.example"})
        assert r.headers["location"] == "/specs"
        r = await c.get("//evil.example/", headers={"host": "evil.example"})
        assert r.status_code == 404 and "location" not in r.headers
        assert (await c.get("/runs?limit=2")).status_code == 200


async def test_the_log_database_is_readable_by_its_owner_only(
    make_app: AppFactory, project: Path
) -> None:
    async with running(make_app()) as c:
        assert (await c.post("/specs/triage/v1", json=TRIAGE_INPUT)).status_code == 200
    db = sqlite_path(Settings(), project)
    for path in (db, db.parent):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, oct(path.stat().st_mode)


async def test_a_world_readable_log_from_before_is_made_private(
    make_app: AppFactory, project: Path
) -> None:
    db = sqlite_path(Settings(), project)
    db.parent.mkdir(parents=True)
    db.touch(mode=0o644)
    os.chmod(db, 0o644)
    async with running(make_app()) as c:
        assert (await c.post("/specs/triage/v1", json=TRIAGE_INPUT)).status_code == 200
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


class _BrokenStore:
    """The log's reads fail as a database that went away does."""

    def __init__(self, inner: object) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def query(self, query: object) -> object:
        from specwright.runtime.errors import LogUnavailable

        raise LogUnavailable("cannot read the execution log at postgresql://u@db:5432/x: gone")


async def test_readyz_fails_while_the_log_cannot_answer_and_healthz_stays_live(
    make_app: AppFactory,
) -> None:
    from specwright.runtime.http.state import get_state

    app = make_app()
    async with running(app) as c:
        r = await c.get("/readyz")
        assert r.status_code == 200 and r.json() == {"status": "ready", "log": "sqlite"}
        state = get_state(app)
        state.store = _BrokenStore(state.store)  # type: ignore[assignment]
        r = await c.get("/readyz")
        body = assert_error(r, 503, "not_ready")
        assert "5432" not in r.text and body["details"] is None
        assert (await c.get("/healthz")).status_code == 200
        state.store = state.store.inner  # type: ignore[attr-defined]


async def test_duplicate_json_keys_are_refused_naming_the_key(make_app: AppFactory) -> None:
    async with running(make_app()) as c:
        r = await c.post("/specs/triage/v1", headers={"content-type": "application/json"},
                         content=b'{"order_total": 10, "country": "US", "country": "CA"}')
        body = assert_error(r, 422, "duplicate_key")
        assert "'country'" in body["message"]
        assert body["details"] == [{"loc": ["body", "country"], "msg": "duplicate key",
                                    "type": "duplicate_key"}]
        nested = b'{"a": [{"t": "12:00", "k": 1, "k": 2}], "order_total": 1, "country": "US"}'
        r = await c.post("/specs/triage/v1", headers={"content-type": "application/json"},
                         content=nested)
        assert assert_error(r, 422, "duplicate_key")["details"][0]["loc"] == [
            "body", "a", 0, "k"]
        # a colon inside a string is no duplicate
        r = await c.post("/specs/triage/v1", json=TRIAGE_INPUT | {"note": "at 12:30: ok"})
        assert r.status_code != 422 or r.json()["type"] != "duplicate_key"


async def test_docs_load_their_assets_from_the_server_not_a_cdn(make_app: AppFactory) -> None:
    async with running(make_app()) as c:
        for page in ("/docs", "/redoc"):
            html = (await c.get(page)).text
            urls = re.findall(r'(?:src|href)="([^"]+)"', html)
            assert urls and all(u.startswith("/docs-assets/") for u in urls), urls
            assert "cdn" not in html and "https://" not in html.replace(
                "https://fastapi.tiangolo.com", "")
            for url in urls:
                r = await c.get(url)
                assert r.status_code == 200 and len(r.content) > 1000, url


def _access_log_client(project: Path, *args: str) -> str:
    server = ServeProcess(project, *args)
    try:
        server.wait_ready()
        httpx.get(server.url + "/healthz", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)
    finally:
        server.stop()
    lines = [line for line in server.output().splitlines() if "GET /healthz" in line]
    assert lines, server.output()
    return lines[-1]


def test_the_access_log_believes_forwarded_headers_only_from_trusted_proxies(
    project: Path,
) -> None:
    line = _access_log_client(project)
    assert "203.0.113.9" not in line and "127.0.0.1" in line
    (project / "specwright.toml").write_text('trusted_proxies = ["127.0.0.1"]\n')
    assert "203.0.113.9" in _access_log_client(project)
