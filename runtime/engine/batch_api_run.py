"""``specwright run SPEC --input FILE --batch-api``: a JSON-lines file through a provider's
batch API, every line logged exactly as ``specwright run`` logs it.

Every remaining line of the job runs through the normal pipeline at once (validation, tables,
prompt); the lines that need the model wait while their requests are submitted as one batch to
the first model of the route that has a batch API (``models/batch_api``). The batch's id is
recorded in the log database (``bulk_jobs``) right after it is submitted, so the same command
run again after a crash or Ctrl-C polls that batch instead of submitting another. Then each
line's run finishes with the batch's answer (checked, repaired through the normal route when it
fails) and is logged, and the line is marked done (``bulk_lines``).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from specwright.runtime.config import Settings
from specwright.runtime.engine.batch import (
    BatchSummary,
    TextSink,
    input_lines,
    open_progress,
    resolve_revision,
    run_batch,
    run_line,
    summarize,
)
from specwright.runtime.engine.batch_api_model import LINE, BatchCoordinator, BatchRouteModel
from specwright.runtime.engine.bulk import OK_STATUSES, LineResult
from specwright.runtime.engine.catalog import LoadedRevision, load_catalog
from specwright.runtime.engine.model_factory import DefaultModels
from specwright.runtime.errors import ModelNotConfigured
from specwright.runtime.logstore import open_store
from specwright.runtime.logstore.bulk import BatchState
from specwright.runtime.models.batch_api import BatchAPI, BatchStatus, batch_api_for
from specwright.runtime.models.registry import endpoint_for
from specwright.runtime.models.route_strategies import Candidate
from specwright.runtime.models.router import Router

__all__ = ["run_batch_api"]


def batch_target(router: Router, settings: Settings, env: Mapping[str, str]
                 ) -> tuple[Candidate, BatchAPI]:
    """The first model of the route whose provider has a batch API."""
    for candidate in router.candidates:
        try:
            kind = endpoint_for(candidate.provider, settings, env).kind
        except ModelNotConfigured:
            continue
        api = batch_api_for(kind)
        if api is not None:
            return candidate, api
    raise ModelNotConfigured(
        f"no model of the route ({', '.join(c.ref for c in router.candidates) or 'none'}) has "
        "a batch API: --batch-api needs an openai or anthropic deployment; run without it")


async def run_batch_api(
    settings: Settings,
    root: Path,
    spec: str,
    input_path: Path,
    out: TextSink,
    *,
    major: int | None = None,
    progress: Callable[[LineResult], None] | None = None,
    stop: asyncio.Event | None = None,
    on_start: Callable[[int], None] | None = None,
    on_status: Callable[[BatchStatus], None] | None = None,
    on_submitted: Callable[[BatchState], None] | None = None,
    poll_s: float = 30.0,
    env: Mapping[str, str] | None = None,
) -> BatchSummary:
    """Run the job's remaining lines through the provider batch (resumed if one is recorded).
    ``on_submitted`` is called once a new batch is recorded."""
    catalog = load_catalog(settings.path(root, settings.generated_dir))
    revision = resolve_revision(catalog, spec, major)
    if not revision.compiled.model_decided:  # the tables decide everything: nothing to batch
        return await run_batch(settings, root, spec, input_path, out, major=major,
                               progress=progress, stop=stop, resume=True, on_start=on_start)
    models = DefaultModels(settings, mock=False)
    thread = ThreadPoolExecutor(1, thread_name_prefix="specwright-bulk")
    loop = asyncio.get_running_loop()
    try:
        tracker = await loop.run_in_executor(thread, open_progress, settings, root, revision,
                                             input_path, False, thread)
    except BaseException:
        thread.shutdown(wait=False)
        raise
    log = open_store(settings, root)
    summary = BatchSummary()
    try:
        await log.start()
        router = models(revision)
        if not isinstance(router, Router):
            raise ModelNotConfigured(f"{spec} has no model route to batch")
        candidate, api = batch_target(router, settings, os.environ if env is None else env)
        adapter = getattr(candidate.model, "inner", candidate.model)
        client = getattr(adapter, "_client", None)
        if client is None:
            missing = getattr(adapter, "_missing", None)
            raise missing if isinstance(missing, ModelNotConfigured) else ModelNotConfigured(
                f"{candidate.ref} cannot be called")
        remaining = list(tracker.remaining(input_lines(input_path)))
        summary.skipped = sum(1 for n, _ in input_lines(input_path) if tracker.skips(n))
        if on_start is not None:
            on_start(summary.skipped)
        recorded = await loop.run_in_executor(thread, tracker.db.batch, tracker.job)

        async def record(state: BatchState) -> None:
            await loop.run_in_executor(thread, tracker.db.set_batch, tracker.job, state)
            if on_submitted is not None:
                on_submitted(state)

        coordinator = BatchCoordinator(api=api, client=client, adapter=adapter,
                                       expected=len(remaining), recorded=recorded,
                                       record=record, poll_s=poll_s, on_status=on_status)
        batched = BatchRouteModel(coordinator, router, provider=candidate.provider,
                                  model=candidate.model_name, price=candidate.price)
        finished: dict[int, tuple[dict[str, Any], float | None]] = {}

        def done(row: dict[str, Any], cost: float | None) -> None:  # logged: mark it now
            finished[row["line"]] = (row, cost)
            tracker.record(LineResult(row["line"], row["run_id"], row["status"],
                                      row["status"] in OK_STATUSES and "output" in row, cost))

        summary.stopped = not await _run_all(revision, remaining, coordinator, batched, log,
                                             settings.routing.deadline_s, stop, done)
        for line in sorted(finished):
            row, cost = finished[line]
            ok = summarize(summary, row)
            out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
            if progress is not None:
                progress(LineResult(row["line"], row["run_id"], row["status"], ok, cost))
        return summary
    finally:
        await tracker.close()
        await models.aclose()
        await log.close()  # a store that did not start closes as a no-op


async def _run_all(revision: LoadedRevision, lines: list[tuple[int, str]],
                   coordinator: BatchCoordinator, batched: BatchRouteModel, log: Any,
                   deadline_s: float, stop: asyncio.Event | None,
                   done: Callable[[dict[str, Any], float | None], None]) -> bool:
    """Run every line, calling ``done`` as each is logged; False when ``stop`` was set first
    (the lines still waiting for the batch are not logged: the next run resumes the batch)."""

    async def one(number: int, text: str) -> None:
        LINE.set(number)  # this task's own context: the batch model reads it
        try:
            row, cost = await run_line(revision, number, text, models=lambda _: batched,
                                       store=log, deadline_s=deadline_s)
        finally:
            coordinator.line_finished()
        done(row, cost)

    driver = asyncio.ensure_future(coordinator.run())
    tasks = [asyncio.ensure_future(one(n, text)) for n, text in lines]
    everything = asyncio.ensure_future(asyncio.gather(*tasks))
    stopping = asyncio.ensure_future(stop.wait()) if stop is not None else None
    try:
        waits: set[asyncio.Future[Any]] = {everything, driver}
        if stopping is not None:
            waits.add(stopping)
        while not everything.done():
            ready, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            if driver in ready:
                driver.result()  # a failed submit or poll: raised here
                waits.discard(driver)
            if stopping is not None and stopping in ready and not everything.done():
                return False
        everything.result()
        return True
    finally:
        for pending in (driver, everything, stopping, *tasks):
            if pending is not None and not pending.done():
                pending.cancel()
        await asyncio.gather(driver, everything, *tasks, return_exceptions=True)
        if stopping is not None:
            await asyncio.gather(stopping, return_exceptions=True)
