"""The expression language of derived values (``## Derived``) and of computed table columns,
read into a small located tree.

Written as a domain expert writes a formula: ``length_cm + width_cm + height_cm``,
``max(length_cm, width_cm, height_cm)``, ``median(...)``, ``round(total * 0.2, 2)``,
``days_between(ordered_on, returned_on)``, ``count(line_items, in_stock = no)``,
``sum(line_items.price)``, ``if weight_g > 750 then 1 else 0``, comparisons with ``=`` and words
``and``, ``or``, ``not``. ``derived.py`` types the tree and renders it as CEL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from specwright.compiler.errors import DerivedError


@dataclass(frozen=True, slots=True)
class Num:
    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class Str:
    value: str
    pos: int


@dataclass(frozen=True, slots=True)
class Word:
    """yes/no/true/false/null, or a bare enum value on the right of a comparison."""

    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class Name:
    parts: tuple[str, ...]  # ``ship_to.country`` -> ("ship_to", "country")
    pos: int


@dataclass(frozen=True, slots=True)
class Call:
    fn: str
    args: tuple[Expr, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "-" or "not"
    operand: Expr
    pos: int


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # + - * / and or == != < <= > >=
    left: Expr
    right: Expr
    pos: int


@dataclass(frozen=True, slots=True)
class If:
    cond: Expr
    then: Expr
    other: Expr
    pos: int


Expr = Num | Str | Word | Name | Call | Unary | Binary | If

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
    | (?P<op><=|>=|!=|<>|==|=|<|>|\+|-|\*|/|\(|\)|,|\.|&&|\|\|)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)""",
    re.X,
)
KEYWORDS = frozenset({"and", "or", "not", "if", "then", "else"})
COMPARE = {"=": "==", "==": "==", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">",
           ">=": ">="}


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise DerivedError(f"unexpected {text[pos]!r}", pos)
        if match.lastgroup != "ws":
            out.append(_Tok(match.lastgroup or "", match.group(), pos))
        pos = match.end()
    return out


def parse_expression(text: str) -> Expr:
    """Parse one expression; raises ``DerivedError`` located in ``text``."""
    if not text.strip():
        raise DerivedError("the expression is empty: write a formula, e.g. a + b", 0)
    parser = _Parser(text, _tokens(text))
    tree = parser.expr()
    if parser.pos < len(parser.toks):
        tok = parser.toks[parser.pos]
        raise DerivedError(f"unexpected {tok.text!r}: an operator or ',' is missing", tok.pos)
    return tree


class _Parser:
    def __init__(self, text: str, toks: list[_Tok]) -> None:
        self.text, self.toks, self.pos = text, toks, 0

    def peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def at(self, *texts: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.text.lower() in texts and tok.kind in ("op", "word")

    def take(self, what: str) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise DerivedError(f"the expression ends too early: expected {what}", len(self.text))
        self.pos += 1
        return tok

    def expect(self, text: str) -> _Tok:
        tok = self.take(f"'{text}'")
        if tok.text.lower() != text:
            raise DerivedError(f"expected '{text}', found {tok.text!r}", tok.pos)
        return tok

    def expr(self) -> Expr:
        if self.at("if"):
            start = self.take("if").pos
            cond = self.expr()
            self.expect("then")
            then = self.expr()
            self.expect("else")
            return If(cond, then, self.expr(), start)
        return self.binary(0)

    _LEVELS: tuple[tuple[str, ...], ...] = (
        ("or", "||"),
        ("and", "&&"),
        tuple(COMPARE),
        ("+", "-"),
        ("*", "/"),
    )

    def binary(self, level: int) -> Expr:
        if level == len(self._LEVELS):
            return self.unary()
        if level == 2 and self.at("not"):  # not binds looser than comparisons
            start = self.take("not").pos
            return Unary("not", self.binary(level), start)
        left = self.binary(level + 1)
        while self.at(*self._LEVELS[level]):
            tok = self.take("an operator")
            op = {"||": "or", "&&": "and"}.get(tok.text, tok.text.lower())
            right = self.binary(level + 1)
            left = Binary(COMPARE.get(op, op), left, right, tok.pos)
            if level == 2 and self.at(*self._LEVELS[2]):
                raise DerivedError("compare two values at a time: join with 'and'",
                                   self.toks[self.pos].pos)
        return left

    def unary(self) -> Expr:
        if self.at("-"):
            start = self.take("-").pos
            return Unary("-", self.unary(), start)
        return self.primary()

    def primary(self) -> Expr:
        tok = self.take("a value")
        if tok.kind == "number":
            return Num(tok.text, tok.pos)
        if tok.kind == "string":
            return Str(re.sub(r"\\(.)", r"\1", tok.text[1:-1]), tok.pos)
        if tok.text == "(":
            inner = self.expr()
            self.expect(")")
            return inner
        if tok.kind != "word" or tok.text.lower() in KEYWORDS:
            raise DerivedError(f"expected a value, found {tok.text!r}", tok.pos)
        if self.at("("):
            self.pos += 1
            args: list[Expr] = []
            if not self.at(")"):
                args.append(self.expr())
                while self.at(","):
                    self.pos += 1
                    args.append(self.expr())
            self.expect(")")
            return Call(tok.text.lower(), tuple(args), tok.pos)
        parts = [tok.text]
        while self.at("."):
            self.pos += 1
            part = self.take("a field name after '.'")
            if part.kind != "word":
                raise DerivedError(f"expected a field name after '.', found {part.text!r}",
                                   part.pos)
            parts.append(part.text)
        if len(parts) == 1 and tok.text.lower() in ("yes", "no", "true", "false", "null"):
            return Word(tok.text.lower(), tok.pos)
        return Name(tuple(parts), tok.pos)
