"""Constraint phrases: ``optional``, ``default no``, ``> 0``, ``1..14``, ``max 200 characters``...

Each comma-separated phrase is matched against a small grammar and applied to the field's
``FieldType`` (bounds, lengths, pattern) or to the field itself (required, default, sensitive).
A phrase that does not apply to the field's type, or contradicts another, is an error that
says so. A default is parsed for the field's type and must satisfy the other constraints.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from specwright.compiler import ir
from specwright.compiler.constraint_values import check_default, parse_default, to_number
from specwright.compiler.errors import did_you_mean
from specwright.compiler.report import Reporter, Text
from specwright.compiler.types import kind_name

NUM = r"\$?[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
UNIT = r"characters?|chars?|letters?|digits?|items?"
CMP_RE = re.compile(rf"^(>=|<=|>|<|≥|≤|=>|=<)\s*({NUM})$")
RANGE_RE = re.compile(rf"^({NUM})\s*(?:\.\.|to)\s*({NUM})(?:\s*({UNIT}))?$")
BETWEEN_RE = re.compile(rf"^between\s+({NUM})\s+and\s+({NUM})(?:\s*({UNIT}))?$")
LIMIT_RE = re.compile(
    rf"^(max|maximum|at most|up to|no more than|min|minimum|at least|no less than)\s+({NUM})"
    rf"(?:\s*({UNIT}))?$"
)
EXACT_RE = re.compile(rf"^({NUM})\s*({UNIT})$")
DEFAULT_RE = re.compile(r"^default\b\s*[:=]?\s*(.*)$", re.IGNORECASE | re.DOTALL)
PATTERN_RE = re.compile(r"^pattern\s*:?\s*/(.*)/$", re.IGNORECASE | re.DOTALL)
UNPORTABLE_RE = re.compile(r"\(\?<?[=!]|\\[1-9]")
NUMERIC = ("integer", "number", "money")
VOCAB = (
    "optional required sensitive default pattern max maximum min minimum at least most up to "
    "no more less than between and characters character letters letter digits digit items item"
).split()
HELP = (
    "constraints are: optional, required, default <value>, sensitive, > 0, >= 0, < 10, <= 70, "
    "1..14, between 1 and 14, max 200 characters, 2 letters, max 5 items, pattern /regex/"
)


@dataclass
class Options:
    """What the constraints say about the field itself rather than its type."""

    required: bool = True
    has_default: bool = False
    default: Any = None
    sensitive: bool = False


@dataclass
class _State:
    ftype: ir.FieldType
    field: str
    report: Reporter
    optional: Text | None = None
    required: Text | None = None
    default: Text | None = None
    default_raw: str = ""
    sensitive: bool = False
    lower: tuple[int | float, bool, Text] | None = None
    upper: tuple[int | float, bool, Text] | None = None
    min_len: tuple[int, Text] | None = None
    max_len: tuple[int, Text] | None = None
    pattern: tuple[str, Text] | None = None

    @property
    def kind(self) -> str:
        return self.ftype.kind

    def error(self, where: Text, message: str) -> None:
        self.report.at(where, message)

    def a_field(self) -> str:
        return f'{kind_name(self.kind)} field "{self.field}"'


def apply_constraints(
    ftype: ir.FieldType, phrases: list[Text], field_name: str, report: Reporter
) -> tuple[ir.FieldType, Options]:
    """Apply every phrase; return the constrained type and the field options."""
    st = _State(ftype, field_name, report)
    for phrase in phrases:
        _apply(st, phrase.strip())
    _check_contradictions(st)
    update: dict[str, Any] = {}
    if st.lower:
        update["exclusive_minimum" if st.lower[1] else "minimum"] = st.lower[0]
    if st.upper:
        update["exclusive_maximum" if st.upper[1] else "maximum"] = st.upper[0]
    if st.min_len:
        update["min_length"] = st.min_len[0]
    if st.max_len:
        update["max_length"] = st.max_len[0]
    if st.pattern:
        update["pattern"] = st.pattern[0]
    constrained = ftype.model_copy(update=update) if update else ftype
    opts = Options(sensitive=st.sensitive)
    if st.default is not None:
        ok, value = parse_default(constrained, st.default_raw, st.default, report)
        if ok and check_default(constrained, value, st.default, report):
            opts.has_default, opts.default = True, value
        if st.required is not None:
            report.at(
                st.required,
                f'"required" contradicts "{st.default.text}": a field with a default is optional',
            )
    elif st.required is not None and st.optional is not None:
        later = max(st.required, st.optional, key=lambda t: (t.line, t.col))
        report.at(later, '"required" and "optional" contradict each other: keep one')
    opts.required = st.optional is None and st.default is None
    return constrained, opts


def _apply(st: _State, phrase: Text) -> None:
    raw = phrase.text
    low = " ".join(raw.lower().split())
    if low in ("optional", "required"):
        setattr(st, low, phrase)
        return
    if low == "sensitive":
        st.sensitive = True
        return
    m = DEFAULT_RE.match(raw)
    if m:
        if st.default is not None:
            st.error(phrase, f'a second default "{raw}": a field has one default')
        else:
            st.default, st.default_raw = phrase, m.group(1).strip()
        return
    m = PATTERN_RE.match(raw.strip())
    if m:
        _pattern(st, m.group(1), phrase)
        return
    if m := CMP_RE.match(low):
        op = {"≥": ">=", "≤": "<=", "=>": ">=", "=<": "<="}.get(m.group(1), m.group(1))
        _bound(st, op, m.group(2), phrase)
    elif m := RANGE_RE.match(low) or BETWEEN_RE.match(low):
        _range(st, m.group(1), m.group(2), m.group(3), phrase)
    elif m := LIMIT_RE.match(low):
        is_max = m.group(1) in ("max", "maximum", "at most", "up to", "no more than")
        _limit(st, "max" if is_max else "min", m.group(2), m.group(3), phrase)
    elif m := EXACT_RE.match(low):
        _range(st, m.group(1), m.group(1), m.group(2), phrase)
    else:
        st.error(phrase, f'unknown constraint "{raw}"{_suggest(low)}')


def _suggest(low: str) -> str:
    words = re.findall(r"[a-z]+", low)
    if low in words:  # a single word: "optinal"
        return did_you_mean(low, VOCAB) or f" ({HELP})"
    for word in words:
        if word not in VOCAB:
            close = difflib.get_close_matches(word, VOCAB, n=1, cutoff=0.6)
            if close:
                fixed = re.sub(rf"\b{word}\b", close[0], low, count=1)
                return f' (did you mean "{fixed}"?)'
    return f" ({HELP})"


def _number(st: _State, literal: str, where: Text) -> int | float | None:
    value = to_number(literal)
    if value is None:
        st.error(where, f'"{literal}" is not a number')
        return None
    dec = Decimal(literal.lstrip("$"))
    if st.kind == "integer" and dec != dec.to_integral_value():
        st.error(where, f'"{where.text}": bounds of an integer field must be whole numbers')
        return None
    if st.kind == "money" and _decimals(dec) > 2:
        st.error(where, f'"{where.text}": money has at most 2 decimal places')
        return None
    return int(dec) if st.kind == "integer" else value


def _decimals(dec: Decimal) -> int:
    exponent = dec.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _not_numeric(st: _State, where: Text) -> bool:
    if st.kind in NUMERIC:
        return False
    if st.kind == "text":
        fix = 'to limit its length write it with characters, like "max 200 characters"'
        st.error(where, f'"{where.text}" is a number bound but "{st.field}" is text: {fix}')
    elif st.kind == "list":
        fix = 'to limit its size write it with items, like "max 5 items"'
        st.error(where, f'"{where.text}" is a number bound but "{st.field}" is a list: {fix}')
    else:
        st.error(
            where,
            f'"{where.text}" does not apply to {st.a_field()}: '
            "number bounds need an integer, number or money field",
        )
    return True


def _set(st: _State, attr: str, value: Any, where: Text) -> None:
    prev = getattr(st, attr)
    if prev is not None:
        what = {
            "lower": "lower bound",
            "upper": "upper bound",
            "min_len": "minimum length",
            "max_len": "maximum length",
            "pattern": "pattern",
        }[attr]
        st.error(where, f'"{where.text}" conflicts with "{prev[-1].text}": a field has one {what}')
        return
    setattr(st, attr, value)


def _bound(st: _State, op: str, literal: str, where: Text) -> None:
    if _not_numeric(st, where):
        return
    value = _number(st, literal, where)
    if value is None:
        return
    if op in (">", ">="):
        _set(st, "lower", (value, op == ">", where), where)
    else:
        _set(st, "upper", (value, op == "<", where), where)


def _unit(unit: str | None) -> str | None:
    if unit is None:
        return None
    return {"c": "characters", "l": "letters", "d": "digits", "i": "items"}[unit[0]]


def _range(st: _State, lo: str, hi: str, unit: str | None, where: Text) -> None:
    if unit is None:
        if _not_numeric(st, where):
            return
        low, high = _number(st, lo, where), _number(st, hi, where)
        if low is None or high is None:
            return
        if low > high:
            st.error(where, f'range "{where.text}" is empty: write the smaller number first')
            return
        _set(st, "lower", (low, False, where), where)
        _set(st, "upper", (high, False, where), where)
        return
    counts = _counts(st, [lo, hi], _unit(unit), where)
    if counts is None:
        return
    if counts[0] > counts[1]:
        st.error(where, f'range "{where.text}" is empty: write the smaller number first')
        return
    _lengths(st, counts[0], counts[1], _unit(unit), where)


def _limit(st: _State, which: str, literal: str, unit: str | None, where: Text) -> None:
    if unit is None:
        if st.kind in ("text", "list"):
            word = "character" if st.kind == "text" else "item"
            word += "" if literal == "1" else "s"
            st.error(where, f'"{where.text}" needs a unit: write "{where.text} {word}"')
            return
        _bound(st, "<=" if which == "max" else ">=", literal, where)
        return
    counts = _counts(st, [literal], _unit(unit), where)
    if counts is None:
        return
    if which == "max":
        _lengths(st, None, counts[0], _unit(unit), where)
    else:
        _lengths(st, counts[0], None, _unit(unit), where)


def _counts(st: _State, literals: list[str], unit: str | None, where: Text) -> list[int] | None:
    wanted = "list" if unit == "items" else "text"
    if st.kind != wanted:
        what = "the number of items of a list" if wanted == "list" else "the length of text"
        st.error(where, f'"{where.text}" limits {what} and does not apply to {st.a_field()}')
        return None
    out: list[int] = []
    for literal in literals:
        try:
            dec = Decimal(literal.lstrip("$"))
        except InvalidOperation:
            dec = Decimal(-1)
        if literal.startswith(("$", "-", "+")) or dec != dec.to_integral_value() or dec < 0:
            st.error(where, f'"{where.text}": a count must be a whole number, like 200')
            return None
        out.append(int(dec))
    return out


def _lengths(st: _State, lo: int | None, hi: int | None, unit: str | None, where: Text) -> None:
    if lo is not None:
        _set(st, "min_len", (lo, where), where)
    if hi is not None:
        _set(st, "max_len", (hi, where), where)
    if unit in ("letters", "digits"):
        chars = "[A-Za-z]" if unit == "letters" else "[0-9]"
        if lo is not None and lo == hi:
            reps = f"{{{lo}}}"
        else:
            reps = f"{{{lo or 0},{'' if hi is None else hi}}}"
        _set(st, "pattern", (f"^{chars}{reps}$", where), where)


def _pattern(st: _State, regex: str, where: Text) -> None:
    if st.kind != "text":
        st.error(where, f'"{where.text}" does not apply to {st.a_field()}: a pattern is for text')
        return
    if UNPORTABLE_RE.search(regex):
        st.error(where, "lookarounds and back-references are not supported in a pattern")
        return
    core = regex[1:] if regex.startswith("^") else regex
    if core.endswith("$") and not core.endswith("\\$"):
        core = core[:-1]
    anchored = f"^(?:{core})$" if "|" in core else f"^{core}$"
    try:
        re.compile(anchored)
    except (re.error, RecursionError, OverflowError) as exc:
        st.error(where, f"pattern /{regex}/ is not a valid regular expression: {exc}")
        return
    _set(st, "pattern", (anchored, where), where)


def _check_contradictions(st: _State) -> None:
    if st.lower and st.upper:
        (lo, lo_ex, lo_at), (hi, hi_ex, hi_at) = st.lower, st.upper
        empty = lo > hi or (lo == hi and (lo_ex or hi_ex))
        if st.kind == "integer" and not empty:
            empty = (int(lo) + 1 if lo_ex else int(lo)) > (int(hi) - 1 if hi_ex else int(hi))
        if empty and lo_at is not hi_at:
            st.error(hi_at, f'"{hi_at.text}" contradicts "{lo_at.text}": no value satisfies both')
    if st.min_len and st.max_len:
        (lo_n, lo_where), (hi_n, hi_where) = st.min_len, st.max_len
        if lo_n > hi_n:
            st.error(
                hi_where,
                f'"{hi_where.text}" contradicts "{lo_where.text}": no value satisfies both',
            )
