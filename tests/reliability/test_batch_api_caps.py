"""``specwright run --batch-api`` within the providers' caps, and with the answer cache and the
budgets: a job is cut into chunks and batches that stay under the (here, small) caps, each batch
recorded and resumed after a crash; a cached answer never becomes a batch item; a spent budget
stops submitting, and the refused lines run on the next resume."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rel_support import CARRIER_DOMESTIC, KEYS
from test_batch_api_run import Crash, all_runs, project_for

from specwright.runtime.config import AnswerCacheSettings, BudgetSettings, load_settings
from specwright.runtime.engine.batch_api_run import run_batch_api
from specwright.runtime.fakeserver import FakeConfig, FakeServerThread
from specwright.runtime.logstore.bulk import BatchState, job_id, open_bulk_db
from specwright.runtime.models.batch_api import BatchCaps, batch_api_for
from specwright.runtime.models.rate_limits import LIMITERS

BIG = 10**9


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    LIMITERS.clear()


def fake_batches(fake: FakeServerThread) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Every batch the fake received: its id -> its (custom id, body) items."""
    return fake.call(lambda: {b.id: list(b.requests)
                              for b in fake.server.batches.batches.values()})


def crash_at(n: int, seen: list[BatchState]) -> Any:
    def submitted(state: BatchState) -> None:
        seen.append(state)
        if len(seen) == n:
            raise Crash

    return submitted


async def check_each_line_once(settings: Any, root: Path, lines: int,
                               batches: dict[str, list[tuple[str, dict[str, Any]]]]) -> None:
    """Every line logged once, its first attempt marked with the batch that held its item."""
    runs = await all_runs(settings, root)
    assert len(runs) == lines
    holder = {cid: batch_id for batch_id, items in batches.items() for cid, _ in items}
    assert len(holder) == sum(len(items) for items in batches.values())  # no item twice
    for run in runs:
        order = run.input["order_id"] if run.input else ""
        first = run.attempts[0]
        assert first.batch_id is not None and first.batch_id in batches
        assert holder[f"line-{int(order.split('-')[1]) + 1}"] == first.batch_id


@pytest.mark.parametrize("route", ["openai:gpt-4.1-mini", "anthropic:claude-haiku-4-5"])
async def test_a_job_is_cut_into_batches_under_the_request_cap_and_resumes_each(
        tmp_path: Path, route: str) -> None:
    lines = 25
    with FakeServerThread(FakeConfig()) as fake:
        root, src = project_for(tmp_path, fake.url, lines, route)
        settings = load_settings(root)
        caps = BatchCaps(max_requests=10, max_bytes=BIG)
        seen: list[BatchState] = []
        marked: list[int] = []
        crash = crash_at(2, seen)

        def submitted(state: BatchState) -> None:  # a kill here must not re-run chunk 1
            db = open_bulk_db(settings, root)
            try:
                marked.append(len(db.done(job_id("carrier-selection", 1, src))))
            finally:
                db.close()
            crash(state)

        with pytest.raises(Crash):  # dies right after the second chunk's batch is recorded
            await run_batch_api(settings, root, "carrier-selection", src, io.StringIO(),
                                poll_s=0.01, caps=caps, on_submitted=submitted)
        assert marked == [0, 10]  # chunk 1 was marked done before chunk 2 was submitted
        assert len(await all_runs(settings, root)) == 10  # the first chunk is logged
        assert seen[1].state["chunk_last"] == 20 and seen[1].state["history"] == [
            seen[0].batch_id]
        summary = await run_batch_api(settings, root, "carrier-selection", src, io.StringIO(),
                                      poll_s=0.01, caps=caps)
        batches = fake_batches(fake)
        stats = fake.stats()
    assert summary.ok == 15 and summary.skipped == 10 and summary.failed == 0
    assert stats["batches_created"] == 3  # the restart took up the recorded second batch
    assert sorted(len(items) for items in batches.values()) == [5, 10, 10]
    assert stats["requests"] == lines  # the batch items: no live call was made
    await check_each_line_once(settings, root, lines, batches)
    db = open_bulk_db(settings, root)
    try:
        last = db.batch(job_id("carrier-selection", 1, src))
    finally:
        db.close()
    assert last is not None  # every batch of the job stays on record
    assert sorted(last.state["history"] + [b["id"] for b in last.state["batches"]]) == sorted(
        batches)


async def test_a_chunk_past_the_byte_cap_becomes_several_batches(tmp_path: Path) -> None:
    lines = 12
    with FakeServerThread(FakeConfig()) as fake:
        root, src = project_for(tmp_path, fake.url, lines, "openai:gpt-4.1-mini")
        settings = load_settings(root)
        api = batch_api_for("openai")
        assert api is not None
        probe = root / "probe.jsonl"  # one line, to learn how large an item is
        probe.write_text(json.dumps({**CARRIER_DOMESTIC, "order_id": "B-99"}) + "\n")
        await run_batch_api(settings, root, "carrier-selection", probe, io.StringIO(),
                            poll_s=0.01)
        [(cid, body)] = next(iter(fake_batches(fake).values()))
        size = len(api.encode(cid, body))
        caps = BatchCaps(max_requests=100, max_bytes=int(size * 3.5))
        seen: list[BatchState] = []
        with pytest.raises(Crash):  # dies after two of the chunk's four batches are recorded
            await run_batch_api(settings, root, "carrier-selection", src, io.StringIO(),
                                poll_s=0.01, caps=caps, on_submitted=crash_at(2, seen))
        assert [len(b["lines"]) for b in seen[1].state["batches"]] == [3, 3]
        summary = await run_batch_api(settings, root, "carrier-selection", src, io.StringIO(),
                                      poll_s=0.01, caps=caps)
        batches = fake_batches(fake)
        stats = fake.stats()
    assert summary.ok == lines
    assert stats["batches_created"] == 1 + 4  # the probe's, then the job's four, none again
    job = {b: items for b, items in batches.items() if all(c != "line-1" or len(items) > 1
                                                           for c, _ in items)}
    assert sorted(len(items) for items in job.values()) == [3, 3, 3, 3]
    for items in job.values():
        assert sum(len(api.encode(c, b)) for c, b in items) <= caps.max_bytes
    runs = [r for r in await all_runs(settings, root) if r.input and r.input["order_id"] != "B-99"]
    assert len(runs) == lines and all(r.attempts[0].batch_id in job for r in runs)


async def test_a_cached_answer_skips_the_batch_item(tmp_path: Path) -> None:
    with FakeServerThread(FakeConfig()) as fake:
        root, src = project_for(tmp_path, fake.url, 10, "anthropic:claude-haiku-4-5")
        src.write_text(src.read_text() * 2)  # lines 11-20 repeat lines 1-10
        settings = load_settings(root).model_copy(update={
            "answer_cache": AnswerCacheSettings(specs={"carrier-selection": "1h"})})
        summary = await run_batch_api(settings, root, "carrier-selection", src, io.StringIO(),
                                      poll_s=0.01, caps=BatchCaps(10, BIG))
        batches = fake_batches(fake)
        stats = fake.stats()
    assert summary.ok == 20
    assert stats["batches_created"] == 1 and stats["requests"] == 10  # chunk 2: all cached
    assert [len(items) for items in batches.values()] == [10]
    runs = await all_runs(settings, root)
    cached = [r for r in runs if r.cached_from is not None]
    assert len(runs) == 20 and len(cached) == 10
    assert all(r.attempts == () for r in cached)
    assert {r.cached_from for r in cached} == {r.id for r in runs if r.cached_from is None}


async def test_a_spent_budget_stops_submitting_and_a_resume_goes_on(tmp_path: Path) -> None:
    with FakeServerThread(FakeConfig()) as fake:
        root, src = project_for(tmp_path, fake.url, 20, "openai:gpt-4.1-mini")
        base = load_settings(root)
        tight = base.model_copy(update={  # spent by the first chunk's answers
            "budgets": BudgetSettings(specs={"carrier-selection": {"tokens_per_day": 1}})})
        out = io.StringIO()
        first = await run_batch_api(tight, root, "carrier-selection", src, out, poll_s=0.01,
                                    caps=BatchCaps(10, BIG))
        assert fake.stats()["batches_created"] == 1  # the second chunk was not submitted
        rows = [json.loads(x) for x in out.getvalue().splitlines()]
        assert [r["status"] for r in rows] == ["ok"] * 10 + ["budget_exceeded"] * 10
        assert all(r["run_id"] is None for r in rows[10:])
        assert first.stopped and first.exit_code == 1
        assert first.budget_spent is not None and "carrier-selection" in first.budget_spent
        assert len(await all_runs(base, root)) == 10  # refused lines are not logged
        second = await run_batch_api(base, root, "carrier-selection", src, io.StringIO(),
                                     poll_s=0.01, caps=BatchCaps(10, BIG))
        stats = fake.stats()
    assert second.skipped == 10 and second.ok == 10 and second.exit_code == 0
    assert stats["batches_created"] == 2
    assert len(await all_runs(base, root)) == 20
