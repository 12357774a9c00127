"""RunRecord <-> database rows, shared by both backends.

Rows are plain tuples in the column order below; JSON columns are serialized once, on the
caller's side of the queue, so a value that cannot be stored fails only its own ``write``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from specwright.runtime.jsontext import dumps
from specwright.runtime.logstore.base import RunQuery
from specwright.runtime.records import Attempt, EncodedColumns, RunRecord

RUN_COLUMNS = (
    "id",
    "spec",
    "revision",
    "major",
    "created_at",
    "status",
    "latency_ms",
    "model",
    "mock",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "attempt_count",
    "input",
    "output",
    "error",
    "rule_trace",
    "guardrails",
    "key_id",
    "cached_from",
)
RUN_JSON_COLUMNS = frozenset({"input", "output", "error", "rule_trace", "guardrails"})
ATTEMPT_COLUMNS = (
    "run_id",
    "seq",
    "provider",
    "model",
    "purpose",
    "started_at",
    "latency_ms",
    "status",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "cost_usd",
    "error_class",
    "error",
    "answer",
    "guardrails",
    "cache_write_tokens",
    "batch_id",
)

RunRow = tuple[Any, ...]
AttemptRow = tuple[Any, ...]
_NOTHING_ENCODED = EncodedColumns()


def _dumps_or_none(value: Any) -> str | None:
    return None if value is None else dumps(value)


def run_to_rows(run: RunRecord) -> tuple[RunRow, list[AttemptRow]]:
    """Raise ValueError (NaN, infinity) or TypeError (bad key) if the run cannot be stored."""
    encoded = run.encoded or _NOTHING_ENCODED
    row: RunRow = (
        run.id,
        run.spec,
        run.revision,
        run.major,
        run.created_at,
        run.status,
        run.latency_ms,
        run.model,
        run.mock,
        run.input_tokens,
        run.output_tokens,
        run.cost_usd,
        len(run.attempts),
        _dumps_or_none(run.input),
        _dumps_or_none(run.output) if encoded.output is None else encoded.output,
        _dumps_or_none(run.error),
        dumps(run.rule_trace) if encoded.rule_trace is None else encoded.rule_trace,
        dumps(run.guardrails) if encoded.guardrails is None else encoded.guardrails,
        run.key_id,
        run.cached_from,
    )
    attempts = [
        (
            run.id,
            seq,
            a.provider,
            a.model,
            a.purpose,
            a.started_at,
            a.latency_ms,
            a.status,
            a.input_tokens,
            a.output_tokens,
            a.cached_tokens,
            a.cost_usd,
            a.error_class,
            a.error,
            a.answer,
            None if a.guardrails is None else dumps(list(a.guardrails)),
            a.cache_write_tokens,
            a.batch_id,
        )
        for seq, a in enumerate(run.attempts)
    ]
    return row, attempts


def _loads(value: Any, text: bool) -> Any:
    if value is None or not text:
        return value
    return json.loads(value)


def row_to_run(row: Sequence[Any], attempts: Sequence[Sequence[Any]], json_text: bool) -> RunRecord:
    """``row`` in RUN_COLUMNS order; ``attempts`` rows in ATTEMPT_COLUMNS order, by seq.

    ``json_text``: the driver returns JSON columns as text (SQLite) rather than decoded (JSONB).
    """
    (
        run_id,
        spec,
        revision,
        major,
        created_at,
        status,
        latency_ms,
        model,
        mock,
        _in_tok,
        _out_tok,
        _cost,
        _count,
        input_,
        output,
        error,
        rule_trace,
        guardrails,
        key_id,
        cached_from,
    ) = row
    return RunRecord(
        id=run_id,
        spec=spec,
        revision=revision,
        major=major,
        created_at=float(created_at),
        status=status,
        latency_ms=float(latency_ms),
        input=_loads(input_, json_text),
        output=_loads(output, json_text),
        error=_loads(error, json_text),
        model=model,
        mock=bool(mock),
        rule_trace=tuple(_loads(rule_trace, json_text)),
        guardrails=tuple(_loads(guardrails, json_text)),
        attempts=tuple(_row_to_attempt(a) for a in attempts),
        key_id=key_id,
        cached_from=cached_from,
    )


def _row_to_attempt(row: Sequence[Any]) -> Attempt:
    (
        _run_id,
        _seq,
        provider,
        model,
        purpose,
        started_at,
        latency_ms,
        status,
        input_tokens,
        output_tokens,
        cached_tokens,
        cost_usd,
        error_class,
        error,
        answer,
        guardrails,
        cache_write_tokens,
        batch_id,
    ) = row
    return Attempt(
        provider=provider,
        model=model,
        purpose=purpose,
        started_at=float(started_at),
        latency_ms=float(latency_ms),
        status=status,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_tokens=cached_tokens,
        cost_usd=None if cost_usd is None else float(cost_usd),
        error_class=error_class,
        error=error,
        answer=answer,
        guardrails=None if guardrails is None else tuple(json.loads(guardrails)),
        cache_write_tokens=cache_write_tokens,
        batch_id=batch_id,
    )


def where_clause(query: RunQuery, param: str, timestamp: str) -> tuple[str, list[Any]]:
    """SQL after WHERE for a RunQuery (always true when it filters nothing).

    ``param`` is the driver's placeholder (``?``, ``%s``); ``timestamp`` wraps a placeholder that
    holds an epoch time, e.g. ``to_timestamp(%s)``.
    """
    terms: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("spec", query.spec),
        ("revision", query.revision),
        ("status", query.status),
    ):
        if value is not None:
            terms.append(f"{column} = {param}")
            params.append(value)
    if query.since is not None:
        terms.append(f"created_at >= {timestamp.format(param)}")
        params.append(query.since)
    if query.until is not None:
        terms.append(f"created_at < {timestamp.format(param)}")
        params.append(query.until)
    if query.cursor is not None:
        terms.append(f"id < {param}")
        params.append(query.cursor)
    return (" AND ".join(terms) or "TRUE"), params
