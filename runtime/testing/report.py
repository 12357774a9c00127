"""Failure messages in the spec's terms: field names, table names, row numbers and spec lines.

A domain expert reads these when a generated test fails, so they say what the spec says
("no row of 'Decision: service' (specs/carrier-selection.md:41) matches promised_days=15"),
never what the Python does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from specwright.compiler.ir import CompiledRow, CompiledTable
from specwright.runtime.errors import SpecCheckFailed

ABSENT: Any = object()


def value_text(value: Any) -> str:
    """A value as a domain expert writes it: yes/no, plain numbers, quoted text."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value)) if abs(value) >= 1 else str(value)
    if isinstance(value, str | int | float) or value is None:
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def lookup(data: Mapping[str, Any], path: str) -> Any:
    """``data["address"]["country"]`` for ``"address.country"``; ABSENT when missing."""
    cur: Any = data
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return ABSENT
        cur = cur[part]
    return cur


def fields_text(data: Mapping[str, Any], names: Iterable[str]) -> str:
    """``promised_days=15, destination_region absent``."""
    parts = []
    for name in names:
        value = lookup(data, name)
        parts.append(f"{name} absent" if value is ABSENT else f"{name}={value_text(value)}")
    return ", ".join(parts) if parts else "any input"


def input_json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def location(source: str, line: int) -> str:
    return f"{source}:{line}"


def table_ref(source: str, table: CompiledTable) -> str:
    return f"'{table.name}' ({location(source, table.line)})"


def row_text(table: CompiledTable, row: CompiledRow) -> str:
    """``promised_days 4..6, destination_region "AK", "HI" -> service express``."""
    conds = [f"{col} {cell}" for col, cell in zip(table.inputs, row.cells, strict=False)]
    conds = [c for c, cell in zip(conds, row.cells, strict=False) if cell.strip() not in ("", "-")]
    results = ", ".join(f"{k} {value_text(v)}" for k, v in row.written.items())
    when = " and ".join(conds) if conds else "any input"
    return f"when {when} -> {results}"


def row_ref(source: str, table: CompiledTable, number: int) -> str:
    """``row 3 (specs/carrier-selection.md:45: when promised_days 4..6 ... -> service "express")``."""
    row = next((r for r in table.rows if r.number == number), None)
    if row is None:
        return f"row {number}"
    return f"row {number} ({location(source, row.line)}: {row_text(table, row)})"


def rows_ref(source: str, table: CompiledTable, numbers: Iterable[int]) -> str:
    refs = [row_ref(source, table, n) for n in numbers]
    return "; ".join(refs) if refs else "no row"


def bullet(lines: Iterable[str]) -> str:
    return "\n".join(f"  - {line}" for line in lines)


def fail(headline: str, *details: str) -> SpecCheckFailed:
    """The exception a check raises: a one-line headline, then indented details."""
    body = "\n".join(d for d in details if d)
    return SpecCheckFailed(f"{headline}\n{body}" if body else headline)
