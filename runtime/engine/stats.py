"""``specwright stats SPEC`` and ``GET /specs/{name}/stats``: a spec's runs as people ask about
them, from the execution log, for those without Prometheus.

Per decision-table row: how often it decided a run, how many of those runs a reviewer resolved,
and how often the reviewer overrode the decision (the final output differs from the answer).
Plus run counts by status, latency percentiles, and the cases still waiting for a reviewer
(how many, and how long the oldest has waited). Each row is named by its table and its spec
line, as the rule trace records it.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import Any

from pydantic import BaseModel, Field

from specwright.runtime.logstore.review_counts import open_cases
from specwright.runtime.logstore.reviews import ReviewLog


class RowStats(BaseModel):
    table: str
    row: int = Field(description="Row number in its table")
    line: int | None = Field(description="Spec line of the row")
    hits: int = Field(description="Runs this row decided")
    escalated: int = Field(description="Of those, runs that opened a review case")
    resolved: int = Field(description="Of those, cases a reviewer resolved")
    overridden: int = Field(description="Of those, cases where the reviewer changed the output")
    override_rate: float | None = Field(description="overridden / resolved; null when none")


class SpecStats(BaseModel):
    spec: str
    since: float | None
    runs: int
    by_status: dict[str, int]
    latency_ms: dict[str, float | None] = Field(description="p50, p90, p99 and max")
    reviews: dict[str, int] = Field(
        description="opened, resolved, overridden, and open (not resolved yet)")
    oldest_open_age_s: float | None = Field(
        description="Seconds the oldest case not resolved yet has waited; null when none")
    rows: list[RowStats] = Field(description="Most overridden first, then most hit")


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of already sorted values (None when there are none)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _rows(trace: Any) -> list[tuple[str, int, int | None]]:
    found = []
    for entry in trace or ():
        lines = entry.get("row_lines") or []
        for i, row in enumerate(entry.get("rows") or []):
            found.append((str(entry.get("table")), int(row), lines[i] if i < len(lines) else None))
    return found


async def spec_stats(log: ReviewLog, spec: str, since: float | None,
                     now: float | None = None) -> SpecStats:
    runs = await log.run_rows(spec, since)
    resolved = await log.resolved_since(spec, since)
    waiting = (await open_cases(log, spec=spec, since=since)).get(spec)
    by_status = Counter(status for status, _, _ in runs)
    latencies = sorted(latency for _, latency, _ in runs)
    hits: Counter[tuple[str, int, int | None]] = Counter()
    escalated: Counter[tuple[str, int, int | None]] = Counter()
    for status, _, trace in runs:
        for key in _rows(trace):
            hits[key] += 1
            if status == "escalated":
                escalated[key] += 1
    done: Counter[tuple[str, int, int | None]] = Counter()
    changed: Counter[tuple[str, int, int | None]] = Counter()
    overridden = 0
    for case in resolved:
        event = case.resolution
        over = bool(event and event.data.get("overridden"))
        overridden += over
        for key in _rows(case.rule_trace):
            done[key] += 1
            changed[key] += over
    rows = [
        RowStats(table=k[0], row=k[1], line=k[2], hits=hits[k], escalated=escalated[k],
                 resolved=done[k], overridden=changed[k],
                 override_rate=(changed[k] / done[k]) if done[k] else None)
        for k in sorted(set(hits) | set(done), key=lambda k: (-changed[k], -hits[k], k[0], k[1]))
    ]
    return SpecStats(
        spec=spec, since=since, runs=len(runs), by_status=dict(sorted(by_status.items())),
        latency_ms={"p50": percentile(latencies, 50), "p90": percentile(latencies, 90),
                    "p99": percentile(latencies, 99), "max": latencies[-1] if latencies else None},
        reviews={"opened": by_status.get("escalated", 0), "resolved": len(resolved),
                 "overridden": overridden, "open": waiting.count if waiting else 0},
        oldest_open_age_s=None if waiting is None
        else max(0.0, (time.time() if now is None else now) - waiting.oldest_at),
        rows=rows,
    )
