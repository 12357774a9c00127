"""Validate a JSON value against the IR's fields, the way the generated models will.

Used to check each example's input and (partial) output at compile time, without depending on the
generated Pydantic models. Messages name the path (``input.lines[0].sku``) and the rule broken.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from specwright.compiler.errors import did_you_mean
from specwright.compiler.evaluate import display
from specwright.compiler.feel import NO_OFFSET, expected, missing_offset, parse_datetime
from specwright.compiler.ir import Field, FieldType
from specwright.compiler.timeofday import NO_OFFSET as TIME_NO_OFFSET
from specwright.compiler.timeofday import has_offset, time_seconds

# As the HTTP input model reads a date and time: ISO 8601 with seconds (and an offset).
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}")


def validate_fields(
    fields: Sequence[Field], data: Any, path: str, *, partial: bool = False, section: str = "field"
) -> list[str]:
    """Every problem of ``data`` (an object) against ``fields``; ``partial``: missing is fine."""
    if not isinstance(data, dict):
        return [f"{path} must be an object ({{...}}), not {_json_kind(data)}"]
    problems: list[str] = []
    names = [f.name for f in fields]
    for key in sorted(data):
        if key not in names:
            problems.append(f"{path}.{key} is not {section}{did_you_mean(key, names)}")
    for field in fields:
        where = f"{path}.{field.name}"
        if field.name not in data:
            if field.required and not field.has_default and not partial:
                problems.append(f"{where} is missing (it is required)")
            continue
        value = data[field.name]
        if value is None:
            if field.required and not field.has_default:
                problems.append(f"{where} is null, but it is required")
            continue
        problems.extend(validate_value(field.type, value, where))
    return problems


def validate_value(ftype: FieldType, value: Any, where: str) -> list[str]:
    """Every problem of one non-null value against its type and constraints."""
    kind = ftype.kind
    wrong = [f"{where}: {_show(value)} is not {expected(ftype)}"]
    if kind == "text":
        return _text(ftype, value, where) if isinstance(value, str) else wrong
    if kind == "enum":
        if isinstance(value, str) and value in ftype.values:
            return []
        return [wrong[0] + (did_you_mean(value, ftype.values) if isinstance(value, str) else "")]
    if kind == "boolean":
        return [] if isinstance(value, bool) else wrong
    if kind in ("integer", "number", "money"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return wrong
        if kind == "integer" and not float(value).is_integer():
            return wrong
        return _bounds(ftype, value, where)
    if kind == "date":
        ok = (
            isinstance(value, str)
            and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
            and _parses(dt.date.fromisoformat, value)
        )
        return [] if ok else wrong
    if kind == "time":
        if isinstance(value, str) and has_offset(value):
            return [f"{where}: {_show(value)} {TIME_NO_OFFSET}"]
        return [] if isinstance(value, str) and time_seconds(value) is not None else wrong
    if kind == "datetime":
        if isinstance(value, str) and _DATETIME.match(value) and missing_offset(value):
            return [f"{where}: {_show(value)} {NO_OFFSET}"]
        ok = isinstance(value, str) and _DATETIME.match(value) and _parses(parse_datetime, value)
        return [] if ok else wrong
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where}: {_show(value)} is not a list"]
        problems = _length(ftype, len(value), where, "items")
        item = ftype.items
        if item is not None:
            for index, element in enumerate(value):
                if element is None:
                    problems.append(f"{where}[{index}] is null")
                else:
                    problems.extend(validate_value(item, element, f"{where}[{index}]"))
        return problems
    if kind == "object":
        return (
            validate_fields(ftype.fields, value, where)
            if ftype.fields
            else ([] if isinstance(value, dict) else [f"{where} must be an object ({{...}})"])
        )
    return []


def _parses(parse: Any, value: str) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True


def _text(ftype: FieldType, value: str, where: str) -> list[str]:
    problems = _length(ftype, len(value), where, "characters")
    if ftype.pattern and not re.search(ftype.pattern, value):
        problems.append(f"{where}: {_show(value)} does not match the pattern {ftype.pattern}")
    return problems


def _length(ftype: FieldType, size: int, where: str, unit: str) -> list[str]:
    if ftype.min_length is not None and size < ftype.min_length:
        return [f"{where} has {size} {unit}, fewer than {ftype.min_length}"]
    if ftype.max_length is not None and size > ftype.max_length:
        return [f"{where} has {size} {unit}, more than {ftype.max_length}"]
    return []


def _bounds(ftype: FieldType, value: float, where: str) -> list[str]:
    checks = (
        (ftype.minimum, ">=", lambda b: value >= b),
        (ftype.maximum, "<=", lambda b: value <= b),
        (ftype.exclusive_minimum, ">", lambda b: value > b),
        (ftype.exclusive_maximum, "<", lambda b: value < b),
    )
    return [
        f"{where}: {_show(value)} is not {op} {display(bound)}"
        for bound, op, holds in checks
        if bound is not None and not holds(bound)
    ]


def _show(value: Any) -> str:
    return display(value, FieldType(kind="text")) if isinstance(value, str) else display(value)


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else _show(value)
