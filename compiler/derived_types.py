"""The types and small helpers of derived expressions (``derived.py``): what a typed
subexpression is, the scope names resolve in, and the rounding of derived numbers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from specwright.compiler.derived_parse import Expr
from specwright.compiler.ir import Field, FieldType

NUMERIC = ("integer", "number")
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
ORDERED = ("integer", "number", "text", "date", "datetime", "duration", "time")
MAX_SUM_ITEMS = 100
SCALE = 1_000_000.0  # derived numbers are rounded to 6 decimals
FUNCTIONS = ("abs", "all", "any", "count", "date", "datetime", "days_between", "duration", "max",
             "median", "min", "round", "sum", "time")


@dataclass(frozen=True, slots=True)
class Ty:
    kind: str  # integer number boolean text date datetime duration list object
    ftype: FieldType | None = None  # enums (their values), lists and objects


@dataclass(frozen=True, slots=True)
class Typed:
    cel: str
    ty: Ty
    arithmetic: bool = False  # a double computed with + - * /: rounded to 6 decimals at the end
    nullable: bool = False  # a path through optional fields (table columns only): may be null


@dataclass
class Scope:
    """What names mean: Input fields, derived values defined above, list items being tested."""

    inputs: Mapping[str, Field]
    derived: Mapping[str, Typed] = field(default_factory=dict)
    items: list[tuple[str, FieldType]] = field(default_factory=list)  # (CEL variable, item type)
    allow_null: bool = False  # a table column: a path through optional fields is null if absent


def field_ty(ftype: FieldType) -> Ty:
    kind = {"money": "number", "enum": "text"}.get(ftype.kind, ftype.kind)
    return Ty(kind, ftype)


def describe(ty: Ty) -> str:
    if ty.kind == "list" and ty.ftype and ty.ftype.items:
        return f"a list of {describe(field_ty(ty.ftype.items))}"
    return {"integer": "a whole number", "number": "a number", "boolean": "yes/no",
            "text": "text", "date": "a date", "datetime": "a date and time",
            "duration": "a duration", "time": "a time of day", "list": "a list", "object": "an object"}.get(ty.kind, ty.kind)


def finish(typed: Typed) -> Typed:
    """The value as it is used: an arithmetic double rounded to 6 decimals."""
    if not typed.arithmetic:
        return typed
    x = typed.cel
    rounded = f"double(int({x} * {SCALE!r} + ({x} < 0.0 ? -0.5 : 0.5))) / {SCALE!r}"
    return Typed(f"({rounded})", typed.ty)


def as_double(t: Typed) -> str:
    if t.ty.kind == "number":
        return t.cel
    return f"{t.cel}.0" if t.cel.isdigit() else f"double({t.cel})"  # 2 -> 2.0: stays linear


def fold(values: list[Typed], op: str) -> Typed:
    """The largest (``>=``) or smallest (``<=``) value, as nested ``?:``; no field's bounds."""
    values = [Typed(v.cel, Ty(v.ty.kind), v.arithmetic, v.nullable) for v in values]
    best = values[0]
    for other in values[1:]:
        best = Typed(f"({best.cel} {op} {other.cel} ? {best.cel} : {other.cel})", best.ty)
    return best


def fields_of(ftype: FieldType | None) -> dict[str, Field]:
    return {f.name: f for f in ftype.fields} if ftype else {}


def quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def pos(node: Expr) -> int:
    return node.pos
