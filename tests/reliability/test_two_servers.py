"""Two ``specwright serve`` processes on one PostgreSQL execution log.

Both start at the same moment on an empty schema (so both try to apply the migrations), then
take concurrent load, rules-only and model-backed. Afterwards the log holds exactly the runs
the two servers answered: none lost, none duplicated, each with its own attempts, and every
migration applied once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
from rel_support import CARRIER_DOMESTIC, ORDER_OK, Server, make_project, post_each, tracebacks

from specwright.runtime.fakeserver import FakeServerThread
from specwright.runtime.logstore import migrations

PER_SERVER = 100


def requests_for(server: Server, tag: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for i in range(PER_SERVER):
        if i % 2:
            out.append((f"{server.url}/specs/order-validation/v1",
                        {**ORDER_OK, "order_id": f"{tag}-{i}"}))
        else:
            out.append((f"{server.url}/specs/carrier-selection/v1",
                        {**CARRIER_DOMESTIC, "order_id": f"{tag}-{i}"}))
    return out


async def test_two_servers_on_one_postgres_log(
    tmp_path: Path, fake: FakeServerThread, pg_url: str
) -> None:
    fake.configure(latency_ms=5)
    project = make_project(tmp_path / "proj", fake.url,
                           specs=("carrier-selection", "order-validation"))
    env = {"SPECWRIGHT_DATABASE_URL": pg_url}
    servers = [Server(project, env=env), Server(project, env=env)]  # racing to migrate
    try:
        await asyncio.gather(*(asyncio.to_thread(s.wait_ready) for s in servers))
        answers = await asyncio.wait_for(asyncio.gather(
            post_each(requests_for(servers[0], "A"), concurrency=8),
            post_each(requests_for(servers[1], "B"), concurrency=8)), 90)
    finally:
        for s in servers:
            s.stop()
    flat = [a for batch in answers for a in batch]
    assert Counter(a.status for a in flat) == {200: 2 * PER_SERVER}
    ids = [a.run_id or "" for a in flat]
    assert len(set(ids)) == len(ids) == 2 * PER_SERVER, "run ids are unique across processes"
    for s in servers:
        assert not tracebacks(s.output()), s.output()[-3000:]

    with psycopg.connect(pg_url) as conn:
        stored = [row[0] for row in conn.execute("SELECT id FROM runs")]
        attempts: dict[str, int] = dict(
            conn.execute("SELECT run_id, count(*) FROM attempts GROUP BY run_id").fetchall())
        specs: dict[str, str] = dict(conn.execute("SELECT id, spec FROM runs").fetchall())
        applied = [row[0] for row in conn.execute("SELECT version FROM schema_migrations")]
    assert sorted(stored) == sorted(ids), "the log holds exactly the acknowledged runs"
    assert sum(attempts.values()) == fake.stats()["requests"]
    for run_id in ids:
        expected = 1 if specs[run_id] == "carrier-selection" else 0
        assert attempts.get(run_id, 0) == expected, run_id
    known = [m.version for m in migrations.load("postgres")]
    assert sorted(applied) == sorted(known), "every migration applied exactly once"
