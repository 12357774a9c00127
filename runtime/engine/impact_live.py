"""``specwright impact --live``: the candidate's answers with its model, for the comparison.

Runs go through the real pipeline (``execute``) with the configured route, at most
``concurrency`` at a time, and are not written to the execution log: a preview is not traffic.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from specwright.runtime.engine.catalog import LoadedRevision
from specwright.runtime.engine.impact import Outcome
from specwright.runtime.engine.model_factory import ModelFactory
from specwright.runtime.engine.pipeline import execute
from specwright.runtime.records import RunRecord


class _Unlogged:
    async def write(self, run: RunRecord) -> None:
        return None


async def live_outcomes(revision: LoadedRevision, inputs: Sequence[Any], models: ModelFactory,
                        *, deadline_s: float, concurrency: int = 8) -> list[Outcome]:
    gate = asyncio.Semaphore(concurrency)
    store = _Unlogged()

    async def one(raw: Any) -> Outcome:
        async with gate:
            result = await execute(revision, raw, model=lambda: models(revision), store=store,
                                   deadline_s=deadline_s)
        return Outcome(result.run.status, result.body if result.ok else None)

    return list(await asyncio.gather(*(one(x) for x in inputs)))
