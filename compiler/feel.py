"""Decision-table cells: FEEL-style unary tests, parsed, typed against their field, rendered as CEL.

A condition cell is ``-`` (any value), or a comma-separated disjunction of tests, optionally
wrapped in ``not(...)``. A test is a comparison (``> 500``, ``<= 1``, ``= 5``, ``!= 5``), a range
(``2..3``, FEEL ``[2..3]``, ``(2..3)``, ``]2..3[`` with open or closed ends) or a plain literal: a
number, a "quoted string", a bare word (enum values, text), yes/no/true/false, an ISO date or date
and time, or ``null`` (the field is absent: only for optional fields).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from specwright.compiler.errors import FeelError, did_you_mean
from specwright.compiler.ir import Field, FieldType
from specwright.compiler.timeofday import NO_OFFSET as TIME_NO_OFFSET
from specwright.compiler.timeofday import TIME_EXAMPLE, has_offset, iso_time, time_seconds

ANY = frozenset({"-", "\u2013", "\u2014"})  # also the en and em dashes editors turn "-" into
ORDERED = frozenset({"integer", "number", "money", "date", "datetime", "time"})
SCALAR = ORDERED | {"text", "enum", "boolean"}
TRUE_WORDS, FALSE_WORDS = frozenset({"yes", "true"}), frozenset({"no", "false"})


@dataclass(frozen=True, slots=True)
class Lit:
    """A literal. Parsed kinds: number, string, word, date, datetime, null. After typing against
    a field: int, double, string, bool, timestamp, null (``value`` converted accordingly)."""

    kind: str
    text: str
    value: Any


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # ==, !=, <, <=, >, >=  (a plain literal is an == test)
    value: Lit


@dataclass(frozen=True, slots=True)
class Range:
    lo: Lit
    hi: Lit
    lo_open: bool = False
    hi_open: bool = False


@dataclass(frozen=True, slots=True)
class ListTest:
    """``[a, b]``: the value is one of these (read as ``a, b``)."""

    values: tuple[Lit, ...]


Test = Compare | Range


@dataclass(frozen=True, slots=True)
class UnaryTests:
    tests: tuple[Test, ...]  # empty: "-", any value
    negated: bool = False


# ----------------------------------------------------------------------------- tokens


class _Tok(NamedTuple):
    kind: str
    text: str


_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|“[^”]*”)
    | (?P<fn>(?:date\s+and\s+time|datetime|date|duration|time)\(\s*(?:"[^"]*"|'[^']*')\s*\))
    | (?P<ref>input\.[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)
    | (?P<duration>-?P(?=\d|T\d)(?:\d+W)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?(?!\w))
    | (?P<datetime>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)
    | (?P<number>[-+]?\$?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
    | (?P<dots>\.\.)
    | (?P<op><=|>=|!=|<>|==?|<|>)
    | (?P<punct>[,()\[\]])
    | (?P<word>[^\W\d][\w-]*)""",
    re.X,
)
_THOUSANDS = re.compile(r"\d,\d{3}(?!\d)")


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise FeelError(f"unexpected {text[pos]!r} in {_q(text)}")
        kind, piece = match.lastgroup or "", match.group()
        if kind == "word" and tokens and tokens[-1].kind == "word" and text[pos - 1].isspace():
            tokens[-1] = _Tok("word", f"{tokens[-1].text} {piece}")  # "next day": one enum value
        elif kind != "ws":
            tokens.append(_Tok(kind, piece))
        pos = match.end()
    return tokens


def _q(text: str) -> str:
    return "'" + text + "'"


def strip_cell(text: str) -> str:
    """Cell text without surrounding whitespace and code backticks."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == "`":
        text = text[1:-1].strip()
    return text


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _literal(tok: _Tok) -> Lit:
    if tok.kind == "fn":  # date("2024-01-31"), date and time("..."), duration("P14D")
        name, _, rest = tok.text.partition("(")
        inner = _unquote(rest.rstrip(")").strip())
        kind = {"date": "date", "duration": "duration", "time": "time"}.get(name.strip(),
                                                                            "datetime")
        return Lit(kind, tok.text, inner)
    if tok.kind == "ref":
        return Lit("ref", tok.text, tok.text.removeprefix("input."))
    if tok.kind == "duration":
        return Lit("duration", tok.text, tok.text)
    if tok.kind == "number":
        raw = tok.text.replace("$", "")
        value: Any = float(raw) if any(c in raw for c in ".eE") else int(raw)
        return Lit("number", tok.text, value)
    if tok.kind == "string":
        return Lit("string", tok.text, _unquote(tok.text))
    if tok.kind == "word" and tok.text.lower() == "null":
        return Lit("null", tok.text, None)
    return Lit(tok.kind, tok.text, tok.text)


_CURRENCY = re.compile(r"[€£¥₹]\s?\d[\d.]*|\d[\d.]*\s?[€£¥₹$]")
_PERCENT = re.compile(r"\d\s?%")


def _number_hygiene(text: str, unquoted: str) -> None:
    """Numbers written as people write them in prose, which would otherwise parse as something
    else (``35,3`` is the list 35, 3) or fail with a puzzling message: a decimal comma, a unit or
    a percent sign stuck to the number, a currency sign other than ``$`` before an amount."""
    if (match := _CURRENCY.search(unquoted)) is not None:
        number = re.sub(r"[^\d.]", "", match.group())
        raise FeelError(
            f"{_q(text)}: write the amount without a currency sign ({number}): amounts are plain "
            "numbers, the currency belongs in the field's description"
        )
    if (match := _PERCENT.search(unquoted)) is not None:
        found = re.search(r"[\d.]*\d", unquoted[: match.end()][::-1])
        digits = found.group()[::-1] if found else "5"
        raise FeelError(
            f"{_q(text)}: write the number without '%' ({digits}, as the field holds it)"
        )
    tokens = [(m.lastgroup, m.group(), m.start(), m.end()) for m in _TOKEN.finditer(unquoted)]
    tokens = [t for t in tokens if t[0] != "ws"] if tokens else []
    for (kind, piece, _, end), (kind2, piece2, start2, _) in zip(tokens, tokens[1:], strict=False):
        if kind == "number" and kind2 == "word" and piece2.lower() not in ("null", "not"):
            raise FeelError(
                f"{_q(text)}: '{piece}{unquoted[end:start2]}{piece2}' has a unit after the "
                "number: write "
                f"{piece.lstrip('$')} (the unit belongs in the field's description)"
            )
    for first, comma, second in zip(tokens, tokens[1:], tokens[2:], strict=False):
        if (
            first[0] == "number"
            and comma[1] == ","
            and second[0] == "number"
            and first[3] == comma[2]
            and comma[3] == second[2]
        ):
            whole = first[1].replace(".", "")  # 1.000,50: a thousands dot too
            raise FeelError(
                f"{_q(text)}: '{first[1]},{second[1]}' has a decimal comma: write "
                f"{whole}.{second[1]} (with a decimal point); to list two numbers, put a "
                f"space after the comma ({first[1]}, {second[1]})"
            )


# ----------------------------------------------------------------------------- parsing


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self, ahead: int = 0) -> _Tok | None:
        index = self.pos + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise FeelError(f"{_q(self.text)} ends too early")
        self.pos += 1
        return tok

    def literal(self, after: str) -> Lit:
        tok = self.peek()
        if tok is None or tok.kind not in (
            "number", "string", "word", "date", "datetime", "fn", "ref", "duration", "time"
        ):
            found = f"found {_q(tok.text)}" if tok else "found nothing"
            raise FeelError(f"{_q(self.text)}: expected a value after {_q(after)}, {found}")
        self.pos += 1
        return _literal(tok)

    def test(self) -> Test | ListTest:
        tok = self.take()
        if tok.kind == "op":
            op = {"=": "==", "<>": "!="}.get(tok.text, tok.text)
            return Compare(op, self.literal(tok.text))
        if tok.kind == "punct" and tok.text == "[" and self._is_list():
            return self._list()
        if tok.kind == "punct" and tok.text in "[(]":
            lo = self.literal(tok.text)
            self.expect("dots", "..")
            hi = self.literal("..")
            close = self.take()
            if close.text not in ("]", ")", "["):
                raise FeelError(f"{_q(self.text)}: close the range with ']' or ')'")
            return Range(lo, hi, lo_open=tok.text != "[", hi_open=close.text != "]")
        self.pos -= 1
        lo = self.literal("the start")
        if self.peek() is not None and self.peek() == _Tok("dots", ".."):
            self.pos += 1
            return Range(lo, self.literal(".."))
        return Compare("==", lo)

    def _is_list(self) -> bool:
        """After ``[``: a FEEL list ``[a, b]`` (not a range ``[a..b]``)."""
        following = self.peek(1)
        return self.peek() == _Tok("punct", "]") or (
            following is not None and following.text in (",", "]")
        )

    def _list(self) -> ListTest:
        """``[a, b, c]``: any of the values (a FEEL list, as a unary test)."""
        values: list[Lit] = []
        while (tok := self.peek()) is not None and tok.text != "]":
            values.append(self.literal("[" if not values else ","))
            if (sep := self.peek()) is not None and sep.text == ",":
                self.pos += 1
        if self.peek() is None:
            raise FeelError(f"{_q(self.text)}: close the list with ']'")
        self.pos += 1
        if not values:
            raise FeelError(
                f"{_q(self.text)}: the list is empty: write the values, like [\"AK\", \"HI\"]"
            )
        return ListTest(tuple(values))

    def expect(self, kind: str, text: str) -> None:
        tok = self.peek()
        if tok is None or tok.kind != kind:
            raise FeelError(f"{_q(self.text)}: expected {_q(text)}")
        self.pos += 1

    def tests(self, closing: str | None) -> tuple[Test, ...]:
        tests = _flat(self.test())
        while (tok := self.peek()) is not None and tok.text == ",":
            self.pos += 1
            tests.extend(_flat(self.test()))
        tok = self.peek()
        if closing is not None and (tok is None or tok.text != closing):
            raise FeelError(f"{_q(self.text)}: missing {_q(closing)}")
        if closing is None and tok is not None:
            raise FeelError(f"{_q(self.text)}: unexpected {_q(tok.text)} (separate tests with ',')")
        return tuple(tests)


def _flat(test: Test | ListTest) -> list[Test]:
    if isinstance(test, ListTest):
        return [Compare("==", value) for value in test.values]
    return [test]


def parse_unary_tests(text: str) -> UnaryTests:
    """Parse a condition cell. Raises ``FeelError`` with a message for the domain expert."""
    text = strip_cell(text)
    if text in ANY:
        return UnaryTests(())
    if not text:
        raise FeelError("the cell is empty: write - for any value")
    unquoted = re.sub(r'"[^"]*"|\'[^\']*\'|“[^”]*”', "", text)
    if _THOUSANDS.search(unquoted):
        raise FeelError(
            f"{_q(text)}: write numbers without a thousands separator (1000, not 1,000)"
        )
    _number_hygiene(text, unquoted)
    parser = _Parser(text)
    first, second = parser.peek(), parser.peek(1)
    if (
        first
        and second
        and first.kind == "word"
        and first.text.lower() == "not"
        and second.text == "("
    ):
        parser.pos = 2
        tests = parser.tests(")")
        parser.pos += 1
        if parser.peek() is not None:
            raise FeelError(f"{_q(text)}: nothing may follow not(...)")
        return UnaryTests(tests, negated=True)
    return UnaryTests(parser.tests(None))


# ----------------------------------------------------------------------------- typing


def expected(ftype: FieldType) -> str:
    """What a literal of this type is called in messages."""
    return {
        "integer": "a whole number",
        "number": "a number",
        "money": "an amount (a number)",
        "boolean": "yes or no",
        "date": "a date (write 2024-01-31)",
        "datetime": "a date and time (write 2024-01-31T09:00:00Z)",
        "duration": "a duration (write P14D, PT36H)",
        "time": f"a time of day (write {TIME_EXAMPLE})",
        "text": "text",
        "enum": "one of: " + ", ".join(ftype.values),
    }.get(ftype.kind, ftype.kind)


def type_literal(lit: Lit, ftype: FieldType) -> Lit:
    """Convert a parsed literal to the field's type. Raises ``FeelError`` naming what was expected
    (the caller wraps the message with the cell text)."""
    kind, text = ftype.kind, lit.text
    if lit.kind == "null":
        return lit
    if kind == "text":
        return Lit("string", text, lit.value if lit.kind == "string" else text)
    if kind in ("integer", "number") and lit.kind == "number" and "$" in text:
        raise FeelError(
            f"has a currency sign, but the field is {expected(ftype)}, not money: "
            f"write {text.replace('$', '')}"
        )
    if kind in ("integer", "number", "money") and lit.kind == "number":
        if not math.isfinite(float(lit.value)) or abs(lit.value) >= 2**63:
            raise FeelError("is too large")
        if kind != "integer":
            return Lit("double", text, float(lit.value))
        if float(lit.value).is_integer():
            return Lit("int", text, int(lit.value))
    if kind == "enum" and lit.kind in ("string", "word", "number"):
        value = str(lit.value)
        if value in ftype.values:
            return Lit("string", text, value)
        raise FeelError(f"is not {expected(ftype)}{did_you_mean(value, ftype.values)}")
    if kind == "boolean" and lit.kind in ("word", "string"):
        word = str(lit.value).lower()
        if word in TRUE_WORDS | FALSE_WORDS:
            return Lit("bool", text, word in TRUE_WORDS)
    if kind == "date" and lit.kind in ("date", "string"):
        try:
            return Lit("string", text, dt.date.fromisoformat(str(lit.value)).isoformat())
        except ValueError:
            pass
    if kind == "time" and lit.kind in ("time", "string"):
        if has_offset(str(lit.value)):
            raise FeelError(TIME_NO_OFFSET)
        of_day = time_seconds(str(lit.value))
        if of_day is not None:
            return Lit("string", text, iso_time(of_day))
    if kind == "duration" and lit.kind in ("duration", "string"):
        seconds = duration_seconds(str(lit.value))
        if seconds is not None:
            return Lit("duration", text, seconds)
    if kind == "datetime" and lit.kind in ("date", "datetime", "string"):
        if missing_offset(str(lit.value)):
            raise FeelError(NO_OFFSET)
        try:
            return Lit("timestamp", text, parse_datetime(str(lit.value)))
        except ValueError:
            pass
    raise FeelError(f"is not {expected(ftype)}")


_DURATION = re.compile(
    r"(-?)P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?"
)


def duration_seconds(text: str) -> int | None:
    """Seconds of an ISO 8601 duration in weeks, days, hours, minutes and seconds (``P14D``,
    ``PT36H``); None for anything else (months and years have no fixed length)."""
    text = text.strip().upper()
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.group(k) for k in "wdhms") or text.endswith("T"):
        return None
    w, d, h, m, sec = (int(match.group(k) or 0) for k in "wdhms")
    total = (((w * 7 + d) * 24 + h) * 60 + m) * 60 + sec
    return -total if match.group(1) else total


_OFFSET = re.compile(r"(?:Z|z|[+-]\d{2}:?\d{2})$")
NO_OFFSET = (
    "has no offset: write it with Z for UTC (2024-01-31T09:00:00Z) or with its offset "
    "(2024-01-31T10:00:00+01:00); a date and time without one is a different moment in every "
    "timezone, so it is refused everywhere (cells, defaults, examples, HTTP input)"
)


def missing_offset(text: str) -> bool:
    """A date and time (not a bare date) written without ``Z`` or ``+hh:mm``: the one rule for
    cells, defaults, derived values, examples and HTTP input is to refuse it."""
    text = text.strip()
    return len(text) > 10 and not _OFFSET.search(text)


def parse_datetime(text: str) -> dt.datetime:
    """An ISO date or date and time as an aware datetime (UTC when no offset is written)."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def type_tests(
    cell: UnaryTests,
    text: str,
    name: str,
    ftype: FieldType,
    nullable: bool,
    refs: Mapping[str, Field] | None = None,
) -> UnaryTests:
    """Type every literal of a parsed cell against its field; reject tests the type cannot take.
    ``refs``: the Input fields a cell may compare with (``> input.credit_limit``)."""
    text = strip_cell(text)
    lits = [lit for test in cell.tests for lit in _lits(test)]

    def fail(lit: Lit | None, why: str) -> FeelError:
        shown = _q(text) if lit is None or len(lits) == 1 else f"{_q(lit.text)} in {_q(text)}"
        return FeelError(f"{shown} {why}")

    typed: list[Test] = []
    ordered = ORDERED | {"text", "duration"}  # text compares by order too ("A".."M")
    for test in cell.tests:
        if isinstance(test, Range):
            if ftype.kind not in ordered:
                raise fail(None, f"is a range, but {name} is {expected(ftype)}: list the values")
            lo, hi = (_typed(lit, ftype, fail, refs) for lit in (test.lo, test.hi))
            if "null" in (lo.kind, hi.kind):
                raise fail(None, "is not a range of values")
            fixed = "ref" not in (lo.kind, hi.kind)
            if fixed and (lo.value > hi.value or (
                lo.value == hi.value and (test.lo_open or test.hi_open)
            )):
                raise fail(None, "is an empty range: write the lower bound first")
            typed.append(Range(lo, hi, test.lo_open, test.hi_open))
            continue
        lit = _typed(test.value, ftype, fail, refs)
        if lit.kind == "null" and not nullable:
            raise fail(lit, f"cannot match: {name} is required, it is never absent (null)")
        if test.op not in ("==", "!=") and (ftype.kind not in ordered or lit.kind == "null"):
            raise fail(None, f"compares by order, but {name} is {expected(ftype)}: use = or a list")
        typed.append(Compare(test.op, lit))
    return UnaryTests(tuple(typed), cell.negated)


def _typed(lit: Lit, ftype: FieldType, fail: Any, refs: Mapping[str, Field] | None = None) -> Lit:
    try:
        if lit.kind == "ref":
            return type_reference(lit, ftype, refs or {})
        return type_literal(lit, ftype)
    except FeelError as exc:
        raise fail(lit, str(exc)) from None


_FAMILY = {"integer": "number", "money": "number", "enum": "text"}


def type_reference(lit: Lit, ftype: FieldType, refs: Mapping[str, Field]) -> Lit:
    """``input.credit_limit`` in a cell: another Input field of a kind that compares with the
    column's (numbers with numbers, text with text and one of, dates with dates)."""
    parts = str(lit.value).split(".")
    fields, found = refs, None
    for depth, part in enumerate(parts):
        found = fields.get(part)
        if found is None:
            where = "input." + ".".join(parts[:depth]) if depth else "the Input"
            hint = did_you_mean(part, list(fields))
            raise FeelError(f"refers to {where}.{part}, which is not an Input field{hint}"
                            if depth else f"refers to input.{part}, which is not an Input "
                            f"field{hint}")
        if not found.required and not found.has_default:
            raise FeelError(f"refers to {lit.text}, which is optional: compare with a field "
                            "that is always there (required, or with a default)")
        fields = {f.name: f for f in found.type.fields}
    assert found is not None
    mine = _FAMILY.get(ftype.kind, ftype.kind)
    theirs = _FAMILY.get(found.type.kind, found.type.kind)
    if mine != theirs:
        raise FeelError(f"compares with {lit.text}, which is {expected(found.type)}, not "
                        f"{expected(ftype)}")
    return Lit("ref", lit.text, lit.value)


def _lits(test: Test) -> tuple[Lit, ...]:
    return (test.lo, test.hi) if isinstance(test, Range) else (test.value,)
