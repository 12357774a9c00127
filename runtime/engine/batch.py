"""``specwright run``: a JSON-lines or CSV file through the same pipeline as the HTTP endpoint.

Each non-blank input line (or CSV row, ``input_source``) is one input object. Each result line is
``{"line", "run_id", "status", "output"}`` or ``{"line", "run_id", "status", "error"}``, in input
order. Every run is logged, exactly as over HTTP. A bad line (invalid JSON, invalid input, any
failed run) is reported with its line number and the batch goes on. At most ``concurrency``
runs are in flight; results are written in input order as they complete.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from specwright.runtime.config import Settings
from specwright.runtime.engine.bulk import (
    OK_STATUSES,
    LineResult,
    Pacer,
    Progress,
    limiters_of,
)
from specwright.runtime.engine.catalog import Catalog, LoadedRevision, load_catalog
from specwright.runtime.engine.cost_controls import CostControls
from specwright.runtime.engine.input_source import (
    InputOptions,
    InputSource,
    count_input,
    input_lines,
    open_source,
)
from specwright.runtime.engine.json_input import parse_json_body
from specwright.runtime.engine.model_factory import DefaultModels, ModelFactory
from specwright.runtime.engine.pipeline import execute
from specwright.runtime.errors import BudgetExceeded, InvalidJson, NotFound
from specwright.runtime.logstore import open_store
from specwright.runtime.logstore.base import LogStore
from specwright.runtime.logstore.bulk import job_id, open_bulk_db
from specwright.runtime.models.rate_limits import Limiter


class TextSink(Protocol):
    """Where result lines go: a text file, standard output, a ``StringIO``."""

    def write(self, text: str, /) -> int: ...


@dataclass(slots=True)
class BatchSummary:
    total: int = 0
    ok: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)  # "line 3: invalid_input: ..."
    skipped: int = 0  # lines already done by an earlier, interrupted run of the same file
    stopped: bool = False  # interrupted: some lines were not started
    budget_spent: str | None = None  # the budget that stopped the batch (its message)

    @property
    def exit_code(self) -> int:
        return 0 if self.failed == 0 and not self.stopped else 1


def resolve_revision(catalog: Catalog, spec: str, major: int | None) -> LoadedRevision:
    entry = catalog.specs.get(spec)
    if entry is None or entry.latest is None:
        known = ", ".join(catalog.specs) or "none"
        raise NotFound(
            f'no compiled spec "{spec}" (compiled specs: {known}); run specwright compile first'
        )
    chosen = entry.latest.major if major is None else major
    return catalog.resolve(spec, chosen)


def count_lines(path: Path) -> int:
    """How many lines a JSON-lines file holds (``count_input`` reads CSV too)."""
    return count_input(path)


async def run_lines(
    revision: LoadedRevision,
    lines: Iterator[tuple[int, str]],
    out: TextSink,
    *,
    store: LogStore,
    models: ModelFactory,
    concurrency: int | Callable[[], int],
    deadline_s: float | None = None,
    progress: Callable[[LineResult], None] | None = None,
    stop: asyncio.Event | None = None,
    controls: CostControls | None = None,
) -> BatchSummary:
    """Run ``lines``; ``concurrency`` may be a function, asked before each line starts (the
    rate-limit pacing of ``bulk.py``). Once ``stop`` is set no new line starts, the lines in
    flight finish and are reported: an interrupted batch loses nothing. ``controls``: the
    answer cache and the budgets, as for a served run; once a budget refuses a line no new
    line starts (every later one would be refused too), and a resume the next day goes on."""
    summary = BatchSummary()
    width = concurrency if callable(concurrency) else (lambda: concurrency)

    async def one(number: int, text: str) -> tuple[dict[str, Any], float | None]:
        return await run_line(revision, number, text, models=models, store=store,
                              deadline_s=deadline_s, controls=controls)

    def finish(done: tuple[dict[str, Any], float | None]) -> None:
        report_row(summary, *done, out, progress)

    window: deque[asyncio.Task[tuple[dict[str, Any], float | None]]] = deque()
    try:
        for number, text in lines:
            if (stop is not None and stop.is_set()) or summary.budget_spent is not None:
                summary.stopped = True
                break
            window.append(asyncio.create_task(one(number, text)))
            while window and (len(window) >= max(1, width()) or window[0].done()):
                finish(await window.popleft())
        while window:
            finish(await window.popleft())
    finally:
        for task in window:
            task.cancel()
    return summary


async def run_line(revision: LoadedRevision, number: int, text: str, *, models: ModelFactory,
                   store: LogStore, deadline_s: float | None,
                   controls: CostControls | None = None) -> tuple[dict[str, Any],
                                                                  float | None]:
    """One input line through the pipeline: its result row and the run's cost. A line a
    budget refuses is not logged (as over HTTP) and has no run id."""
    try:
        raw = parse_json_body(text.encode("utf-8", "surrogateescape"), "application/json")
    except InvalidJson as exc:
        return {"line": number, "run_id": None, "status": "invalid_json",
                "error": {"type": exc.type, "message": exc.message, "details": exc.details}}, 0.0
    try:
        result = await execute(revision, raw, model=lambda: models(revision), store=store,
                               deadline_s=deadline_s, controls=controls)
    except BudgetExceeded as exc:
        return {"line": number, "run_id": None, "status": exc.type,
                "error": {"type": exc.type, "message": exc.message, "details": exc.details}}, 0.0
    key = "output" if result.ok else "error"
    return {"line": number, "run_id": result.run.id, "status": result.run.status,
            key: result.body}, result.run.cost_usd


def report_row(summary: BatchSummary, row: dict[str, Any], cost: float | None, out: TextSink,
               progress: Callable[[LineResult], None] | None) -> None:
    """One finished line: counted (a budget's refusal noted), written out, shown."""
    if row["status"] == BudgetExceeded.type and summary.budget_spent is None:
        summary.budget_spent = row["error"]["message"]
    ok = summarize(summary, row)
    out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
    if progress is not None:
        progress(LineResult(row["line"], row["run_id"], row["status"], ok, cost))


def summarize(summary: BatchSummary, row: dict[str, Any]) -> bool:
    """Count one result row in ``summary``; True when the line answered."""
    summary.total += 1
    ok = row["status"] in OK_STATUSES and "output" in row
    if ok:
        summary.ok += 1
    else:
        summary.failed += 1
        err = row.get("error") or {}
        summary.problems.append(
            f"line {row['line']}: {row['status']}: {err.get('message', '')}"
            + _field_errors(err.get("details"))
        )
    return ok


def _field_errors(details: Any) -> str:
    if not isinstance(details, list):
        return ""
    parts = []
    for d in details[:10]:
        if isinstance(d, dict) and "loc" in d:
            loc = ".".join(str(p) for p in d["loc"] if p != "body")
            parts.append(f"{loc or 'body'}: {d.get('msg', '')}")
    return (" [" + "; ".join(parts) + "]") if parts else ""


async def run_batch(
    settings: Settings,
    root: Path,
    spec: str,
    input_path: Path,
    out: TextSink,
    *,
    concurrency: int | None = 4,
    major: int | None = None,
    mock: bool = False,
    model_factory: ModelFactory | None = None,
    store: LogStore | None = None,
    progress: Callable[[LineResult], None] | None = None,
    stop: asyncio.Event | None = None,
    resume: bool = False,
    retry_failed: bool = False,
    on_start: Callable[[int], None] | None = None,
    options: InputOptions | None = None,
) -> BatchSummary:
    """Run every line of ``input_path`` through ``spec``; the store is opened here if not given.
    ``options``: JSON lines or CSV and its column mapping (``input_source``); a CSV file and
    its mapping are checked whole before any line runs.

    ``concurrency`` None: paced to the route's rate limits (``bulk.Pacer``). ``resume``: lines of
    this file already logged by an earlier run are skipped (``failed`` ones too unless
    ``retry_failed``), and every finished line is recorded for the next resume (the log
    database's ``bulk_lines``). ``on_start(skipped)`` is called once the skipped lines are known.
    """
    catalog = load_catalog(settings.path(root, settings.generated_dir))
    revision = resolve_revision(catalog, spec, major)
    source = open_source(input_path, revision.compiled.spec.inputs, options)
    models = model_factory or DefaultModels(settings, mock=mock)
    own = store is None
    log = store or open_store(settings, root)
    tracker: Progress | None = None
    if resume:
        thread = ThreadPoolExecutor(1, thread_name_prefix="specwright-bulk")
        try:
            tracker = await asyncio.get_running_loop().run_in_executor(
                thread, open_progress, settings, root, revision, source, retry_failed, thread)
        except BaseException:
            thread.shutdown(wait=False)
            raise
    if own:
        await log.start()
    lines: Iterator[tuple[int, str]] = source.lines()
    skipped = 0
    if tracker is not None:
        skipped = sum(1 for n, _ in source.lines() if tracker.skips(n))
        lines = tracker.remaining(lines)
    if on_start is not None:
        on_start(skipped)
    report = progress
    if tracker is not None:
        record = tracker.record

        def report(result: LineResult) -> None:
            if result.status != BudgetExceeded.type:  # not logged: a resume runs it again
                record(result)
            if progress is not None:
                progress(result)

    def limiters() -> list[Limiter]:  # a rules-only spec has no model, hence no limits
        return limiters_of(models(revision)) if revision.compiled.model_decided else []

    pacer = Pacer(limiters, fixed=concurrency)
    controls = CostControls.open(settings, log)
    try:
        summary = await run_lines(revision, lines, out, store=log, models=models,
                                  concurrency=pacer, deadline_s=settings.routing.deadline_s,
                                  progress=report, stop=stop, controls=controls)
        summary.skipped = skipped
        return summary
    finally:
        await controls.close()
        if tracker is not None:
            await tracker.close()
        if isinstance(models, DefaultModels):
            await models.aclose()
        if own:
            await log.close()


def open_progress(settings: Settings, root: Path, revision: LoadedRevision, source: InputSource,
                  retry_failed: bool, thread: ThreadPoolExecutor) -> Progress:
    db = open_bulk_db(settings, root)
    try:
        job = job_id(revision.name, revision.major, source.path, source.variant)
        db.start(job, revision.name, str(source.path), source.count())
        return Progress(db, job, thread, db.done(job), retry_failed=retry_failed)
    except BaseException:
        db.close()
        raise


__all__ = ["BatchSummary", "LineResult", "count_lines", "input_lines", "report_row", "run_batch",
           "run_lines"]
