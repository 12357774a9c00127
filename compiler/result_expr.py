"""Result cells that compute their value: ``= input.amount_charged``,
``= round(input.amount_charged * unused_months / 12, 2)``.

A cell starting with ``=`` holds arithmetic over numeric Input fields (``input.x`` or just ``x``),
numeric derived values (``derived.x`` or just ``x``, as guardrails and columns name them), number
literals, ``+ - * /``, parentheses and ``round(x, places)``, ``min(a, b, ...)``,
``max(a, b, ...)``, ``abs(x)``. It is read with Python's own expression parser (``ast``: the
same precedence rules everyone learned) and only these forms are accepted.

Arithmetic is exact: every value is a ``Decimal`` (money ``0.1 + 0.2`` is ``0.3``), ``round``
rounds halves away from zero, as on a bill. At compile time the expression is typed against its
output (a whole number needs whole-number arithmetic; money needs at most 2 decimals: a division
or a product with a fraction needs ``round(..., 2)``), and every name is checked with a
did-you-mean. At run time the value is checked against the output's constraints, always; at
compile time too where the analysis can decide it (``result_bounds.py``).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from specwright.compiler.errors import ResultExprError, did_you_mean
from specwright.compiler.ir import Field, FieldType

__all__ = [
    "Expr",
    "check_result",
    "compute",
    "is_expression",
    "parse_expression",
    "parsed",
    "problem_with",
    "derived_read",
    "render",
    "to_json",
]

NUMERIC = ("integer", "number", "money")
FUNCTIONS = ("round", "min", "max", "abs")
ROOTS = ("input", "derived")
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_UNKNOWN = 99  # decimal places that cannot be bounded (a division, a number field)


@dataclass(frozen=True, slots=True)
class Num:
    text: str  # as written: exact


@dataclass(frozen=True, slots=True)
class Name:
    name: str  # an Input field or a derived value
    offset: int
    root: str = ""  # "input" or "derived"; "" when written bare (resolved by ``check_result``)


@dataclass(frozen=True, slots=True)
class Bin:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Neg:
    inner: Expr


@dataclass(frozen=True, slots=True)
class Call:
    fn: str
    args: tuple[Expr, ...]


Expr = Num | Name | Bin | Neg | Call


def is_expression(text: str) -> bool:
    return text.lstrip().startswith("=")


def parse_expression(source: str) -> Expr:
    """The expression after ``=``; ``ResultExprError`` (with the offset in ``source``) if it is
    not one of the accepted forms."""
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        offset = max((exc.offset or 1) - 1, 0)
        raise ResultExprError(
            "the expression does not parse: write arithmetic like = input.total * 0.5", offset
        ) from None
    return _convert(tree.body, source)


def _convert(node: ast.expr, source: str) -> Expr:
    offset = node.col_offset
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return Num(ast.get_source_segment(source, node) or repr(node.value))
    if isinstance(node, ast.Name):
        return Name(node.id, offset)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        root = node.value.id
        if root in ROOTS:
            return Name(node.attr, offset + len(root) + 1, root)
        raise ResultExprError(
            f"'{root}.{node.attr}': a result reads Input fields (input.{node.attr}) and derived "
            f"values (derived.{node.attr})",
            offset,
        )
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return Bin(_OPS[type(node.op)], _convert(node.left, source), _convert(node.right, source))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _convert(node.operand, source)
        return Neg(inner) if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        fn = node.func.id
        if fn not in FUNCTIONS:
            raise ResultExprError(
                f"unknown function {fn}(){did_you_mean(fn, FUNCTIONS)} "
                f"(functions: {', '.join(FUNCTIONS)})",
                offset,
            )
        args = tuple(_convert(a, source) for a in node.args)
        _check_arity(fn, args, offset)
        return Call(fn, args)
    text = ast.get_source_segment(source, node) or type(node).__name__
    raise ResultExprError(
        f"'{text}' is not arithmetic a result can compute: use numbers, Input fields, "
        f"+ - * /, parentheses and {', '.join(f + '()' for f in FUNCTIONS)}",
        offset,
    )


def _check_arity(fn: str, args: tuple[Expr, ...], offset: int) -> None:
    if fn == "round":
        if len(args) not in (1, 2) or (len(args) == 2 and not _whole(args[1])):
            raise ResultExprError(
                "round takes a value and a whole number of decimal places: round(x, 2)", offset
            )
    elif fn == "abs" and len(args) != 1:
        raise ResultExprError("abs takes one value: abs(x)", offset)
    elif fn in ("min", "max") and len(args) < 2:
        raise ResultExprError(f"{fn} takes two values or more: {fn}(a, b)", offset)


def _whole(expr: Expr) -> bool:
    return isinstance(expr, Num) and expr.text.isdigit()


# ----------------------------------------------------------------------------- compile time


def check_result(
    expr: Expr,
    inputs: Mapping[str, Field],
    output: FieldType,
    name: str,
    derived: Mapping[str, str] | None = None,
) -> str:
    """Type ``expr`` for the output ``name`` of type ``output``; its canonical text (every field
    as ``input.x``, every derived value as ``derived.x``). ``derived`` gives the kind of each
    derived value it may read. Raises ``ResultExprError`` located at the offending part."""
    expr = _resolve(expr, inputs, derived or {})
    if output.kind not in NUMERIC:
        raise ResultExprError(
            f"{name} is not a number: only a number, whole number or money output can be "
            "computed (write a value instead)",
            0,
        )
    places = _places(expr, inputs, derived or {})
    if output.kind == "integer" and places != 0:
        raise ResultExprError(
            f"{name} is a whole number, but this can give a fraction: wrap it in round(..., 0) "
            "or use whole-number fields and no /",
            0,
        )
    if output.kind == "money" and places > 2:
        raise ResultExprError(
            f"{name} is money (at most 2 decimals), but this can give more: "
            "wrap it in round(..., 2)",
            0,
        )
    return render(expr)


def _resolve(expr: Expr, inputs: Mapping[str, Field], derived: Mapping[str, str]) -> Expr:
    """Every name with its root: a bare name is an Input field, else a derived value (as in
    derived expressions and table columns; the two never share a name). Unknown names are
    reported with a did-you-mean over both."""
    if isinstance(expr, Name):
        root = expr.root or ("derived" if expr.name in derived and expr.name not in inputs
                             else "input")
        pool = {"input": inputs, "derived": derived}[root]
        if expr.name not in pool:
            other = "derived" if root == "input" else "input"
            if expr.root and expr.name in {"input": inputs, "derived": derived}[other]:
                kind = "an Input field" if other == "input" else "a derived value"
                raise ResultExprError(
                    f"{expr.name} is {kind}: write {other}.{expr.name}", expr.offset
                )
            names = sorted([*inputs, *derived]) if not expr.root else sorted(pool)
            what = {"input": "Input field", "derived": "derived value"}[root]
            if not expr.root:
                what = "Input field or derived value"
            raise ResultExprError(
                f"unknown {what} {expr.name}{did_you_mean(expr.name, names)}", expr.offset
            )
        return Name(expr.name, expr.offset, root)
    if isinstance(expr, Neg):
        return Neg(_resolve(expr.inner, inputs, derived))
    if isinstance(expr, Bin):
        return Bin(expr.op, _resolve(expr.left, inputs, derived),
                   _resolve(expr.right, inputs, derived))
    if isinstance(expr, Call):
        return Call(expr.fn, tuple(_resolve(a, inputs, derived) for a in expr.args))
    return expr


def _places(expr: Expr, inputs: Mapping[str, Field], derived: Mapping[str, str]) -> int:
    """How many decimal places the value can have (``_UNKNOWN`` when unbounded)."""
    if isinstance(expr, Num):
        whole, _, fraction = expr.text.lower().partition(".")
        return _UNKNOWN if "e" in expr.text.lower() else len(fraction.rstrip("0"))
    if isinstance(expr, Name) and expr.root == "derived":
        kind = derived[expr.name]
        if kind not in NUMERIC:
            raise ResultExprError(
                f"{expr.name} is a derived value of type {kind}, not a number: a result can "
                "compute with number and whole-number derived values",
                expr.offset,
            )
        return 0 if kind == "integer" else _UNKNOWN  # computed in doubles: round() bounds it
    if isinstance(expr, Name):
        field = inputs.get(expr.name)
        if field is None:
            raise ResultExprError(
                f"unknown Input field {expr.name}{did_you_mean(expr.name, inputs)}", expr.offset
            )
        if field.type.kind not in NUMERIC:
            raise ResultExprError(
                f"{expr.name} is not a number: a result can compute with number, whole number "
                "and money fields",
                expr.offset,
            )
        if not field.required and not field.has_default:
            raise ResultExprError(
                f"{expr.name} is optional without a default: when it is absent the result has "
                "no value; give it a default, or a row for when it is absent",
                expr.offset,
            )
        return {"integer": 0, "money": 2}.get(field.type.kind, _UNKNOWN)
    if isinstance(expr, Neg):
        return _places(expr.inner, inputs, derived)
    if isinstance(expr, Bin):
        left, right = _places(expr.left, inputs, derived), _places(expr.right, inputs, derived)
        if expr.op == "/":
            return _UNKNOWN
        return min(left + right, _UNKNOWN) if expr.op == "*" else max(left, right)
    inner = [_places(a, inputs, derived) for a in expr.args]
    if expr.fn == "round":
        return int(expr.args[1].text) if len(expr.args) == 2 else 0  # type: ignore[union-attr]
    return max(inner)


def render(expr: Expr) -> str:
    """The canonical text: ``input.x`` for fields, ``derived.x`` for derived values, operators
    spaced, parentheses kept minimal."""
    return _render(expr, 0)


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def _render(expr: Expr, outer: int) -> str:
    if isinstance(expr, Num):
        return expr.text
    if isinstance(expr, Name):
        return f"{expr.root or 'input'}.{expr.name}"
    if isinstance(expr, Neg):
        return f"-{_render(expr.inner, 3)}"
    if isinstance(expr, Call):
        return f"{expr.fn}({', '.join(_render(a, 0) for a in expr.args)})"
    level = _PRECEDENCE[expr.op]
    right_level = level + 1 if expr.op in ("-", "/") else level
    text = f"{_render(expr.left, level)} {expr.op} {_render(expr.right, right_level)}"
    return f"({text})" if level < outer else text


# ----------------------------------------------------------------------------- run time


@functools.lru_cache(maxsize=1024)
def parsed(canonical: str) -> Expr:
    """A compiled (canonical) expression, parsed once."""
    return parse_expression(canonical)


def compute(
    canonical: str,
    input_values: Mapping[str, Any],
    derived_values: Mapping[str, Any] | None = None,
) -> Decimal:
    """The exact value of a compiled result expression over CEL input values and the derived
    values it reads (``derived_read``; a derived number enters as the decimal it prints as)."""
    return _value(parsed(canonical), {"input": input_values, "derived": derived_values or {}})


@functools.lru_cache(maxsize=1024)
def derived_read(canonical: str) -> tuple[str, ...]:
    """The derived values a compiled expression reads, in order of first use."""
    return tuple(dict.fromkeys(_derived_names(parsed(canonical))))


def _derived_names(expr: Expr) -> list[str]:
    if isinstance(expr, Name):
        return [expr.name] if expr.root == "derived" else []
    if isinstance(expr, Neg):
        return _derived_names(expr.inner)
    if isinstance(expr, Bin):
        return _derived_names(expr.left) + _derived_names(expr.right)
    if isinstance(expr, Call):
        return [n for a in expr.args for n in _derived_names(a)]
    return []


def _value(expr: Expr, values: Mapping[str, Mapping[str, Any]]) -> Decimal:
    if isinstance(expr, Num):
        return Decimal(expr.text)
    if isinstance(expr, Name):
        raw = values[expr.root or "input"].get(expr.name)
        if raw is None or isinstance(raw, bool):
            raise ArithmeticError(f"{expr.name} has no value")
        return Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    if isinstance(expr, Neg):
        return -_value(expr.inner, values)
    if isinstance(expr, Bin):
        a, b = _value(expr.left, values), _value(expr.right, values)
        if expr.op == "+":
            return a + b
        if expr.op == "-":
            return a - b
        if expr.op == "*":
            return a * b
        if b == 0:
            raise ArithmeticError("division by zero")
        return a / b
    args = [_value(a, values) for a in expr.args]
    if expr.fn == "round":
        places = int(args[1]) if len(args) == 2 else 0
        return args[0].quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if expr.fn == "abs":
        return abs(args[0])
    return min(args) if expr.fn == "min" else max(args)


def to_json(value: Decimal, ftype: FieldType) -> int | float:
    """The computed value as the output's JSON value (whole numbers as int)."""
    if ftype.kind == "integer":
        return int(value)
    return float(value)


def problem_with(value: Decimal, ftype: FieldType) -> str | None:
    """Why ``value`` cannot be the output's value (its type or a constraint), or None."""
    if ftype.kind == "integer" and value != value.to_integral_value():
        return "is not a whole number"
    if ftype.kind == "money" and value != value.quantize(Decimal("0.01")):
        return "has more than 2 decimals"
    bounds = (
        (ftype.minimum, lambda v, b: v >= b, ">="),
        (ftype.maximum, lambda v, b: v <= b, "<="),
        (ftype.exclusive_minimum, lambda v, b: v > b, ">"),
        (ftype.exclusive_maximum, lambda v, b: v < b, "<"),
    )
    for bound, holds, op in bounds:
        if bound is not None and not holds(value, Decimal(repr(bound))):
            return f"must be {op} {bound}"
    return None
