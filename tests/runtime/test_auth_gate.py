"""Authentication never fails open at run time (issue "Trust", item 2).

Whether a request without a key is answered follows from how the server was started and where
the request comes from, never from an empty key list; keys live in PostgreSQL when it is the log
database (replicas agree); every run records the id of the key that made it; per-key limits
answer 429 with Retry-After.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from rt_support import AppFactory, assert_error, no_model, running

from specwright.runtime.cli import main
from specwright.runtime.config import Settings
from specwright.runtime.http.auth import KeyStore, keys_path
from specwright.runtime.http.auth_gate import RateLimiter

TRIAGE = {"order_total": 10, "country": "US"}
PG_URL = os.environ.get("SPECWRIGHT_TEST_POSTGRES_URL")
needs_pg = pytest.mark.skipif(not PG_URL, reason="set SPECWRIGHT_TEST_POSTGRES_URL")


@asynccontextmanager
async def from_client(app: FastAPI, host: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan, called from ``host`` (the ASGI scope's client address)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(host, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_revoking_the_last_key_of_a_public_server_refuses_everything(
    make_app: AppFactory, project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "specwright.auth")
    store = KeyStore(keys_path(Settings(), project))
    key, token = store.create("admin")
    app = make_app(model_factory=no_model, bind_host="0.0.0.0")
    async with from_client(app, "203.0.113.7") as c:
        assert (await c.post("/specs/triage/v1", json=TRIAGE, headers=bearer(token))
                ).status_code == 200
        store.revoke(key.id)
        for r in (await c.post("/specs/triage/v1", json=TRIAGE), await c.get("/runs"),
                  await c.get("/specs"), await c.get("/runs", headers=bearer(token))):
            assert_error(r, 401, "unauthorized")
        keys_path(Settings(), project).unlink()  # the key file removed: still closed
        assert_error(await c.get("/runs"), 401, "unauthorized")
        assert (await c.get("/healthz")).status_code == 200
    assert "no active API key: every request is refused" in caplog.text
    assert "API keys required (the server listens on 0.0.0.0)" in caplog.text


async def test_a_loopback_server_that_had_keys_stays_closed_when_they_are_revoked(
    make_app: AppFactory, project: Path
) -> None:
    store = KeyStore(keys_path(Settings(), project))
    key, _ = store.create("caller")
    async with running(make_app(model_factory=no_model)) as c:
        store.revoke(key.id)
        assert_error(await c.post("/specs/triage/v1", json=TRIAGE), 401, "unauthorized")


async def test_an_open_loopback_server_closes_for_good_once_a_key_exists(
    make_app: AppFactory, project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(make_app(model_factory=no_model)) as c:
        assert (await c.post("/specs/triage/v1", json=TRIAGE)).status_code == 200
        store = KeyStore(keys_path(Settings(), project))
        key, token = store.create("caller")
        assert_error(await c.post("/specs/triage/v1", json=TRIAGE), 401, "unauthorized")
        store.revoke(key.id)
        assert_error(await c.post("/specs/triage/v1", json=TRIAGE), 401, "unauthorized")
    assert "every request needs a key from now on" in caplog.text


async def test_an_open_loopback_server_answers_only_loopback_clients(
    make_app: AppFactory,
) -> None:
    app = make_app(model_factory=no_model)
    async with from_client(app, "198.51.100.4") as c:  # e.g. through a trusted proxy
        assert_error(await c.post("/specs/triage/v1", json=TRIAGE), 401, "unauthorized")
        assert_error(await c.get("/runs"), 401, "unauthorized")
    app = make_app(model_factory=no_model)
    async with from_client(app, "::1") as c:
        assert (await c.post("/specs/triage/v1", json=TRIAGE)).status_code == 200


async def test_require_api_keys_closes_a_loopback_server_without_keys(
    make_app: AppFactory,
) -> None:
    app = make_app(model_factory=no_model, settings=Settings(require_api_keys=True))
    async with running(app) as c:
        assert_error(await c.post("/specs/triage/v1", json=TRIAGE), 401, "unauthorized")
        schema = (await c.get("/openapi.json")).json()
        assert schema["paths"]["/runs"]["get"]["security"]


async def test_every_run_records_the_id_of_its_key_never_the_key(
    make_app: AppFactory, project: Path
) -> None:
    store = KeyStore(keys_path(Settings(), project))
    key, token = store.create("admin")
    async with running(make_app(model_factory=no_model)) as c:
        r = await c.post("/specs/triage/v1", json=TRIAGE, headers=bearer(token))
        run = (await c.get(f"/runs/{r.headers['X-Specwright-Run-Id']}",
                           headers=bearer(token))).json()
        assert run["key_id"] == key.id
        listed = (await c.get("/runs", headers=bearer(token))).text
    assert token not in json.dumps(run) and token not in listed
    db = (project / ".specwright" / "runs.sqlite3").read_bytes()
    assert key.id.encode() in db and token.encode() not in db


async def test_a_key_over_its_limit_gets_429_with_retry_after(
    make_app: AppFactory, project: Path
) -> None:
    store = KeyStore(keys_path(Settings(), project))
    _, limited = store.create("caller", rate_per_minute=2)
    _, default = store.create("caller")
    app = make_app(model_factory=no_model, settings=Settings(key_rate_per_minute=3))
    async with running(app) as c:
        codes = [(await c.post("/specs/triage/v1", json=TRIAGE, headers=bearer(limited))
                  ).status_code for _ in range(2)]
        assert codes == [200, 200]
        r = await c.post("/specs/triage/v1", json=TRIAGE, headers=bearer(limited))
        assert_error(r, 429, "key_rate_limited")
        assert 1 <= int(r.headers["Retry-After"]) <= 30
        codes = [(await c.post("/specs/triage/v1", json=TRIAGE, headers=bearer(default))
                  ).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]  # the server's default limit


def test_the_token_bucket_refills_at_the_key_rate() -> None:
    limiter = RateLimiter()
    assert [limiter.take("k", 60, now=0.0) for _ in range(60)] == [None] * 60
    wait = limiter.take("k", 60, now=0.0)
    assert wait is not None and 0.99 < wait <= 1.0
    assert limiter.take("k", 60, now=1.0) is None
    assert limiter.take("other", 0, now=0.0) is None  # 0: no limit


@pytest.fixture
def pg_url() -> Iterator[str]:
    assert PG_URL
    import psycopg

    schema = f"sw_keys_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@needs_pg
async def test_with_postgresql_keys_live_in_the_database_and_replicas_agree(
    make_app: AppFactory, project: Path, pg_url: str
) -> None:
    (project / "specwright.toml").write_text(f'database_url = "{pg_url}"\n')
    r = CliRunner().invoke(main, ["keys", "create", "--admin", "--project", str(project)])
    assert r.exit_code == 0, r.output
    token = r.output.strip().splitlines()[-1]
    assert not keys_path(Settings(), project).exists()  # no key file on this host
    key_id = r.output.split("key ")[1].split()[0]
    settings = Settings(database_url=pg_url)
    one = make_app(model_factory=no_model, settings=settings, bind_host="0.0.0.0")
    two = make_app(model_factory=no_model, settings=settings, bind_host="0.0.0.0")
    async with running(one) as a, running(two) as b:
        for c in (a, b):
            r = await c.post("/specs/triage/v1", json=TRIAGE, headers=bearer(token))
            assert r.status_code == 200, r.text
        run = (await a.get(f"/runs/{r.headers['X-Specwright-Run-Id']}",
                           headers=bearer(token))).json()
        assert run["key_id"] == key_id
        r = CliRunner().invoke(main, ["keys", "revoke", key_id, "--project", str(project)])
        assert r.exit_code == 0, r.output
        deadline = time.monotonic() + 10
        refused: set[int] = set()
        while len(refused) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            for i, c in enumerate((a, b)):
                got = await c.post("/specs/triage/v1", json=TRIAGE, headers=bearer(token))
                if got.status_code == 401:
                    refused.add(i)
        assert refused == {0, 1}
        assert_error(await a.get("/runs"), 401, "unauthorized")


async def test_a_damaged_key_file_refuses_every_request(
    make_app: AppFactory, project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = keys_path(Settings(), project)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    async with running(make_app(model_factory=no_model)) as c:
        for r in (await c.post("/specs/triage/v1", json=TRIAGE), await c.get("/runs")):
            assert_error(r, 401, "unauthorized")
        assert (await c.get("/healthz")).status_code == 200
    assert "cannot read API keys" in caplog.text
