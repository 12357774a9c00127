"""``LogStore.listen``: a commit's runs reach the listeners once committed, before any of their
``write`` calls returns; runs not committed never do; a failing listener breaks nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from specwright.runtime.logstore import LogStore, LogUnavailable
from specwright.runtime.records import RunRecord

MakeRun = Callable[..., RunRecord]


async def test_every_committed_run_is_told_once_before_its_write_returns(
    store: LogStore, make_run: MakeRun
) -> None:
    told: list[list[str]] = []
    store.listen(lambda runs: told.append([r.id for r in runs]))
    seen_when_written: list[bool] = []

    async def write(run: RunRecord) -> None:
        await store.write(run)
        seen_when_written.append(any(run.id in ids for ids in told))

    runs = [make_run() for _ in range(50)]
    await asyncio.gather(*(write(r) for r in runs))
    assert seen_when_written == [True] * 50
    flat = [run_id for ids in told for run_id in ids]
    assert sorted(flat) == sorted(r.id for r in runs)  # each exactly once
    assert len(told) < 50  # runs committed together are told together


async def test_a_run_that_fails_alone_is_not_told(store: LogStore, make_run: MakeRun) -> None:
    first = make_run()
    await store.write(first)
    told: list[str] = []
    store.listen(lambda runs: told.extend(r.id for r in runs))
    others = [make_run() for _ in range(20)]
    duplicate = make_run(id=first.id)
    results = await asyncio.gather(*(store.write(r) for r in [*others, duplicate]),
                                   return_exceptions=True)
    assert isinstance(results[-1], LogUnavailable)
    assert sorted(told) == sorted(r.id for r in others)


async def test_a_failing_listener_is_logged_and_breaks_neither_writes_nor_others(
    store: LogStore, make_run: MakeRun, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(runs: list[RunRecord]) -> None:
        raise RuntimeError("listener bug")

    told: list[str] = []
    store.listen(broken)
    stop = store.listen(lambda runs: told.extend(r.id for r in runs))
    run = make_run()
    with caplog.at_level(logging.ERROR, logger="specwright.logstore"):
        await store.write(run)
    assert told == [run.id]
    assert "a listener of committed runs failed (1 runs)" in caplog.text
    assert "listener bug" in caplog.text
    assert await store.get(run.id) == run
    stop()
    await store.write(make_run())
    assert told == [run.id]  # stopped: told no more
