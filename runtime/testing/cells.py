"""A second reading of decision-table cells, used as the oracle of the boundary tests.

The compiler parses each condition cell (``specwright.compiler.feel``) and renders it as CEL; the runtime
evaluates that CEL. This module takes the same parsed, typed cell and evaluates it directly in
Python, following the documented meaning of each test: so for every boundary input, the row this
module says should match must be the row the runtime picks. A disagreement is a compiler bug (the
CEL does not say what the cell says), reported with the cell, the value and the spec line.

An absent value (an optional field not given) passes ``-`` and ``null`` tests only; it fails
every other positive test and so passes ``not(...)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from specwright.compiler.feel import Compare, Lit, Range, UnaryTests, parse_unary_tests, type_tests
from specwright.compiler.ir import Field, FieldType

Value = Any


@dataclass(frozen=True, slots=True)
class Cell:
    """A typed condition cell; ``tests.tests == ()`` means any value."""

    text: str
    tests: UnaryTests

    def matches(self, value: Value, lookup: Callable[[str], Value] | None = None) -> bool:
        """``lookup``: the value of another Input field, for cells that compare with one
        (``> input.credit_limit``); without it such a test does not pass."""
        if not self.tests.tests:
            return True
        hit = any(_passes(t, value, lookup) for t in self.tests.tests)
        return not hit if self.tests.negated else hit

    def thresholds(self) -> list[Value]:
        """Every number or date the cell compares by order against (range ends included)."""
        out: list[Value] = []
        for t in self.tests.tests:
            if isinstance(t, Range):
                out.extend(lit.value for lit in (t.lo, t.hi) if lit.kind not in _NOT_FIXED)
            elif t.op not in ("==", "!=") and t.value.value is not None and (
                t.value.kind not in _NOT_FIXED
            ):
                out.append(t.value.value)
        return out

    def literals(self) -> list[Value]:
        """Every value the cell tests for (in)equality: ``"AK", "HI"``, ``yes``, ``= 3``."""
        return [
            t.value.value
            for t in self.tests.tests
            if isinstance(t, Compare) and t.op in ("==", "!=") and t.value.value is not None
            and t.value.kind not in _NOT_FIXED
        ]


def parse_cell(
    text: str, name: str, ftype: FieldType, nullable: bool, refs: Mapping[str, Field] | None = None
) -> Cell:
    """Parse and type a condition cell as the compiler does (raises ``specwright.compiler.feel.FeelError``).
    ``refs``: the Input fields a cell may compare with."""
    parsed = parse_unary_tests(text)
    return Cell(text, type_tests(parsed, text, name, ftype, nullable, refs))


def _comparable(a: Value, b: Value) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return True
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return True
    return type(a) is type(b)


_NOT_FIXED = frozenset({"ref", "duration"})  # not a value of the column's own type


def _resolve(lit: Lit, lookup: Callable[[str], Value] | None) -> Value:
    """A literal's value; another field's value for ``input.x``; a timedelta for a duration."""
    if lit.kind == "ref":
        return None if lookup is None else lookup(str(lit.value))
    if lit.kind == "duration":
        return dt.timedelta(seconds=int(lit.value))
    return lit.value


def _passes(test: Compare | Range, value: Value, lookup: Callable[[str], Value] | None = None) -> bool:
    if isinstance(test, Range):
        lo, hi = _resolve(test.lo, lookup), _resolve(test.hi, lookup)
        if value is None or not (_comparable(value, lo) and _comparable(value, hi)):
            return False
        above = value > lo if test.lo_open else value >= lo
        below = value < hi if test.hi_open else value <= hi
        return bool(above and below)
    target = _resolve(test.value, lookup)
    if test.value.kind == "null":
        return (value is None) if test.op == "==" else (value is not None)
    if value is None or not _comparable(value, target):
        return False
    result: bool = {
        "==": lambda: value == target,
        "!=": lambda: value != target,
        "<": lambda: value < target,
        "<=": lambda: value <= target,
        ">": lambda: value > target,
        ">=": lambda: value >= target,
    }[test.op]()
    return result
