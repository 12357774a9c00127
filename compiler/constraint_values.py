"""Literal values inside constraints: numbers in bounds, and ``default <value>`` for each type."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from specwright.compiler import ir
from specwright.compiler.errors import did_you_mean
from specwright.compiler.feel import NO_OFFSET, missing_offset
from specwright.compiler.report import Reporter, Text, unquote
from specwright.compiler.timeofday import NO_OFFSET as TIME_NO_OFFSET
from specwright.compiler.timeofday import TIME_EXAMPLE, has_offset, iso_time, time_seconds
from specwright.compiler.types import kind_name

INT_RE = re.compile(r"^[-+]?\d+$")
NUM_RE = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_DIGITS = 30


def to_number(literal: str) -> int | float | None:
    """``70`` -> 70, ``0.5`` -> 0.5, ``$50`` -> 50; None when not a plain finite number."""
    s = literal.strip()
    s = s[1:] if s.startswith("$") else s
    if len(s) > MAX_DIGITS or not NUM_RE.match(s):
        return None
    if "." in s:
        value = float(s)
        return value if math.isfinite(value) else None
    return int(s)


def parse_default(ftype: ir.FieldType, raw: str, where: Text, report: Reporter) -> tuple[bool, Any]:
    """Parse ``raw`` (the text after ``default``) as a value of ``ftype``: (ok, value)."""
    kind = ftype.kind
    text = unquote(raw.strip())
    low = text.lower()
    if not raw.strip():
        report.at(
            where, 'write the default value after "default", like "default no" or "default 0"'
        )
        return False, None
    if kind == "boolean":
        if low in ("yes", "true", "no", "false"):
            return True, low in ("yes", "true")
        report.at(where, f'default "{raw}" is not yes or no')
    elif kind == "integer":
        if INT_RE.match(text) and len(text) <= MAX_DIGITS:
            return True, int(text)
        report.at(where, f'default "{raw}" is not a whole number')
    elif kind in ("number", "money"):
        value = to_number(text)
        if value is None:
            report.at(where, f'default "{raw}" is not a number')
        elif kind == "money" and "." in text and len(text.split(".")[1]) > 2:
            report.at(where, f'default "{raw}": money has at most 2 decimal places')
        else:
            return True, value
    elif kind == "text":
        return True, text
    elif kind == "enum":
        if text in ftype.values:
            return True, text
        hint = did_you_mean(text, list(ftype.values))
        report.at(where, f'default "{text}" is not one of: {", ".join(ftype.values)}{hint}')
    elif kind in ("date", "datetime"):
        return _date_default(kind, text, where, report)
    elif kind == "time":
        if has_offset(text):
            report.at(where, f'default "{text}" {TIME_NO_OFFSET}')
            return False, None
        if (seconds := time_seconds(text)) is not None:
            return True, iso_time(seconds)
        report.at(where, f'default "{text}" is not a time of day: write it like {TIME_EXAMPLE}')
    elif kind == "list":
        if low in ("[]", "empty"):
            return True, []
        report.at(where, 'a list\'s default can only be empty: write "default []"')
    else:
        report.at(where, f"a default is not supported for {kind_name(kind)} fields")
    return False, None


def _date_default(kind: str, text: str, where: Text, report: Reporter) -> tuple[bool, Any]:
    try:
        if kind == "date" and DATE_RE.match(text):
            return True, dt.date.fromisoformat(text).isoformat()
        if kind == "datetime" and DATE_RE.match(text[:10]):
            dt.datetime.fromisoformat(text)
            if missing_offset(text) or len(text) <= 10:
                report.at(where, f'default "{text}" {NO_OFFSET}')
                return False, None
            return True, text
    except ValueError:
        pass
    example = "2024-01-31" if kind == "date" else "2024-01-31T09:30:00Z"
    report.at(where, f'default "{text}" is not a {kind_name(kind)}: write it like {example}')
    return False, None


def check_default(ftype: ir.FieldType, value: Any, where: Text, report: Reporter) -> bool:
    """True when ``value`` satisfies the type's bounds, lengths and pattern; else report."""
    broken = _broken_constraint(ftype, value)
    if broken:
        report.at(where, f'"{where.text}" breaks the field\'s constraint "{broken}"')
        return False
    return True


def _broken_constraint(ftype: ir.FieldType, value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        checks = (
            (ftype.minimum, lambda b: value >= b, ">="),
            (ftype.maximum, lambda b: value <= b, "<="),
            (ftype.exclusive_minimum, lambda b: value > b, ">"),
            (ftype.exclusive_maximum, lambda b: value < b, "<"),
        )
        for bound, ok, op in checks:
            if bound is not None and not ok(bound):
                return f"{op} {bound}"
    if isinstance(value, str | list):
        unit = "items" if isinstance(value, list) else "characters"
        if ftype.min_length is not None and len(value) < ftype.min_length:
            return f"min {ftype.min_length} {unit}"
        if ftype.max_length is not None and len(value) > ftype.max_length:
            return f"max {ftype.max_length} {unit}"
    if isinstance(value, str) and ftype.pattern and not re.fullmatch(ftype.pattern, value):
        return f"pattern /{ftype.pattern}/"
    return None
