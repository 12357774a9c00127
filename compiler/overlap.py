"""Overlap detection for ``unique`` and ``any`` decision tables.

Each condition column is probed with a finite set of representative values: every literal its
cells mention, one value inside every gap between consecutive literals and beyond the extremes
(respecting the field's own constraints: money in whole cents, text only where it fits the field's
length and pattern, with one valid text the spec does not name), every enum value, yes and no, and
null for optional fields. Every cell's truth is constant between consecutive literals, so two rows overlap exactly
when, for every column, some representative passes both rows' cells. The cells are evaluated with
the same CEL the runtime runs, so the analysis cannot disagree with it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from specwright.compiler.evaluate import cel_program, display
from specwright.compiler.feel import Range, UnaryTests
from specwright.compiler.ir import FieldType, Loc
from specwright.compiler.timeofday import DAY_SECONDS, iso_time, time_seconds

_EPOCH = dt.date(2024, 1, 1)  # a representative when a column has no literal at all
_EPOCH_STAMP = dt.datetime(2024, 1, 1, tzinfo=dt.UTC).timestamp()
# Tried in order for "any other text": the first that fits the field and the spec does not name.
OTHER_TEXTS = ("other", "XX", "ZZ", "QQ", "zz", "x", "US", "ab", "a1", "A-1001", "12345",
               "x@example.com")


class Column(NamedTuple):
    name: str
    type: FieldType
    nullable: bool
    key: str | None = None  # the column's name in ``RowFacts.cels`` when not ``name``


@dataclass(frozen=True, slots=True)
class RowFacts:
    number: int
    loc: Loc
    cels: tuple[str, ...]  # one CEL condition per condition column
    tests: tuple[UnaryTests, ...]  # the typed cells, same order
    results: dict[str, Any]


def find_overlaps(
    columns: list[Column], rows: list[RowFacts]
) -> list[tuple[RowFacts, RowFacts, str]]:
    """Every pair of rows some input matches both of, with an example input ('' if any input)."""
    reps: list[list[Any]] = []
    passing: list[list[frozenset[int]]] = []  # per column, per row: indexes of passing reps
    for index, column in enumerate(columns):
        values = representatives(column, (row.tests[index] for row in rows))
        sets: list[set[int]] = [set() for _ in rows]
        program = cel_program("[" + ", ".join(row.cels[index] for row in rows) + "]")
        for k, value in enumerate(values):
            flags = program.execute({"input": {column.key or column.name: value}})
            for row_index, flag in enumerate(flags):
                if flag is True:
                    sets[row_index].add(k)
        reps.append(values)
        passing.append([frozenset(s) for s in sets])
    found = []
    for i, first in enumerate(rows):
        for j in range(i + 1, len(rows)):
            witness = []
            for c, column in enumerate(columns):
                common = passing[c][i] & passing[c][j]
                if not common:
                    break
                if first.tests[c].tests or rows[j].tests[c].tests:
                    value = reps[c][min(common)]
                    shown = " absent" if value is None else "=" + display(value, column.type)
                    witness.append(column.name + shown)
            else:
                found.append((first, rows[j], ", ".join(witness)))
    return found


def representatives(column: Column, cells: Iterable[UnaryTests]) -> list[Any]:
    """CEL values covering every region the cells can tell apart, in a deterministic order."""
    ftype = column.type
    cells = list(cells)
    literals = [
        lit.value
        for cell in cells
        for test in cell.tests
        for lit in ((test.lo, test.hi) if isinstance(test, Range) else (test.value,))
        if lit.kind != "null"
    ]
    kind = ftype.kind
    values: list[Any]
    if kind == "boolean":
        values = [True, False]
    elif kind == "enum":
        values = list(ftype.values)
    elif kind == "text":
        values = sorted({v for v in literals if valid_text(ftype, v)})
        values += [other_text(ftype, literals)] if other_text(ftype, literals) is not None else []
        if any(isinstance(t, Range) or t.op not in ("==", "!=") for c in cells for t in c.tests):
            values = sorted(set(values) | _text_neighbours(ftype, literals))
    elif kind == "date":
        ordinals = [dt.date.fromisoformat(v).toordinal() for v in literals]
        days = _integers(ordinals or [_EPOCH.toordinal()], 1, dt.date.max.toordinal())
        values = [dt.date.fromordinal(d).isoformat() for d in days]
    elif kind == "time":  # seconds since midnight, around every literal
        seconds = [t for v in literals if (t := time_seconds(v)) is not None]
        values = [iso_time(t) for t in _integers(seconds or [43_200], 0, DAY_SECONDS - 1)]
    elif kind == "datetime":
        stamps = _reals([v.timestamp() for v in literals] or [_EPOCH_STAMP], None, None)
        values = [dt.datetime.fromtimestamp(s, dt.UTC) for s in stamps]
    elif kind == "integer":
        low, high = _bounds(ftype, integer=True)
        values = _integers([int(v) for v in literals], low, high)
    elif kind == "money":  # whole cents: every region between literals that holds an amount
        cents = [c for v in literals for c in (math.floor(v * 100), math.ceil(v * 100))]
        values = [c / 100 for c in _integers(cents or [0], None, None) if _within(c / 100, ftype)]
    else:
        low, high = _bounds(ftype, integer=False)
        reals = _reals([float(v) for v in literals], low, high)
        values = [v for v in reals if _within(v, ftype)]
    return [*values, None] if column.nullable else values


def _text_neighbours(ftype: FieldType, literals: list[Any]) -> set[str]:
    """Texts just above and below every literal a text order test names (``"A".."M"``), and
    the smallest texts: a value in every region between them, where the field allows one."""
    found: set[str] = set()
    for text in (str(v) for v in literals):
        above = [text + " ", text + "0", text + "A", text + "a"]
        below = [text[:-1] + chr(ord(text[-1]) - 1) + "~"] if text and ord(text[-1]) > 33 else []
        if text and ord(text[-1]) > 33:
            below.append(text[:-1] + chr(ord(text[-1]) - 1))
        found.update(t for t in (*above[:1], *below) if valid_text(ftype, t))
        found.update(next(([t] for t in above[1:] if valid_text(ftype, t)), []))
    found.update(t for t in ("", "0", "A", "a", "~") if valid_text(ftype, t))
    return found


def valid_text(ftype: FieldType, text: str) -> bool:
    """``text`` fits the field's length and pattern constraints."""
    if ftype.min_length is not None and len(text) < ftype.min_length:
        return False
    if ftype.max_length is not None and len(text) > ftype.max_length:
        return False
    return not ftype.pattern or re.search(ftype.pattern, text) is not None


def other_text(ftype: FieldType, named: Iterable[str]) -> str | None:
    """A valid text none of ``named``, or None when no candidate fits."""
    taken = set(named)
    fresh = [f"other{n}" for n in range(2, len(taken) + 3)]
    return next(
        (t for t in (*OTHER_TEXTS, *fresh) if t not in taken and valid_text(ftype, t)), None
    )


def _bounds(ftype: FieldType, integer: bool) -> tuple[float | None, float | None]:
    low = ftype.minimum if ftype.minimum is not None else ftype.exclusive_minimum
    high = ftype.maximum if ftype.maximum is not None else ftype.exclusive_maximum
    if integer:
        if ftype.exclusive_minimum is not None and ftype.minimum is None:
            low = math.floor(ftype.exclusive_minimum) + 1
        if ftype.exclusive_maximum is not None and ftype.maximum is None:
            high = math.ceil(ftype.exclusive_maximum) - 1
    return low, high


def _within(value: float, ftype: FieldType) -> bool:
    return not (
        (ftype.minimum is not None and value < ftype.minimum)
        or (ftype.maximum is not None and value > ftype.maximum)
        or (ftype.exclusive_minimum is not None and value <= ftype.exclusive_minimum)
        or (ftype.exclusive_maximum is not None and value >= ftype.exclusive_maximum)
    )


def _integers(points: list[int], low: float | None, high: float | None) -> list[int]:
    marks = set(points) | {int(b) for b in (low, high) if b is not None}
    if not marks:
        marks = {0}
    values = {m + d for m in marks for d in (-1, 0, 1)}
    return sorted(v for v in values if (low is None or v >= low) and (high is None or v <= high))


def _reals(points: list[float], low: float | None, high: float | None) -> list[float]:
    marks = sorted(set(points) | {float(b) for b in (low, high) if b is not None}) or [0.0]
    values = set(marks) | {marks[0] - 1.0, marks[-1] + 1.0}
    for a, b in zip(marks, marks[1:], strict=False):
        values.add(_between(a, b))
    return sorted(v for v in values if (low is None or v >= low) and (high is None or v <= high))


def _between(a: float, b: float) -> float:
    """A readable value strictly between a and b: a whole number when there is one."""
    whole = math.floor(a) + 1.0
    return whole if whole < b else (a + b) / 2
