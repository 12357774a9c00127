"""``specwright run``: a JSON-lines file through the same pipeline as the HTTP endpoint.

Each non-blank input line is one input object. Each result line is
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from specwright.runtime.config import Settings
from specwright.runtime.engine.catalog import Catalog, LoadedRevision, load_catalog
from specwright.runtime.engine.json_input import parse_json_body
from specwright.runtime.engine.model_factory import DefaultModels, ModelFactory
from specwright.runtime.engine.pipeline import execute
from specwright.runtime.errors import InvalidJson, NotFound
from specwright.runtime.logstore import open_store
from specwright.runtime.logstore.base import LogStore

OK_STATUSES = frozenset({"ok", "escalated"})


@dataclass(slots=True)
class BatchSummary:
    total: int = 0
    ok: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)  # "line 3: invalid_input: ..."

    @property
    def exit_code(self) -> int:
        return 0 if self.failed == 0 else 1


def resolve_revision(catalog: Catalog, spec: str, major: int | None) -> LoadedRevision:
    entry = catalog.specs.get(spec)
    if entry is None or entry.latest is None:
        known = ", ".join(catalog.specs) or "none"
        raise NotFound(
            f'no compiled spec "{spec}" (compiled specs: {known}); run specwright compile first'
        )
    chosen = entry.latest.major if major is None else major
    return catalog.resolve(spec, chosen)


def input_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-blank line."""
    with path.open("r", encoding="utf-8", errors="surrogateescape") as fh:
        for number, text in enumerate(fh, 1):
            if text.strip():
                yield number, text


def count_lines(path: Path) -> int:
    return sum(1 for _ in input_lines(path))


async def run_lines(
    revision: LoadedRevision,
    lines: Iterator[tuple[int, str]],
    out: IO[str],
    *,
    store: LogStore,
    models: ModelFactory,
    concurrency: int,
    deadline_s: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> BatchSummary:
    summary = BatchSummary()

    async def one(number: int, text: str) -> dict[str, Any]:
        try:
            raw = parse_json_body(text.encode("utf-8", "surrogateescape"), "application/json")
        except InvalidJson as exc:
            return {"line": number, "run_id": None, "status": "invalid_json",
                    "error": {"type": exc.type, "message": exc.message, "details": exc.details}}
        result = await execute(revision, raw, model=lambda: models(revision), store=store,
                               deadline_s=deadline_s)
        key = "output" if result.ok else "error"
        return {"line": number, "run_id": result.run.id, "status": result.run.status,
                key: result.body}

    def finish(row: dict[str, Any]) -> None:
        summary.total += 1
        if row["status"] in OK_STATUSES and "output" in row:
            summary.ok += 1
        else:
            summary.failed += 1
            err = row.get("error") or {}
            summary.problems.append(
                f"line {row['line']}: {row['status']}: {err.get('message', '')}"
                + _field_errors(err.get("details"))
            )
        out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        if progress is not None:
            progress(1)

    window: deque[asyncio.Task[dict[str, Any]]] = deque()
    try:
        for number, text in lines:
            window.append(asyncio.create_task(one(number, text)))
            if len(window) >= concurrency:
                finish(await window.popleft())
        while window:
            finish(await window.popleft())
    finally:
        for task in window:
            task.cancel()
    return summary


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
    out: IO[str],
    *,
    concurrency: int = 4,
    major: int | None = None,
    mock: bool = False,
    model_factory: ModelFactory | None = None,
    store: LogStore | None = None,
    progress: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Run every line of ``input_path`` through ``spec``; the store is opened here if not given."""
    catalog = load_catalog(settings.path(root, settings.generated_dir))
    revision = resolve_revision(catalog, spec, major)
    models = model_factory or DefaultModels(settings, mock=mock)
    own = store is None
    log = store or open_store(settings, root)
    if own:
        await log.start()
    try:
        return await run_lines(revision, input_lines(input_path), out, store=log, models=models,
                               concurrency=max(1, concurrency),
                               deadline_s=settings.routing.deadline_s, progress=progress)
    finally:
        if isinstance(models, DefaultModels):
            await models.aclose()
        if own:
            await log.close()


__all__ = ["BatchSummary", "count_lines", "run_batch", "run_lines"]
