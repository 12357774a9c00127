"""Adaptive linger of the group-commit writer: a sequential caller is never made to wait for
company; runs that arrive together still share commits, and every write is durable."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from specwright.runtime.logstore import LogStore
from specwright.runtime.logstore.writer import GroupCommitWriter
from specwright.runtime.records import RunRecord

MakeRun = Callable[..., RunRecord]


async def test_a_sequential_caller_never_lingers(
    store: LogStore, make_run: MakeRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    lingered: list[int] = []
    original = GroupCommitWriter._linger

    def counting(self: GroupCommitWriter) -> None:
        lingered.append(1)
        original(self)

    monkeypatch.setattr(GroupCommitWriter, "_linger", counting)
    runs = [make_run() for _ in range(30)]
    for run in runs:  # one at a time: nothing arrives while a run commits
        await store.write(run)
    assert lingered == []
    assert store.stats.runs == 30 and store.stats.batches == 30
    assert await store.get(runs[-1].id) == runs[-1]


async def test_bursts_share_commits_and_are_all_durable(
    store: LogStore, make_run: MakeRun
) -> None:
    async def burst(n: int) -> list[Any]:
        runs = [make_run() for _ in range(n)]
        await asyncio.gather(*(store.write(r) for r in runs))
        return runs

    written = []
    for _ in range(5):
        written += await burst(40)
    assert store.stats.runs == 200 and store.stats.failed_runs == 0
    assert store.stats.batches < 200
    for run in written[::37]:
        assert await store.get(run.id) == run
