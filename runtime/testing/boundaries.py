"""Deterministic inputs on and around every threshold of a decision table, and the row each must hit.

For every input column the candidate values are the thresholds of its cells and their neighbours
(``> 500`` on money gives 499.99, 500, 500.01; ``2..3`` on an integer gives 1, 2, 3, 4), every
listed value plus one that no cell lists, both yes and no, every choice of a ``one of`` field, and
"absent" for an optional field. The other fields keep the values of a valid base input. Candidates
the Input schema rejects are dropped. The expected row comes from ``specwright.runtime.testing.cells``.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from specwright.compiler.errors import FeelError, TableConflict, TableError, TableNoMatch
from specwright.compiler.evaluate import TableOutcome
from specwright.compiler.hitpolicy import gathers, ranked
from specwright.compiler.ir import CompiledTable, FieldType
from specwright.compiler.timeofday import DAY_SECONDS, iso_time, time_seconds
from specwright.runtime.testing.cells import Cell, parse_cell
from specwright.runtime.testing.computed_boundaries import computed_of, computed_value, seeds
from specwright.runtime.testing.input_strategies import MISSING
from specwright.runtime.testing.report import (
    ABSENT,
    fail,
    fields_text,
    lookup,
    row_ref,
    rows_ref,
    table_ref,
)
from specwright.runtime.testing.suite import Prepared, SpecSuite

MAX_COMBINATIONS = 2000
KEEP: Any = object()  # leave the base input's value


# ----------------------------------------------------------------------- candidate values


def _step(ftype: FieldType, threshold: Any) -> Any:
    if ftype.kind == "integer":
        return 1
    if ftype.kind == "money":
        return Decimal("0.01")
    text = str(threshold)
    decimals = len(text.split(".", 1)[1]) if "." in text else 0
    return Decimal(1).scaleb(-max(2, decimals))


def _around(ftype: FieldType, t: Any) -> list[Any]:
    if isinstance(t, dt.datetime):
        second = dt.timedelta(seconds=1)
        stamps = (t - second, t, t + second)
        return [s.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") for s in stamps]
    if isinstance(t, str) and ftype.kind == "time":  # a second before, on, a second after
        seconds = time_seconds(t)
        if seconds is None:
            return [t]
        return [iso_time(s) for s in (seconds - 1, seconds, seconds + 1) if 0 <= s < DAY_SECONDS]
    if isinstance(t, str) and ftype.kind in ("date", "datetime"):
        try:
            day = dt.date.fromisoformat(t[:10])
        except ValueError:
            return [t]
        one = dt.timedelta(days=1)
        return [(day + d).isoformat() for d in (-one, dt.timedelta(0), one)]
    if isinstance(t, bool) or not isinstance(t, int | float):
        return [t]
    step = _step(ftype, t)
    if ftype.kind == "integer":
        return [int(t) - 1, int(t), int(t) + 1] if float(t).is_integer() else [math.floor(t), math.ceil(t)]
    d = Decimal(str(t))
    return [float(d - step), float(d), float(d + step)]


def _other_text(taken: set[Any], ftype: FieldType) -> str:
    for candidate in ("ZZ", "zz", "other", "x", "OTHER-VALUE"):
        if candidate not in taken:
            return candidate
    return "none-of-the-listed-values"


def boundary_values(ftype: FieldType, required: bool, cells: list[Cell]) -> list[Any]:
    """Values on and around every threshold the cells test, plus one value none of them lists.

    Out-of-range values are kept here; the caller drops those the Input schema rejects.
    """
    values: list[Any] = []
    if ftype.kind == "boolean":
        values = [True, False]
    elif ftype.kind == "enum":
        values = list(ftype.values)
    for cell in cells:
        for t in cell.thresholds():
            values.extend(_around(ftype, t))
        values.extend(v for v in cell.literals() if v is not None)
    literals = {v for c in cells for v in c.literals()}
    if ftype.kind == "text" and literals:
        values.append(_other_text(literals, ftype))
    elif ftype.kind in ("integer", "number", "money") and literals and not any(c.thresholds() for c in cells):
        values.append(max(v for v in literals if isinstance(v, int | float)) + 1)
    if not required:
        values.insert(0, MISSING)  # first: counterexamples read simplest with the field absent
    unique: list[Any] = []
    for v in values:
        if not any(v is u or (type(v) is type(u) and v == u) for u in unique):
            unique.append(v)
    return unique


@dataclass(frozen=True, slots=True)
class Expectation:
    rows: tuple[int, ...]  # the rows whose results apply
    conflict: bool = False  # a unique/any table with disagreeing matches


def table_cells(suite: SpecSuite, table: CompiledTable) -> list[list[Cell | None]]:
    """Per row, per input column: the parsed cell (None when the oracle cannot read it)."""
    out: list[list[Cell | None]] = []
    refs = {f.name: f for f in suite.compiled.spec.inputs}
    for row in table.rows:
        parsed: list[Cell | None] = []
        for column, text in zip(table.inputs, row.cells, strict=False):
            field = suite.field(column)
            computed = computed_of(table, column)
            try:
                if computed is not None:
                    parsed.append(parse_cell(text, column, computed.type, computed.nullable, refs))
                    continue
                nullable = field is not None and not field.required and not field.has_default
                parsed.append(None if field is None else parse_cell(text, column, field.type, nullable,
                                                                    refs))
            except FeelError:
                parsed.append(None)
        out.append(parsed)
    return out


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    target = data
    for part in parts[:-1]:
        nxt = target.get(part)
        if not isinstance(nxt, dict):
            return  # the enclosing object is absent in the base input: keep it absent
        target = nxt
    if value is MISSING:
        target.pop(parts[-1], None)
    else:
        target[parts[-1]] = value


def _combinations(candidates: list[list[Any]], witnesses: list[list[Any]]) -> Iterator[tuple[Any, ...]]:
    lists = [c or [KEEP] for c in candidates]
    if math.prod(len(c) for c in lists) <= MAX_COMBINATIONS:
        yield from itertools.product(*lists)
        return
    # Too many: every row's witness, and each column varied alone around every witness.
    for witness in witnesses:
        yield tuple(witness)
        for i, values in enumerate(lists):
            for v in values:
                yield tuple(v if j == i else w for j, w in enumerate(witness))


def boundary_inputs(suite: SpecSuite, tables: Sequence[CompiledTable]) -> list[Prepared]:
    """Every valid boundary input of ``tables`` (one list for all, in a stable order). Computed
    columns (``computed_boundaries.py``) add whole inputs on their thresholds, each varied
    around the thresholds of the plain columns too."""
    computed = {c.name for t in tables for c in t.computed_columns}
    columns = list(dict.fromkeys(c for t in tables for c in t.inputs if c not in computed))
    cells = {c: [cell for t in tables for row in table_cells(suite, t)
                 for col, cell in zip(t.inputs, row, strict=False) if col == c and cell]
             for c in columns}
    candidates: list[list[Any]] = []
    for column in columns:
        field = suite.field(column)
        values = boundary_values(field.type, field.required, cells[column]) if field else []
        candidates.append(values)
    witnesses = []
    for table in tables:
        for row in table_cells(suite, table):
            by_col = dict(zip(table.inputs, row, strict=False))
            witness = []
            for column, values in zip(columns, candidates, strict=True):
                cell = by_col.get(column)
                hit = [v for v in values if cell is None or cell.matches(None if v is MISSING else v)]
                witness.append(hit[0] if hit else KEEP)
            witnesses.append(witness)
    out: list[Prepared] = []
    seen: set[str] = set()
    bases = [suite.base_input] + [s for t in tables for s in seeds(suite, t, table_cells(suite, t))]
    combos = [(suite.base_input, c) for c in _combinations(candidates, witnesses or [[KEEP] * len(columns)])]
    for seed in bases[1:]:
        combos.append((seed, tuple(KEEP for _ in columns)))
        combos += [(seed, tuple(v if j == i else KEEP for j in range(len(columns))))
                   for i, values in enumerate(candidates) for v in values]
    for base, combo in combos:
        data = copy.deepcopy(base)
        for column, value in zip(columns, combo, strict=True):
            if value is not KEEP:
                _set(data, column, value)
        key = json.dumps(data, sort_keys=True, default=str)
        if key in seen or not suite.schema_valid(data):
            continue
        seen.add(key)
        prepared = suite.prepare(data)
        if prepared is not None:
            out.append(prepared)
    return out


def cel_value(prepared: Prepared, column: str, table: CompiledTable | None = None) -> Any:
    computed = computed_of(table, column) if table is not None else None
    if computed is not None:
        return computed_value(computed, prepared)
    value = lookup(prepared.cel_input, column)
    return None if value is ABSENT else value


def expect(table: CompiledTable, cells: list[list[Cell | None]], prepared: Prepared) -> Expectation | None:
    """The rows the cells say apply (None when a cell of the table cannot be read)."""
    if any(cell is None for row in cells for cell in row):
        return None
    matching = [
        row for row, row_cells in zip(table.rows, cells, strict=True)
        if all(c is not None and c.matches(cel_value(prepared, col, table),
                                           lambda path: cel_value(prepared, path))
               for col, c in zip(table.inputs, row_cells, strict=False))
    ]
    numbers = tuple(r.number for r in matching)
    policy = table.hit_policy
    if gathers(table):  # every matching row, in the policy's order (output order: by rank)
        return Expectation(tuple(r.number for r in ranked(table, matching)))
    if not matching:
        return Expectation(numbers)
    if policy == "unique":
        return Expectation(numbers, conflict=len(matching) > 1)
    if policy == "any":
        return Expectation(numbers, conflict=any(r.written != matching[0].written for r in matching))
    if policy == "priority":
        return Expectation((ranked(table, matching)[0].number,))
    return Expectation(numbers[:1])


def _actual(outcome: TableOutcome | TableError) -> Expectation | str:
    if isinstance(outcome, TableConflict):
        return Expectation(outcome.rows, conflict=True)
    if isinstance(outcome, TableNoMatch):
        return Expectation(())
    if isinstance(outcome, TableError):
        return outcome.message
    return Expectation(tuple(outcome.rows))


def check_boundaries(suite: SpecSuite, table_name: str) -> None:
    """On every boundary input, the runtime picks the row the table's cells say it should."""
    __tracebackhide__ = True
    table = suite.table(table_name)
    cells = table_cells(suite, table)
    unreadable = [(row.number, col) for row, rc in zip(table.rows, cells, strict=True)
                  for col, c in zip(table.inputs, rc, strict=False) if c is None]
    if unreadable:
        number, column = unreadable[0]
        raise fail(f"{table_ref(suite.source, table)}: the cell of {column} in "
                   f"{row_ref(suite.source, table, number)} cannot be read by the boundary check")
    problems: list[str] = []
    for prepared in boundary_inputs(suite, [table]):
        wanted = expect(table, cells, prepared)
        got = _actual(suite.evaluate(table, prepared))
        if wanted is None or got == wanted or (isinstance(got, Expectation) and got.conflict and wanted.conflict):
            continue
        at = fields_text(prepared.raw, table.inputs)
        said = "several rows match" if wanted.conflict else rows_ref(suite.source, table, wanted.rows)
        if isinstance(got, str):
            problems.append(f"at {at}: the cells say {said}, but evaluating the table failed: {got}")
        else:
            chose = "a conflict" if got.conflict else rows_ref(suite.source, table, got.rows)
            problems.append(f"at {at}: the cells say {said}, but the runtime chose {chose}")
    if problems:
        shown = problems[:10] + ([f"... and {len(problems) - 10} more"] if len(problems) > 10 else [])
        raise fail(
            f"{table_ref(suite.source, table)} does not decide what its cells say at "
            f"{len(problems)} boundary input(s):",
            *(f"  - {p}" for p in shown),
            "  The compiled table disagrees with the spec: report it to the Specwright maintainers.",
        )
