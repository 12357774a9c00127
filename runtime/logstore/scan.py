"""Reading many runs of one spec from the log, newest first, page by page (impact preview)."""

from __future__ import annotations

from specwright.runtime.logstore.base import MAX_PAGE, LogStore, RunQuery
from specwright.runtime.records import RunRecord


async def scan_runs(store: LogStore, spec: str, *, since: float | None = None,
                    limit: int = 10_000) -> list[RunRecord]:
    """Up to ``limit`` runs of ``spec`` created at or after ``since``, newest first."""
    runs: list[RunRecord] = []
    cursor: str | None = None
    while len(runs) < limit:
        page = await store.query(RunQuery(spec=spec, since=since, cursor=cursor,
                                          limit=min(MAX_PAGE, limit - len(runs))))
        runs.extend(page.runs)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return runs
