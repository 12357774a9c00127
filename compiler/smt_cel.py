"""The plain CEL the compiler generates and guardrails are written in, read into a small tree.

The exact table analysis (``analysis.py``) translates this tree to z3 (``smt_terms.py``). Only the
part of CEL with an exact meaning over the analysed domains is read: literals, ``input.x`` and
``output.x`` (one level), ``!``, ``&&``, ``||``, ``?:``, comparisons, ``in [...]``, ``+ - *`` and
division by a number, ``int()`` and ``double()`` (the rounding of derived values), and
``timestamp("...")``. Anything else (functions, macros, nested fields,
indexing) raises ``NotAnalysable`` with what was found, so the caller can say so: never silently.
"""

from __future__ import annotations

import ast
import datetime as dt
from dataclasses import dataclass
from typing import Any

from specwright.compiler.celscan import Token, tokenize
from specwright.compiler.errors import NotAnalysable
from specwright.compiler.feel import parse_datetime


@dataclass(frozen=True, slots=True)
class Lit:
    value: Any  # bool, int, float, str, None, or an aware datetime


@dataclass(frozen=True, slots=True)
class Ref:
    root: str  # "input" or "output"
    name: str


@dataclass(frozen=True, slots=True)
class Op:
    op: str  # ! neg && || ?: == != < <= > >= in + - * / list int double round (computed results)
    args: tuple[Node, ...]


Node = Lit | Ref | Op

_LEVELS = (("||",), ("&&",), ("==", "!=", "<", "<=", ">", ">=", "in"), ("+", "-"), ("*", "/"))


def parse_cel(expression: str) -> Node:
    """The tree of ``expression``; raises ``NotAnalysable`` for anything outside the subset."""
    tokens = tokenize(expression)
    if not tokens:
        raise NotAnalysable("an expression the analysis cannot read")
    parser = _Parser(tokens)
    node = parser.ternary()
    if parser.pos != len(tokens):
        raise NotAnalysable(f"'{tokens[parser.pos].text}'")
    return node


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos].text if self.pos < len(self.tokens) else None

    def take(self) -> Token:
        if self.pos >= len(self.tokens):
            raise NotAnalysable("an expression that ends too early")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def expect(self, text: str) -> None:
        if self.take().text != text:
            raise NotAnalysable(f"a missing '{text}'")

    def ternary(self) -> Node:
        cond = self.binary(0)
        if self.peek() != "?":
            return cond
        self.pos += 1
        yes = self.ternary()
        self.expect(":")
        return Op("?:", (cond, yes, self.ternary()))

    def binary(self, level: int) -> Node:
        if level == len(_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while (op := self.peek()) in _LEVELS[level]:
            self.pos += 1
            left = Op(str(op), (left, self.binary(level + 1)))
        return left

    def unary(self) -> Node:
        if self.peek() == "!":
            self.pos += 1
            return Op("!", (self.unary(),))
        if self.peek() == "-":
            self.pos += 1
            return Op("neg", (self.unary(),))
        return self.primary()

    def primary(self) -> Node:
        tok = self.take()
        if tok.text == "(":
            node = self.ternary()
            self.expect(")")
            return node
        if tok.text == "[":
            items: list[Node] = []
            while self.peek() != "]":
                items.append(self.ternary())
                if self.peek() == ",":
                    self.pos += 1
            self.pos += 1
            return Op("list", tuple(items))
        if tok.kind == "string":
            return Lit(_string(tok.text))
        if tok.kind == "number":
            return Lit(_number(tok.text))
        if tok.kind == "ident":
            return self.ident(tok)
        raise NotAnalysable(f"'{tok.text}'")

    def ident(self, tok: Token) -> Node:
        words = {"true": True, "false": False, "null": None}
        if tok.text in words:
            return Lit(words[tok.text])
        if tok.text == "timestamp" and self.peek() == "(":
            self.pos += 1
            arg = self.take()
            self.expect(")")
            if arg.kind != "string":
                raise NotAnalysable("timestamp() of something other than a literal")
            try:
                return Lit(parse_datetime(_string(arg.text)))
            except ValueError:
                raise NotAnalysable(f"timestamp({arg.text})") from None
        if tok.text in ("int", "double") and self.peek() == "(":  # derived values' rounding
            self.pos += 1
            inner = self.ternary()
            self.expect(")")
            return Op(tok.text, (inner,))
        if tok.text in ("input", "output") and self.peek() == ".":
            self.pos += 1
            name = self.take()
            if name.kind != "ident":
                raise NotAnalysable(f"'{tok.text}.{name.text}'")
            if self.peek() in (".", "[", "("):
                raise NotAnalysable(f"'{tok.text}.{name.text}{self.peek()}' (a nested or called value)")
            return Ref(tok.text, name.text)
        if self.peek() == "(":
            raise NotAnalysable(f"the function {tok.text}()")
        raise NotAnalysable(f"'{tok.text}'")


def _string(text: str) -> str:
    if text[:1] in "rRbB" or text[:3] in ('"""', "'''"):
        raise NotAnalysable(f"the string {text}")
    value = ast.literal_eval(text)
    if not isinstance(value, str):
        raise NotAnalysable(f"the string {text}")
    return value


def _number(text: str) -> int | float:
    if text[-1] in "uU" or text.lower().startswith("0x"):
        raise NotAnalysable(f"the number {text}")
    return float(text) if any(c in text for c in ".eE") else int(text)


def literals_of(node: Node) -> list[tuple[Ref, Any]]:
    """Every (field, literal) pair the expression compares, in reading order: the text values the
    analysis must tell apart, and the numbers and dates its counterexamples start from."""
    found: list[tuple[Ref, Any]] = []
    if isinstance(node, Op):
        if node.op in ("==", "!=", "in", "<", "<=", ">", ">=") and len(node.args) == 2:
            left, right = node.args
            values = right.args if isinstance(right, Op) and right.op == "list" else (right,)
            for ref, others in ((left, values), (right, (left,))):
                if isinstance(ref, Ref):
                    found.extend((ref, o.value) for o in others if isinstance(o, Lit))
        for arg in node.args:
            found.extend(literals_of(arg))
    return found


def is_datetime(value: Any) -> bool:
    return isinstance(value, dt.datetime)
