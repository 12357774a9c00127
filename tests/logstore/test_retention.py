"""Retention on both backends: runs deleted by age and down to a size, their attempts with them,
and the run's key id kept through a round trip (migrations 0002 / 0003)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from specwright.runtime.logstore import LogStore, RunQuery
from specwright.runtime.logstore.retention import prune
from specwright.runtime.logstore.threaded import ThreadedLogStore
from specwright.runtime.records import RunRecord


@pytest.mark.parametrize("writer", ["thread"])
async def test_prune_by_age_then_by_size(
    store: LogStore, make_run: Callable[..., RunRecord], raw: Callable[..., list]
) -> None:
    assert isinstance(store, ThreadedLogStore)
    now = time.time()
    old = [make_run(created_at=now - 10 * 86400 + i) for i in range(3)]
    new = [make_run(created_at=now - 100 + i, input={"note": "n" * 20_000}) for i in range(40)]
    await asyncio.gather(*(store.write(r) for r in old + new))
    result = await prune(store, before=now - 86400, max_bytes=None)
    assert result.deleted == 3
    assert raw("SELECT count(*) FROM attempts WHERE run_id = %s", (old[0].id,))[0][0] == 0
    result = await prune(store, before=None, max_bytes=result.bytes_after // 2)
    left = (await store.query(RunQuery(limit=1000))).runs
    assert 0 < len(left) < len(new) and result.deleted == len(new) - len(left)
    assert {r.id for r in left} == {r.id for r in sorted(new, key=lambda r: r.id)[-len(left):]}


@pytest.mark.parametrize("writer", ["thread"])
async def test_a_run_keeps_its_key_id(store: LogStore, make_run: Callable[..., RunRecord]) -> None:
    run = make_run(key_id="key_0badc0de")
    await store.write(run)
    got = await store.get(run.id)
    assert got is not None and got.key_id == "key_0badc0de"
