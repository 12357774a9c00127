"""The plain part of CEL evaluated in Python, with a way out to the real CEL program.

Decision-table conditions and most guardrails are comparisons of fields with literals joined by
``&&``, ``||`` and ``!``. Handing values to the CEL binding costs several microseconds per field
per run, far more than the comparisons; for those expressions this module builds Python closures
once per revision and evaluates them on plain Python values.

It is a fast path, never a second definition of CEL. ``compile_native`` accepts only a small
grammar (literals, flattened variables, list literals, parentheses, ``double()``,
``! - * / + - < <= > >= == != in && || ?:``) and returns None for anything else (other functions,
macros, member access, escapes in strings, unsigned or out-of-range literals): that expression keeps running in CEL. At run time each
operator accepts only the operand types whose CEL result it reproduces exactly (ints, doubles,
strings, booleans, null; an int meets a double as CEL's binding does, both as doubles) and raises
``NativeUnsupported`` for any other combination, including every case where CEL raises an error. The
caller then runs the CEL program for that run, so a result from here is always CEL's result.
``tests/runtime/test_native_cel.py`` holds this against the binding on generated expressions.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Mapping
from typing import Any

from specwright.compiler.celscan import Token, tokenize
from specwright.runtime.errors import NativeUnsupported, NotNativeExpression

Variables = Mapping[str, Any]
Native = Callable[[Variables], Any]

_INT_MIN, _INT_MAX = -(1 << 63), (1 << 63) - 1
_NUMBERS = frozenset({int, float})  # type() is never bool here: bools are not numbers in CEL
_ORDERED = frozenset({int, float, str})
_SCALARS = frozenset({int, float, str, bool, type(None)})


def plain_value(value: Any) -> bool:
    """``value`` can be handed to CEL and compared here alike: not a string CEL refuses (one
    holding a lone surrogate, which has no UTF-8 form), nor a list holding one."""
    kind = type(value)
    if kind is str:
        if value.isascii():
            return True
        try:
            value.encode()
        except UnicodeEncodeError:
            return False
        return True
    if kind is list:
        return all(plain_value(item) for item in value)
    return True


def compile_native(expression: str) -> Native | None:
    """A closure computing ``expression`` from flat variables, or None if it is not in the plain
    grammar. The closure raises ``NativeUnsupported`` when it cannot give CEL's exact result."""
    tokens = tokenize(expression)
    if not tokens:
        return None
    parser = _Parser(tokens)
    try:
        node = parser.expression()
        if parser.pos != len(tokens):
            raise NotNativeExpression
    except NotNativeExpression:
        return None
    return node


# -- run-time operators ------------------------------------------------------------------------


def equal(a: Any, b: Any) -> bool:
    ta, tb = type(a), type(b)
    if ta is tb:
        if ta in _SCALARS:
            return bool(a == b)
        raise NativeUnsupported
    if ta in _NUMBERS and tb in _NUMBERS:
        return float(a) == float(b)
    if (a is None and tb in _SCALARS) or (b is None and ta in _SCALARS):
        return False
    raise NativeUnsupported


def _ordering(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def ordered(a: Any, b: Any) -> bool:
        ta, tb = type(a), type(b)
        if ta is tb and ta in _ORDERED:
            return compare(a, b)
        if ta in _NUMBERS and tb in _NUMBERS:
            return compare(float(a), float(b))
        raise NativeUnsupported

    return ordered


def _member(a: Any, items: Any) -> bool:
    if type(items) not in (list, tuple):
        raise NativeUnsupported
    return any(equal(a, item) for item in items)


def _arithmetic(compute: Callable[[Any, Any], Any], strings: bool) -> Callable[[Any, Any], Any]:
    def arithmetic(a: Any, b: Any) -> Any:
        ta, tb = type(a), type(b)
        if ta is not tb:
            raise NativeUnsupported  # CEL does not mix int and double in arithmetic
        if ta is int:
            value = compute(a, b)
            if _INT_MIN <= value <= _INT_MAX:
                return value
            raise NativeUnsupported  # CEL raises on overflow
        if ta is float or (strings and ta is str):
            return compute(a, b)
        raise NativeUnsupported

    return arithmetic


def _divide(a: Any, b: Any) -> Any:
    if type(a) is float and type(b) is float and b != 0.0:
        return a / b
    raise NativeUnsupported  # int division truncates, x / 0.0 is an infinity: left to CEL


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise NativeUnsupported
    return bool(value)


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": equal,
    "!=": lambda a, b: not equal(a, b),
    "<": _ordering(operator.lt),
    "<=": _ordering(operator.le),
    ">": _ordering(operator.gt),
    ">=": _ordering(operator.ge),
    "in": _member,
    "+": _arithmetic(operator.add, strings=True),
    "-": _arithmetic(operator.sub, strings=False),
    "*": _arithmetic(operator.mul, strings=False),
    "/": _divide,
}
_RELATIONS = frozenset({"==", "!=", "<", "<=", ">", ">=", "in"})


# -- compile time: a precedence-climbing parser that builds closures ---------------------------


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos].text if self.pos < len(self.tokens) else None

    def take(self) -> Token:
        if self.pos >= len(self.tokens):
            raise NotNativeExpression
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, text: str) -> None:
        if self.take().text != text:
            raise NotNativeExpression

    def expression(self) -> Native:
        condition = self.logical("||")
        if self.peek() != "?":
            return condition
        self.take()
        yes = self.logical("||")
        self.expect(":")
        no = self.expression()
        return lambda v: yes(v) if _boolean(condition(v)) else no(v)

    def logical(self, op: str) -> Native:
        lower = self.relation if op == "&&" else (lambda: self.logical("&&"))
        left = lower()
        while self.peek() == op:
            self.take()
            left = _join(op, left, lower())
        return left

    def relation(self) -> Native:
        return self.left_to_right(_RELATIONS, self.sum)

    def sum(self) -> Native:
        return self.left_to_right(("+", "-"), self.product)

    def product(self) -> Native:
        return self.left_to_right(("*", "/"), self.unary)

    def left_to_right(self, ops: Collection[str], operand: Callable[[], Native]) -> Native:
        """``operand (op operand)*`` for one precedence level, grouped from the left."""
        left = operand()
        while self.peek() in ops:
            op = self.take().text
            left = _binary(op, left, operand())
        return left

    def unary(self) -> Native:
        # CEL: ``'!'+ member | '-'+ member``: a run of one operator, never ``!-a``.
        op = self.peek()
        if op not in ("!", "-"):
            return self.primary()
        count = 0
        while self.peek() == op:
            self.take()
            count += 1
        node = self.primary()
        for _ in range(count):
            node = _negation(node) if op == "!" else _negate(node)
        return node

    def primary(self) -> Native:
        token = self.take()
        node: Native
        if token.text == "(":
            node = self.expression()
            self.expect(")")
        elif token.text == "[":
            node = self.list_literal()
        elif token.text == "double" and self.peek() == "(":  # money comparisons (specwright.compiler.money)
            self.take()
            node = _to_double(self.expression())
            self.expect(")")
        elif token.kind in ("number", "string") or token.text in ("true", "false", "null"):
            node = _constant(_literal(token))
        elif token.kind == "ident" and token.text != "in":
            node = _variable(token.text)
        else:
            raise NotNativeExpression
        if self.peek() in (".", "(", "[", "{"):  # a member, a call, an index: not plain
            raise NotNativeExpression
        return node

    def list_literal(self) -> Native:
        items: list[Native] = []
        while self.peek() != "]":
            items.append(self.expression())
            if self.peek() != "]":
                self.expect(",")
        self.take()
        if all(isinstance(item, _Constant) for item in items):
            return _constant(tuple(item.value for item in items))  # type: ignore[attr-defined]
        return lambda v: [item(v) for item in items]


class _Constant:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self, _: Variables) -> Any:
        return self.value


def _constant(value: Any) -> Native:
    return _Constant(value)


class _Variable:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, v: Variables) -> Any:
        try:
            return v[self.name]
        except KeyError:
            raise NativeUnsupported from None  # CEL: undeclared reference


def _variable(name: str) -> Native:
    return _Variable(name)


def _literal(token: Token) -> Any:
    text = token.text
    if text in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[text]
    if token.kind == "string":
        quote = text[0]
        if quote not in "\"'" or len(text) < 2 or text[-1] != quote or "\\" in text:
            raise NotNativeExpression  # prefixes, triple quotes and escapes stay in CEL
        if text.startswith(quote * 3):
            raise NotNativeExpression
        return text[1:-1]
    if text[-1] in "uU":
        raise NotNativeExpression  # unsigned ints are their own type in CEL
    if text[:2] in ("0x", "0X"):
        value: Any = int(text, 16)
    elif any(c in text for c in ".eE"):
        return float(text)
    elif len(text) > 1 and text[0] == "0":
        raise NotNativeExpression  # leading zeros: whatever CEL makes of them, it decides
    else:
        value = int(text)
    if value > _INT_MAX:
        raise NotNativeExpression
    return value


def _to_double(inner: Native) -> Native:
    """CEL's ``double(x)`` for an int or a double (both round an int to the nearest double);
    a string or anything else is left to CEL."""

    def to_double(v: Variables) -> float:
        value = inner(v)
        kind = type(value)
        if kind is float:
            return float(value)
        if kind is int:
            return float(value)
        raise NativeUnsupported

    return to_double


def _negation(inner: Native) -> Native:
    def negation(v: Variables) -> bool:
        value = inner(v)
        if value is True:
            return False
        if value is False:
            return True
        raise NativeUnsupported

    return negation


def _negate(inner: Native) -> Native:
    if isinstance(inner, _Constant) and type(inner.value) in _NUMBERS:
        return _constant(-inner.value)

    def negate(v: Variables) -> Any:
        value = inner(v)
        kind = type(value)
        if kind is float or (kind is int and value != _INT_MIN):
            return -value
        raise NativeUnsupported

    return negate


def _binary(op: str, left: Native, right: Native) -> Native:
    if isinstance(left, _Variable) and isinstance(right, _Constant) and op in _ORDER_OPS:
        return _compare_with_constant(left.name, _ORDER_OPS[op], right.value)
    if op == "in" and isinstance(right, _Constant) and type(right.value) is tuple:
        items = right.value
        if items and all(type(item) is str for item in items):
            strings = frozenset(items)

            def among(v: Variables) -> bool:
                value = left(v)
                if type(value) is str:
                    return value in strings
                return _member(value, items)

            return among
    compute = _BINARY[op]
    return lambda v: compute(left(v), right(v))


_ORDER_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _compare_with_constant(name: str, compare: Callable[[Any, Any], bool], constant: Any) -> Native:
    """``name <op> constant``, the shape of most table cells, in one closure: the same results
    as ``equal`` / ``_ordering`` with the constant's type known in advance."""
    kind = type(constant)
    as_float = float(constant) if kind in _NUMBERS else None
    equality = compare in (operator.eq, operator.ne)
    if kind not in (_SCALARS if equality else _ORDERED):
        generic = equal if equality else _ordering(compare)

        def slow(v: Variables) -> Any:
            value = _read(v, name)
            result = generic(value, constant)
            return result if compare is not operator.ne else not result

        return slow

    def compare_value(v: Variables) -> bool:
        try:  # ``_read``, inlined: this closure is most of a table's evaluation
            value = v[name]
        except KeyError:
            raise NativeUnsupported from None  # CEL: undeclared reference
        value_kind = type(value)
        if value_kind is kind:
            return compare(value, constant)
        if as_float is not None and value_kind in _NUMBERS:
            return compare(float(value), as_float)
        if equality and (value is None or constant is None) and value_kind in _SCALARS:
            return compare is operator.ne  # null against another type: never equal
        raise NativeUnsupported

    return compare_value


def _read(v: Variables, name: str) -> Any:
    try:
        return v[name]
    except KeyError:
        raise NativeUnsupported from None  # CEL: undeclared reference


def _join(op: str, left: Native, right: Native) -> Native:
    """``left && right`` or ``left || right``: the left side alone decides when it is the
    deciding value (false for ``&&``, true for ``||``); both sides must be booleans."""
    deciding = op == "||"
    other = not deciding

    def join(v: Variables) -> bool:
        a = left(v)
        if a is deciding:
            return deciding
        if a is not other:
            raise NativeUnsupported
        b = right(v)
        if b is True or b is False:
            return b
        raise NativeUnsupported

    return join
