"""Deterministic sample instances of a spec's Input or Output, built from the field types.

The guardrail check evaluates every guardrail on these after CEL's type checker accepted it
(``cel_check.py``): what only shows with values (an absent optional field is null, a list may be
empty) shows when an expression runs. The samples are plain JSON values
(convert them with ``evaluate.to_cel_values``) and together they cover:

* ``typical``: every optional field present, lists with two items, values inside the constraints;
* ``absent``: every optional field absent and lists as short as allowed (empty when allowed);
* ``lowest`` / ``highest``: numbers and text lengths at the bounds of their constraints;
* ``values k``: more samples until every enum value appeared at least once.

Only ``absent`` has absent optional fields.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from specwright.compiler.ir import Field, FieldType


class Sample(NamedTuple):
    name: str
    description: str
    values: dict[str, Any]
    complete: bool  # every optional field present (no nulls anywhere)


class _Mode(NamedTuple):
    name: str
    description: str
    bound: str  # "mid", "low", "high"
    absent: bool
    choice: int  # which enum value / boolean to pick (modulo)
    items: int  # list length (clamped to the list's constraints)


def samples(fields: Sequence[Field]) -> tuple[Sample, ...]:
    """The samples for these fields, always in the same order with the same values."""
    modes = [
        _Mode("typical", "every optional field is present", "mid", False, 0, 2),
        _Mode("absent", "optional fields are absent and lists are empty", "mid", True, 1, 0),
        _Mode("lowest", "values are at their lowest", "low", False, 2, 1),
        _Mode("highest", "values are at their highest", "high", False, 3, 3),
    ]
    widest = max((len(t.values) for t in _types(fields) if t.kind == "enum"), default=0)
    for index in range(len(modes), widest):
        modes.append(_Mode(f"values {index}", "other choices are made", "mid", False, index, 1))
    return tuple(Sample(m.name, m.description, _object(fields, m), not m.absent) for m in modes)


def _types(fields: Sequence[Field]) -> list[FieldType]:
    found: list[FieldType] = []
    for field in fields:
        stack = [field.type]
        while stack:
            ftype = stack.pop()
            found.append(ftype)
            if ftype.items is not None:
                stack.append(ftype.items)
            stack.extend(f.type for f in ftype.fields)
    return found


def _object(fields: Sequence[Field], mode: _Mode) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in fields:
        if mode.absent and not field.required:
            continue
        values[field.name] = _value(field.type, mode)
    return values


def _value(ftype: FieldType, mode: _Mode) -> Any:
    kind = ftype.kind
    if kind == "boolean":
        return mode.choice % 2 == 0
    if kind == "enum":
        return ftype.values[mode.choice % len(ftype.values)] if ftype.values else ""
    if kind == "integer":
        return int(_number(ftype, mode.bound, integer=True))
    if kind in ("number", "money"):
        return float(_number(ftype, mode.bound, integer=False))
    if kind == "date":
        return ("2024-01-01", "2024-02-29", "2024-12-31")[("low", "mid", "high").index(mode.bound)]
    if kind == "datetime":
        return "2024-02-29T12:30:00Z"
    if kind == "time":
        return ("00:00:00", "12:30:00", "23:59:59")[("low", "mid", "high").index(mode.bound)]
    if kind == "text":
        return _text(ftype, mode.bound)
    if kind == "list":
        low = ftype.min_length or 0
        high = ftype.max_length if ftype.max_length is not None else max(low, mode.items)
        count = min(max(mode.items, low), high)
        item = ftype.items or FieldType(kind="text")
        return [_value(item, mode._replace(choice=mode.choice + i)) for i in range(count)]
    return _object(ftype.fields, mode)


def _number(ftype: FieldType, bound: str, integer: bool) -> float:
    step = 1.0 if integer else 0.5
    low: float | None = ftype.minimum
    high: float | None = ftype.maximum
    if ftype.exclusive_minimum is not None:
        low = math.floor(ftype.exclusive_minimum) + 1 if integer else ftype.exclusive_minimum + step
    if ftype.exclusive_maximum is not None:
        high = math.ceil(ftype.exclusive_maximum) - 1 if integer else ftype.exclusive_maximum - step
    if low is not None and high is not None and low > high:  # a narrow exclusive interval
        low = high = (ftype.exclusive_minimum or 0) / 2 + (ftype.exclusive_maximum or 0) / 2
    if bound == "low":
        return low if low is not None else (high - 100 if high is not None else -1.0)
    if bound == "high":
        return high if high is not None else (low + 100 if low is not None else 1000.0)
    if low is not None and high is not None:
        middle = (low + high) / 2
        return math.floor(middle) if integer else middle
    if low is not None:
        return low + 3 * step
    return high - 3 * step if high is not None else 3.0


_CANDIDATES = ("US", "ab", "AB", "a1", "A-1001", "sample", "12345", "a@example.com")


def _text(ftype: FieldType, bound: str) -> str:
    low = ftype.min_length or 0
    high = ftype.max_length
    if ftype.pattern:
        for candidate in _CANDIDATES:
            if re.search(ftype.pattern, candidate) and low <= len(candidate) <= (
                high or len(candidate)
            ):
                return candidate
    if bound == "low":
        length = low
    elif bound == "high":
        length = high if high is not None else max(low, 12)
    else:
        length = max(low, min(6, high if high is not None else 6))
    return ("sample" * (length // 6 + 1))[:length]
