"""Failed commits: every waiter of the batch is told, nothing half-written, the store recovers."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from specwright.runtime.logstore import LogStore, LogUnavailable, RunQuery, WriterMode
from specwright.runtime.records import RunRecord

MakeRun = Callable[..., RunRecord]


@contextmanager
def outage(backend: str, location: str, raw: Any) -> Iterator[None]:
    """Make every commit fail: SQLite, another process holds the write lock; PostgreSQL, the
    server reports a full disk (SQLSTATE 53100) on every insert."""
    if backend == "sqlite":
        blocker = sqlite3.connect(location, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        return
    raw(
        "CREATE FUNCTION sw_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'could not extend file: No space left on device' "
        "USING ERRCODE = 'disk_full'; END $$"
    )
    raw("CREATE TRIGGER sw_disk_full BEFORE INSERT ON runs EXECUTE FUNCTION sw_disk_full()")
    try:
        yield
    finally:
        raw("DROP TRIGGER sw_disk_full ON runs")
        raw("DROP FUNCTION sw_disk_full()")


async def test_failed_commit_fails_every_waiter_then_recovers(
    backend: str, location: str, raw: Any, make_store: Callable[..., LogStore], make_run: MakeRun
) -> None:
    options = {"busy_timeout_ms": 50} if backend == "sqlite" else {}
    store = make_store(**options)
    await store.start()
    try:
        before = make_run()
        await store.write(before)
        doomed = [make_run() for _ in range(40)]
        with outage(backend, location, raw):
            results = await asyncio.gather(
                *(store.write(r) for r in doomed), return_exceptions=True
            )
        assert all(isinstance(r, LogUnavailable) for r in results), results
        message = str(results[0])
        assert "cannot write run" in message and ("locked" in message or "No space" in message)
        assert store.stats.failed_runs == 40 and store.stats.runs == 1
        after = make_run()
        await store.write(after)  # the outage is over: the same store writes again
        page = await store.query(RunQuery(limit=100))
        assert [r.id for r in page.runs] == [after.id, before.id]
    finally:
        await store.close()


async def test_lost_postgres_connection_fails_the_batch_and_reconnects(
    pg_url: str, writer: WriterMode, make_run: MakeRun
) -> None:
    import psycopg

    from specwright.runtime.logstore.postgres import PostgresLogStore

    name = f"sw-test-{uuid.uuid4().hex[:12]}"
    store = PostgresLogStore(pg_url, application_name=name, writer=writer)
    await store.start()
    try:
        await store.write(make_run())
        with psycopg.connect(pg_url, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                (f"{name}-writer",),
            ).fetchall()
        assert killed == [(True,)]
        runs = [make_run() for _ in range(20)]
        results = await asyncio.gather(*(store.write(r) for r in runs), return_exceptions=True)
        failed = {r.id for r, res in zip(runs, results, strict=True) if res is not None}
        assert failed, "the first batch on a dead connection must fail"
        assert all(isinstance(res, LogUnavailable | None) for res in results)
        retry = make_run()
        await store.write(retry)  # reconnected
        stored = {r.id for r in (await store.query(RunQuery(limit=100))).runs}
        assert retry.id in stored
        assert stored.isdisjoint(failed)  # a run reported as failed was not committed
        assert {r.id for r in runs} - failed <= stored
    finally:
        await store.close()


@pytest.mark.parametrize("mode", ["thread", "process"])
async def test_unreachable_postgres_is_one_clear_error(mode: WriterMode) -> None:
    from specwright.runtime.logstore.postgres import PostgresLogStore

    store = PostgresLogStore(
        "postgresql://nobody:hunter2@127.0.0.1:1/none", connect_timeout_s=2, writer=mode
    )
    with pytest.raises(LogUnavailable, match="cannot open the execution log at postgresql://") as e:
        await store.start()
    assert "hunter2" not in str(e.value) and "Connection refused" in str(e.value)
    assert "hunter2" not in store.location
    with pytest.raises(LogUnavailable, match="not open"):
        await store.write(None)  # type: ignore[arg-type]


async def test_a_failed_commit_tells_nobody(
    backend: str, location: str, raw: Any, make_store: Callable[..., LogStore],
    make_run: MakeRun,
) -> None:
    options = {"busy_timeout_ms": 50} if backend == "sqlite" else {}
    store = make_store(**options)
    await store.start()
    told: list[str] = []
    store.listen(lambda runs: told.extend(r.id for r in runs))
    try:
        with outage(backend, location, raw):
            results = await asyncio.gather(*(store.write(make_run()) for _ in range(10)),
                                           return_exceptions=True)
        assert all(isinstance(r, LogUnavailable) for r in results)
        assert told == []
        after = make_run()
        await store.write(after)
        assert told == [after.id]
    finally:
        await store.close()
