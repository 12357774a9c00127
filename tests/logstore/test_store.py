"""The shared log-store suite: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any

import pytest

from specwright.runtime.http.runs import run_out
from specwright.runtime.logstore import (
    InvalidQuery,
    LogStore,
    LogUnavailable,
    RunQuery,
    migrations,
    new_run_id,
)
from specwright.runtime.logstore.threaded import ThreadedLogStore
from specwright.runtime.records import Attempt, RunRecord

MakeRun = Callable[..., RunRecord]


async def all_runs(store: LogStore, **filters: Any) -> list[RunRecord]:
    runs: list[RunRecord] = []
    cursor = None
    while True:
        page = await store.query(RunQuery(limit=1000, cursor=cursor, **filters))
        runs.extend(page.runs)
        if page.next_cursor is None:
            return runs
        cursor = page.next_cursor


async def test_every_field_round_trips(store: LogStore, make_run: MakeRun, raw: Any) -> None:
    t = 1_718_000_000.123456
    full = make_run(
        created_at=t,
        status="escalated",
        input={"text": "naïve — ünïcode ✓", "nested": {"list": [1, 2.5, None, True]}, "n": 10**15},
        output={"decision": "refund", "amount": 12.34},
        error={"type": "guardrail_failed", "message": "m", "details": [{"label": "x"}]},
        model="anthropic:claude-3-5-haiku",
        mock=True,
        rule_trace=(
            {"table": "a", "rows": [1, 3], "line": 10},
            {"table": "b", "rows": [], "line": 20},
        ),
        guardrails=(
            {"label": "ok", "passed": True, "line": 5},
            {"label": "no", "passed": False, "line": 6},
        ),
        attempts=(
            Attempt(
                "openai",
                "gpt-4o",
                "call",
                t - 2.5,
                1500.0,
                "error",
                error_class="RateLimited",
                error="429 slow down",
            ),
            Attempt("openai", "gpt-4o", "retry", t - 1.0, 800.125, "ok", 1000, 200, 512, 0.0),
            Attempt(
                "anthropic",
                "claude-3-5-haiku",
                "repair",
                t - 0.2,
                150.5,
                "ok",
                1200,
                90,
                None,
                0.0042,
            ),
        ),
    )
    bare = make_run(input=None, output=None, model=None, rule_trace=(), guardrails=(), attempts=())
    free = make_run(attempts=(Attempt("local", "llama3", "call", t, 5.0, "ok", 3, 4, None, 0.0),))
    batched = make_run(attempts=(Attempt("openai", "gpt-4o", "call", t, 9.0, "ok", 3, 4, None,
                                         0.5, batch_id="batch_abc123"),))
    for run in (full, bare, free, batched):
        await store.write(run)
    for run in (full, bare, free, batched):
        assert await store.get(run.id) == run
    page = await store.query(RunQuery())
    assert list(page.runs) == [batched, free, bare, full]
    assert raw("SELECT batch_id FROM attempts WHERE run_id = %s", (batched.id,)) == [
        ("batch_abc123",)]
    # GET /runs/{id} shows which provider batch served an attempt
    shown = run_out(batched).model_dump()["attempts"][0]
    assert shown["batch_id"] == "batch_abc123"
    assert run_out(free).model_dump()["attempts"][0]["batch_id"] is None
    # Totals on the run row: cost NULL when any attempt's price is unknown, 0.0 when all free.
    totals = {
        r[0]: r[1:]
        for r in raw("SELECT id, input_tokens, output_tokens, cost_usd, attempt_count FROM runs")
    }
    assert totals[full.id] == (2200, 290, None, 3)
    assert totals[bare.id] == (0, 0, 0.0, 0)
    assert totals[free.id] == (3, 4, 0.0, 1)
    assert full.cost_usd is None and free.cost_usd == 0.0


async def test_get_unknown_id_is_none(store: LogStore) -> None:
    assert await store.get(new_run_id()) is None
    assert await store.get("not-a-run-id") is None


async def test_filters_combine(store: LogStore, make_run: MakeRun) -> None:
    t0 = 1_700_000_000.0
    runs = [
        make_run(spec=spec, revision=rev, status=status, created_at=t0 + i)
        for i, (spec, rev, status) in enumerate(
            [
                ("a", 1, "ok"),
                ("a", 2, "ok"),
                ("a", 2, "model_error"),
                ("b", 1, "ok"),
                ("b", 1, "guardrail_failed"),
                ("a", 1, "escalated"),
            ]
        )
    ]
    await asyncio.gather(*(store.write(r) for r in runs))

    async def ids(**filters: Any) -> list[str]:
        return [r.id for r in (await store.query(RunQuery(**filters))).runs]

    def expect(pred: Callable[[RunRecord], bool]) -> list[str]:
        return sorted((r.id for r in runs if pred(r)), reverse=True)

    assert await ids() == expect(lambda r: True)
    assert await ids(spec="a") == expect(lambda r: r.spec == "a")
    assert await ids(spec="a", revision=2) == expect(lambda r: r.spec == "a" and r.revision == 2)
    assert await ids(status="ok") == expect(lambda r: r.status == "ok")
    assert await ids(spec="b", status="ok") == [runs[3].id]
    assert await ids(since=t0 + 2, until=t0 + 4) == expect(
        lambda r: t0 + 2 <= r.created_at < t0 + 4
    )
    assert await ids(spec="a", since=t0 + 1) == expect(
        lambda r: r.spec == "a" and r.created_at >= t0 + 1
    )
    assert await ids(until=t0) == []
    assert await ids(spec="nope") == []


async def test_pagination_has_no_gaps_or_duplicates(store: LogStore, make_run: MakeRun) -> None:
    runs = [make_run(spec="even" if i % 2 == 0 else "odd") for i in range(137)]
    await asyncio.gather(*(store.write(r) for r in runs))
    for spec in (None, "odd"):
        expected = sorted((r.id for r in runs if spec in (None, r.spec)), reverse=True)
        late: list[RunRecord] = []
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            page = await store.query(RunQuery(spec=spec, limit=20, cursor=cursor))
            assert len(page.runs) <= 20
            seen.extend(r.id for r in page.runs)
            pages += 1
            if pages == 2:  # runs written mid-walk are newer: they never shift later pages
                late += [make_run(spec="even"), make_run(spec="odd")]
                for run in late:
                    await store.write(run)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == expected
        assert pages == math.ceil(len(expected) / 20)
        runs += late


async def test_concurrent_writes_are_all_durable(
    make_store: Callable[..., LogStore], make_run: MakeRun
) -> None:
    store = make_store()
    await store.start()
    runs = [make_run(spec=f"s{i % 7}") for i in range(500)]
    await asyncio.gather(*(store.write(r) for r in runs))
    stats = store.stats
    await store.close()
    assert stats.runs == 500 and stats.failed_runs == 0
    assert stats.batches < 500  # group commit: runs shared transactions
    reopened = make_store()
    await reopened.start()
    try:
        stored = await all_runs(reopened)
        assert sorted(r.id for r in stored) == sorted(r.id for r in runs)
        assert await reopened.get(runs[123].id) == runs[123]
    finally:
        await reopened.close()


async def test_backpressure_bounds_the_queue(
    make_store: Callable[..., LogStore], make_run: MakeRun
) -> None:
    store = make_store(max_pending=4, max_batch=3)
    await store.start()
    try:
        runs = [make_run() for _ in range(60)]
        writes = asyncio.gather(*(store.write(r) for r in runs))
        assert isinstance(store, ThreadedLogStore)
        writer = store._writer
        assert writer is not None
        seen = 0
        while not writes.done():  # watched from the loop, between any two steps of the writes
            seen = max(seen, writer.in_flight)
            await asyncio.sleep(0)
        await writes
        assert seen == 4  # the bound was reached, and never exceeded
        assert writer.in_flight == 0
        assert store.stats.runs == 60 and store.stats.max_batch <= 3
        assert len(await all_runs(store)) == 60
    finally:
        await store.close()


async def test_close_flushes_accepted_runs_and_refuses_new_ones(
    make_store: Callable[..., LogStore], make_run: MakeRun
) -> None:
    store = make_store()
    await store.start()
    runs = [make_run() for _ in range(50)]
    tasks = [asyncio.create_task(store.write(r)) for r in runs]
    await asyncio.sleep(0)  # every write is queued
    tasks[0].cancel()  # a caller that gave up: its run is still written
    await store.close()
    await asyncio.gather(*tasks[1:])
    with pytest.raises(LogUnavailable, match="not open"):
        await store.write(make_run())
    reopened = make_store()
    await reopened.start()
    try:
        assert {r.id for r in await all_runs(reopened)} == {r.id for r in runs}
    finally:
        await reopened.close()


async def test_a_bad_run_fails_alone(store: LogStore, make_run: MakeRun) -> None:
    first = make_run()
    await store.write(first)
    others = [make_run() for _ in range(30)]
    duplicate = make_run(id=first.id)
    batch = [*others[:15], duplicate, *others[15:]]
    results = await asyncio.gather(*(store.write(r) for r in batch), return_exceptions=True)
    failures = [i for i, r in enumerate(results) if r is not None]
    assert failures == [15]
    assert isinstance(results[15], LogUnavailable) and results[15].status == 503
    assert first.id in str(results[15])
    assert await store.get(first.id) == first
    assert len(await all_runs(store)) == 31


async def test_unstorable_value_fails_before_queueing(store: LogStore, make_run: MakeRun) -> None:
    with pytest.raises(LogUnavailable, match="cannot be logged"):
        await store.write(make_run(output={"score": math.nan}))
    assert store.stats.pending == 0 and store.stats.failed_runs == 0


async def test_query_is_validated() -> None:
    with pytest.raises(InvalidQuery):
        RunQuery(limit=0)
    with pytest.raises(InvalidQuery):
        RunQuery(limit=1001)
    with pytest.raises(InvalidQuery, match="cursor"):
        RunQuery(cursor="abc")
    with pytest.raises(InvalidQuery, match="status"):
        RunQuery(status="fine")
    with pytest.raises(InvalidQuery, match="since"):
        RunQuery(since=2.0, until=1.0)


async def test_migrations_are_tracked_and_idempotent(
    make_store: Callable[..., LogStore], make_run: MakeRun, raw: Any
) -> None:
    run = make_run()
    for _ in range(3):
        store = make_store()
        await store.start()
        if await store.get(run.id) is None:
            await store.write(run)
        await store.close()
    versions = raw("SELECT version, name FROM schema_migrations ORDER BY version")
    expected = [(m.version, m.name) for m in migrations.load(store.backend)]
    assert versions == expected and expected[0] == (1, "initial")
    assert raw("SELECT count(*) FROM runs") == [(1,)]


async def test_a_newer_schema_is_refused(make_store: Callable[..., LogStore], raw: Any) -> None:
    store = make_store()
    await store.start()
    await store.close()
    raw(
        "INSERT INTO schema_migrations (version, name) VALUES (99, 'future')"
        if "postgres" in store.backend
        else "INSERT INTO schema_migrations VALUES (99, 'future', 0)"
    )
    with pytest.raises(LogUnavailable, match="newer than this Specwright"):
        await make_store().start()


async def test_caller_and_model_text_round_trips_exactly(
    make_store: Callable[..., LogStore], make_run: MakeRun
) -> None:
    # U+0000 is valid JSON text; PostgreSQL's jsonb cannot hold it (migration 0002 stores
    # caller and model data as json). Any character a caller may send must be loggable.
    text = "A-\u0000-1 \u00e9 \U0001f600 \\u0000 \"quoted\""
    run = make_run(
        input={"order_id": text, text: [text]},
        output={"reason": text},
        error={"type": "x", "message": text, "details": None},
    )
    store = make_store()
    await store.start()
    try:
        await store.write(run)
        back = await store.get(run.id)
    finally:
        await store.close()
    assert back is not None
    assert (back.input, back.output, back.error) == (run.input, run.output, run.error)
