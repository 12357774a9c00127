"""``specwright run SPEC --input FILE --batch-api``: a JSON-lines or CSV file through a provider's
batch API, every line logged exactly as ``specwright run`` logs it.

The remaining lines of the job are read in *chunks* of at most the provider's requests cap
(``batch_api.CAPS``, or smaller ones given), so a file of any size is never held in memory at
once. Each chunk's lines run through the normal pipeline together (validation, answer cache,
budgets, tables, prompt); the lines that need the model wait while their requests are submitted
to the first model of the route that has a batch API (``models/batch_api``), as one batch or,
past the byte cap, several. Each batch's id is recorded in the log database (``bulk_jobs``)
right after it is submitted, so the same command run again after a crash or Ctrl-C polls those
batches instead of submitting others. Then each line's run finishes with its item (checked,
repaired through the normal route when it fails) and is logged, the line is marked done
(``bulk_lines``), and the next chunk starts. A budget that refuses a line stops the job after
its chunk (the refused lines are not logged: a resume runs them).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specwright.runtime.config import Settings
from specwright.runtime.engine.batch import (
    BatchSummary,
    TextSink,
    open_progress,
    report_row,
    resolve_revision,
    run_batch,
    run_line,
)
from specwright.runtime.engine.batch_api_model import LINE, BatchCoordinator, BatchRouteModel
from specwright.runtime.engine.bulk import OK_STATUSES, LineResult
from specwright.runtime.engine.catalog import LoadedRevision, load_catalog
from specwright.runtime.engine.cost_controls import CostControls
from specwright.runtime.engine.input_source import InputOptions, open_source
from specwright.runtime.engine.model_factory import DefaultModels
from specwright.runtime.errors import BudgetExceeded, ModelNotConfigured
from specwright.runtime.logstore import open_store
from specwright.runtime.logstore.bulk import BatchState
from specwright.runtime.models.batch_api import (
    CAPS,
    BatchAPI,
    BatchCaps,
    BatchStatus,
    batch_api_for,
)
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
    caps: BatchCaps | Callable[[str], BatchCaps] | None = None,
    options: InputOptions | None = None,
) -> BatchSummary:
    """Run the job's remaining lines through provider batches (the recorded ones resumed).
    ``on_submitted`` is called each time a new batch is recorded; ``caps``: at most this much
    per batch, or a function of the provider kind giving it (default: the provider's own
    caps, ``batch_api.CAPS``)."""
    catalog = load_catalog(settings.path(root, settings.generated_dir))
    revision = resolve_revision(catalog, spec, major)
    if not revision.compiled.model_decided:  # the tables decide everything: nothing to batch
        return await run_batch(settings, root, spec, input_path, out, major=major,
                               progress=progress, stop=stop, resume=True, on_start=on_start,
                               options=options)
    source = open_source(input_path, revision.compiled.spec.inputs, options)
    models = DefaultModels(settings, mock=False)
    thread = ThreadPoolExecutor(1, thread_name_prefix="specwright-bulk")
    loop = asyncio.get_running_loop()
    try:
        tracker = await loop.run_in_executor(thread, open_progress, settings, root, revision,
                                             source, False, thread)
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
        summary.skipped = sum(1 for n, _ in source.lines() if tracker.skips(n))
        if on_start is not None:
            on_start(summary.skipped)
        limits = caps(api.kind) if callable(caps) else caps or CAPS[api.kind]
        recorded = await loop.run_in_executor(thread, tracker.db.batch, tracker.job)
        job = JobBatches.of(recorded, getattr(adapter, "name", ""))
        job.provider = api.kind
        controls = CostControls.open(settings, log)
        finished: dict[int, tuple[dict[str, Any], float | None]] = {}  # the chunk's lines

        async def record(batches: list[tuple[str, list[int]]]) -> None:
            state = job.state(batches)
            await loop.run_in_executor(thread, tracker.db.set_batch, tracker.job, state)
            if on_submitted is not None:
                on_submitted(state)

        def done(row: dict[str, Any], cost: float | None) -> None:  # logged: mark it now
            finished[row["line"]] = (row, cost)
            if row["status"] != BudgetExceeded.type:  # not logged: a resume runs it again
                tracker.record(LineResult(row["line"], row["run_id"], row["status"],
                                          row["status"] in OK_STATUSES and "output" in row,
                                          cost))

        try:
            for chunk, resumed in chunks(tracker.remaining(source.lines()),
                                         limits.max_requests, job.chunk_last):
                job.start_chunk(chunk[-1][0], keep=resumed)
                finished.clear()
                coordinator = BatchCoordinator(
                    api=api, client=client, adapter=adapter, expected=len(chunk),
                    recorded=job.batches, record=record, poll_s=poll_s, caps=limits,
                    on_status=on_status)
                batched = BatchRouteModel(coordinator, router, provider=candidate.provider,
                                          model=candidate.model_name, price=candidate.price)
                completed = await _run_all(revision, chunk, coordinator, batched, log,
                                           settings.routing.deadline_s, stop, done, controls)
                job.end_chunk(coordinator.batch_ids)
                await tracker.flush()  # marked done before the next chunk's batch is recorded
                for line in sorted(finished):
                    report_row(summary, *finished[line], out, progress)
                if not completed or summary.budget_spent is not None:
                    summary.stopped = True  # the next chunks are not submitted
                    break
        finally:
            await controls.close()
        return summary
    finally:
        await tracker.close()
        await models.aclose()
        await log.close()  # a store that did not start closes as a no-op


async def _run_all(revision: LoadedRevision, lines: list[tuple[int, str]],
                   coordinator: BatchCoordinator, batched: BatchRouteModel, log: Any,
                   deadline_s: float, stop: asyncio.Event | None,
                   done: Callable[[dict[str, Any], float | None], None],
                   controls: CostControls | None = None) -> bool:
    """Run every line, calling ``done`` as each is logged; False when ``stop`` was set first
    (the lines still waiting for the batch are not logged: the next run resumes the batch)."""

    async def one(number: int, text: str) -> None:
        LINE.set(number)  # this task's own context: the batch model reads it
        try:
            row, cost = await run_line(revision, number, text, models=lambda _: batched,
                                       store=log, deadline_s=deadline_s, controls=controls)
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


def chunks(lines: Iterator[tuple[int, str]], size: int, resumed_last: int | None
           ) -> Iterator[tuple[list[tuple[int, str]], bool]]:
    """``lines`` in chunks of at most ``size``, each with whether it resumes the recorded
    chunk: after a restart, the remaining lines up to ``resumed_last`` (the recorded chunk's
    last line) come first, alone, so their recorded batches are taken up again."""
    chunk: list[tuple[int, str]] = []
    resuming = resumed_last is not None
    for number, text in lines:
        if resuming and resumed_last is not None and number > resumed_last:
            if chunk:
                yield chunk, True
                chunk = []
            resuming = False
        chunk.append((number, text))
        if not resuming and len(chunk) >= size:
            yield chunk, False
            chunk = []
    if chunk:
        yield chunk, resuming


@dataclass(slots=True)
class JobBatches:
    """The provider batches of one job as recorded in ``bulk_jobs.batch_state``: the current
    chunk's (its last line, each batch's id and lines) and the ids of earlier chunks'."""

    model: str
    chunk_last: int | None = None
    batches: list[tuple[str, list[int]]] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    provider: str = ""

    @classmethod
    def of(cls, recorded: BatchState | None, model: str) -> JobBatches:
        if recorded is None:
            return cls(model)
        state = recorded.state
        if "batches" in state:
            batches = [(str(b["id"]), [int(n) for n in b["lines"]]) for b in state["batches"]]
        else:  # a record of the single-batch format: the whole job was one chunk
            batches = [(recorded.batch_id, [int(n) for n in state.get("lines", ())])]
        last = state.get("chunk_last")
        if last is None:
            last = max((n for _, lines in batches for n in lines), default=0)
        return cls(str(state.get("model", model)), int(last), batches,
                   [str(b) for b in state.get("history", ())], recorded.provider)

    def start_chunk(self, last: int, *, keep: bool) -> None:
        if not keep:  # a new chunk: the recorded batches belong to an earlier one
            self.history += [batch_id for batch_id, _ in self.batches]
            self.batches = []
        self.chunk_last = last

    def end_chunk(self, batch_ids: list[str]) -> None:
        self.history += batch_ids
        self.batches = []

    def state(self, batches: list[tuple[str, list[int]]]) -> BatchState:
        return BatchState(self.provider, batches[-1][0], {
            "model": self.model, "chunk_last": self.chunk_last,
            "batches": [{"id": b, "lines": lines} for b, lines in batches],
            "history": self.history})
