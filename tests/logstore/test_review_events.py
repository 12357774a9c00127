"""Review cases in the log: escalated runs, append-only events, one resolution per case."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from specwright.runtime.errors import AlreadyResolved
from specwright.runtime.logstore import LogStore
from specwright.runtime.logstore.reviews import CaseQuery, ReviewLog
from specwright.runtime.records import RunRecord

TRACE = ({"table": "Decision: needs_review", "line": 60, "rows": [8], "row_lines": [71]},)


@pytest.fixture
def writer() -> str:
    return "thread"  # the review events do not go through the writer: one mode is enough


async def _escalated(store: LogStore, make_run: Callable[..., RunRecord], **kw: Any) -> RunRecord:
    run = make_run(status="escalated", rule_trace=TRACE, **kw)
    await store.write(run)
    return run


async def test_a_case_is_its_escalated_run_and_gathers_events(
    store: LogStore, make_run: Callable[..., RunRecord], raw: Any
) -> None:
    await store.write(make_run())  # an ok run opens no case
    run = await _escalated(store, make_run)
    reviews = ReviewLog(store)
    try:
        page, cursor = await reviews.cases(CaseQuery())
        assert [c.id for c in page] == [run.id] and cursor is None
        assert page[0].state == "open" and page[0].output == run.output
        await reviews.add(run.id, "claim", "ana", {})
        assert (await reviews.cases(CaseQuery(state="open")))[0] == []
        claimed = await reviews.case(run.id)
        assert claimed is not None and claimed.state == "claimed" and claimed.claim is not None
        await reviews.add(run.id, "resolve", "ana", {"output": {"carrier": "fedex"}})
        done = await reviews.case(run.id)
        assert done is not None and done.state == "resolved"
        assert done.resolution is not None and done.resolution.data["output"] == {"carrier": "fedex"}
        assert [c.id for c in (await reviews.cases(CaseQuery(row_line=71)))[0]] == [run.id]
        assert (await reviews.cases(CaseQuery(row_line=72)))[0] == []
        assert (await reviews.cases(CaseQuery(spec="other")))[0] == []
        assert (await reviews.cases(CaseQuery(older_than_s=3600)))[0] == []
        # the run itself is unchanged: the resolution lives beside it
        assert (await store.get(run.id)) == run
        kinds = [r[0] for r in raw("SELECT kind FROM review_events ORDER BY id")]
        assert kinds == ["claim", "resolve"]
    finally:
        await reviews.close()


async def test_two_reviewers_cannot_both_resolve_a_case(
    store: LogStore, make_run: Callable[..., RunRecord], raw: Any
) -> None:
    run = await _escalated(store, make_run)
    first, second = ReviewLog(store), ReviewLog(store)  # two connections, as two servers
    try:
        results = await asyncio.gather(
            *(log.add(run.id, "resolve", name, {"output": {"carrier": name}})
              for log, name in ((first, "ana"), (second, "bo"))),
            return_exceptions=True,
        )
    finally:
        await first.close()
        await second.close()
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], AlreadyResolved)
    assert raw("SELECT count(*) FROM review_events WHERE kind = 'resolve'")[0][0] == 1


async def test_pages_follow_the_cursor(
    store: LogStore, make_run: Callable[..., RunRecord]
) -> None:
    ids = [(await _escalated(store, make_run)).id for _ in range(5)]
    reviews = ReviewLog(store)
    try:
        seen, cursor = [], None
        while True:
            page, cursor = await reviews.cases(CaseQuery(limit=2, cursor=cursor))
            seen += [c.id for c in page]
            if cursor is None:
                break
    finally:
        await reviews.close()
    assert seen == sorted(ids, reverse=True)
