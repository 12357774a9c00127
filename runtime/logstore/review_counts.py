"""Open review cases by spec, read from the log when asked (``/metrics``, ``specwright stats``).

A case is open until it is resolved (claimed or not). The query walks the escalated runs by
the ``runs (status, id)`` index and looks each up in the one-resolution index of
``review_events``: its cost grows with the escalated runs of the window, not with all runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from specwright.runtime.logstore.reviews import ReviewLog


@dataclass(frozen=True, slots=True)
class OpenCases:
    count: int
    oldest_at: float  # when the oldest open case was opened (epoch seconds)


async def open_cases(reviews: ReviewLog, *, spec: str | None = None,
                     since: float | None = None) -> dict[str, OpenCases]:
    """Cases not resolved yet, per spec (only specs that have some)."""
    created = ("created_at" if reviews.backend == "sqlite"
               else "extract(epoch FROM created_at)::float8")
    return await reviews.on_thread(_open_sync, created, spec, since)


def _open_sync(conn: Any, p: str, created: str, spec: str | None,
               since: float | None) -> dict[str, OpenCases]:
    where: list[str] = ["status = 'escalated'"]
    params: list[Any] = []
    if spec is not None:
        where.append(f"spec = {p}")
        params.append(spec)
    if since is not None:
        where.append(f"{created} >= {p}")
        params.append(since)
    rows = conn.execute(
        f"SELECT spec, count(*), min({created}) FROM runs WHERE {' AND '.join(where)} "
        "AND NOT EXISTS (SELECT 1 FROM review_events e WHERE e.case_id = runs.id "
        "AND e.kind = 'resolve') GROUP BY spec", params).fetchall()
    return {str(r[0]): OpenCases(int(r[1]), float(r[2])) for r in rows}
