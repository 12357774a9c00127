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
from dataclasses import dataclass
from typing import Any, NamedTuple

from specwright.compiler.errors import FeelError, did_you_mean
from specwright.compiler.ir import FieldType

ANY = frozenset({"-", "\u2013", "\u2014"})  # also the en and em dashes editors turn "-" into
ORDERED = frozenset({"integer", "number", "money", "date", "datetime"})
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
    | (?P<datetime>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)
    | (?P<date>\d{4}-\d{2}-\d{2})
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
        if tok is None or tok.kind not in ("number", "string", "word", "date", "datetime"):
            found = f"found {_q(tok.text)}" if tok else "found nothing"
            raise FeelError(f"{_q(self.text)}: expected a value after {_q(after)}, {found}")
        self.pos += 1
        return _literal(tok)

    def test(self) -> Test:
        tok = self.take()
        if tok.kind == "op":
            op = {"=": "==", "<>": "!="}.get(tok.text, tok.text)
            return Compare(op, self.literal(tok.text))
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

    def expect(self, kind: str, text: str) -> None:
        tok = self.peek()
        if tok is None or tok.kind != kind:
            raise FeelError(f"{_q(self.text)}: expected {_q(text)}")
        self.pos += 1

    def tests(self, closing: str | None) -> tuple[Test, ...]:
        tests = [self.test()]
        while (tok := self.peek()) is not None and tok.text == ",":
            self.pos += 1
            tests.append(self.test())
        tok = self.peek()
        if closing is not None and (tok is None or tok.text != closing):
            raise FeelError(f"{_q(self.text)}: missing {_q(closing)}")
        if closing is None and tok is not None:
            raise FeelError(f"{_q(self.text)}: unexpected {_q(tok.text)} (separate tests with ',')")
        return tuple(tests)


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
    if kind == "datetime" and lit.kind in ("date", "datetime", "string"):
        try:
            return Lit("timestamp", text, parse_datetime(str(lit.value)))
        except ValueError:
            pass
    raise FeelError(f"is not {expected(ftype)}")


def parse_datetime(text: str) -> dt.datetime:
    """An ISO date or date and time as an aware datetime (UTC when no offset is written)."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def type_tests(
    cell: UnaryTests, text: str, name: str, ftype: FieldType, nullable: bool
) -> UnaryTests:
    """Type every literal of a parsed cell against its field; reject tests the type cannot take."""
    text = strip_cell(text)
    lits = [lit for test in cell.tests for lit in _lits(test)]

    def fail(lit: Lit | None, why: str) -> FeelError:
        shown = _q(text) if lit is None or len(lits) == 1 else f"{_q(lit.text)} in {_q(text)}"
        return FeelError(f"{shown} {why}")

    typed: list[Test] = []
    for test in cell.tests:
        if isinstance(test, Range):
            if ftype.kind not in ORDERED:
                raise fail(None, f"is a range, but {name} is {expected(ftype)}: list the values")
            lo, hi = (_typed(lit, ftype, fail) for lit in (test.lo, test.hi))
            if "null" in (lo.kind, hi.kind):
                raise fail(None, "is not a range of values")
            if lo.value > hi.value or (lo.value == hi.value and (test.lo_open or test.hi_open)):
                raise fail(None, "is an empty range: write the lower bound first")
            typed.append(Range(lo, hi, test.lo_open, test.hi_open))
            continue
        lit = _typed(test.value, ftype, fail)
        if lit.kind == "null" and not nullable:
            raise fail(lit, f"cannot match: {name} is required, it is never absent (null)")
        if test.op not in ("==", "!=") and (ftype.kind not in ORDERED or lit.kind == "null"):
            raise fail(None, f"compares by order, but {name} is {expected(ftype)}: use = or a list")
        typed.append(Compare(test.op, lit))
    return UnaryTests(tuple(typed), cell.negated)


def _typed(lit: Lit, ftype: FieldType, fail: Any) -> Lit:
    try:
        return type_literal(lit, ftype)
    except FeelError as exc:
        raise fail(lit, str(exc)) from None


def _lits(test: Test) -> tuple[Lit, ...]:
    return (test.lo, test.hi) if isinstance(test, Range) else (test.value,)
