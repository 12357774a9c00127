"""Derived values: expressions over the input (``derived_parse.py``), typed and rendered as CEL.

A derived value is never sent by a caller: it is computed from the input on every run. Its CEL
reads only ``input`` (a derived value it uses is inlined), so a table column or guardrail that
reads it compiles to plain CEL the runtime, the generated tests and the exact analysis already
understand. Arithmetic on numbers is done in doubles and the result rounded to 6 decimals
(``SNAP``), so ``30.1 + 30.0 + 29.9`` is exactly 90, as the expert reads it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from specwright.compiler.derived_parse import (
    Binary,
    Call,
    Expr,
    If,
    Name,
    Num,
    Str,
    Unary,
    Word,
    parse_expression,
)
from specwright.compiler.errors import DerivedError, did_you_mean
from specwright.compiler.evaluate import is_nullable
from specwright.compiler.feel import NO_OFFSET, duration_seconds, missing_offset, parse_datetime
from specwright.compiler.ir import Field, FieldType

NUMERIC = ("integer", "number")
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
ORDERED = ("integer", "number", "text", "date", "datetime", "duration")
MAX_SUM_ITEMS = 100
SCALE = 1_000_000.0  # derived numbers are rounded to 6 decimals
FUNCTIONS = ("abs", "all", "any", "count", "date", "datetime", "days_between", "duration", "max",
             "median", "min", "round", "sum")


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
            "duration": "a duration", "list": "a list", "object": "an object"}.get(ty.kind, ty.kind)


def compile_expression(text: str, scope: Scope) -> Typed:
    """Parse, type and render ``text``; raises ``DerivedError`` at an offset of ``text``."""
    return finish(_Render(scope).expr(parse_expression(text)))


def finish(typed: Typed) -> Typed:
    """The value as it is used: an arithmetic double rounded to 6 decimals."""
    if not typed.arithmetic:
        return typed
    x = typed.cel
    rounded = f"double(int({x} * {SCALE!r} + ({x} < 0.0 ? -0.5 : 0.5))) / {SCALE!r}"
    return Typed(f"({rounded})", typed.ty)


def _double(t: Typed) -> str:
    if t.ty.kind == "number":
        return t.cel
    return f"{t.cel}.0" if t.cel.isdigit() else f"double({t.cel})"  # 2 -> 2.0: stays linear


class _Render:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def expr(self, node: Expr) -> Typed:
        if isinstance(node, Num):
            ty = Ty("number" if any(c in node.text for c in ".eE") else "integer")
            return Typed(repr(float(node.text)) if ty.kind == "number" else node.text, ty)
        if isinstance(node, Str):
            return Typed(_quote(node.value), Ty("text"))
        if isinstance(node, Word):
            if node.text == "null":
                raise DerivedError("null is not a value a derived value can use", node.pos)
            return Typed("true" if node.text in ("yes", "true") else "false", Ty("boolean"))
        if isinstance(node, Name):
            return self.name(node)
        if isinstance(node, Unary):
            inner = self.expr(node.operand)
            if node.op == "not":
                self.want(inner, ("boolean",), node.operand, "'not'")
                return Typed(f"!({inner.cel})", inner.ty)
            self.want(inner, NUMERIC + ("duration",), node.operand, "'-'")
            return Typed(f"-({inner.cel})", inner.ty, inner.arithmetic)
        if isinstance(node, If):
            cond = self.expr(node.cond)
            self.want(cond, ("boolean",), node.cond, "'if'")
            a, b = self.same(self.expr(node.then), self.expr(node.other), node.other, "else")
            return Typed(f"({cond.cel} ? {a.cel} : {b.cel})", a.ty, a.arithmetic or b.arithmetic)
        if isinstance(node, Call):
            return self.call(node)
        return self.binary(node)

    def want(self, t: Typed, kinds: Sequence[str], node: Expr, where: str) -> None:
        if t.ty.kind not in kinds:
            names = " or ".join(describe(Ty(k)) for k in kinds)
            raise DerivedError(f"{where} needs {names}, but this is {describe(t.ty)}", _pos(node))

    def same(self, a: Typed, b: Typed, at: Expr, what: str) -> tuple[Typed, Typed]:
        """Two values of one type (a whole number meets a number as a number)."""
        if a.ty.kind in NUMERIC and b.ty.kind in NUMERIC and a.ty.kind != b.ty.kind:
            return (Typed(_double(a), Ty("number"), a.arithmetic),
                    Typed(_double(b), Ty("number"), b.arithmetic))
        if a.ty.kind != b.ty.kind:
            raise DerivedError(f"{what}: {describe(a.ty)} and {describe(b.ty)} do not mix",
                               _pos(at))
        return a, b

    # -------------------------------------------------------------------- names

    def name(self, node: Name) -> Typed:
        parts, scope = list(node.parts), self.scope
        if scope.items and parts[0] in _fields(scope.items[-1][1]):
            var, item = scope.items[-1]
            return self.walk(var, Ty("object", item), parts, node)
        if parts[0] == "derived" and len(parts) == 2 and parts[1] in scope.derived:
            parts = parts[1:]
        if parts[0] in scope.derived and parts[0] not in scope.inputs:
            if len(parts) > 1:
                raise DerivedError(f"{parts[0]} is a derived value, it has no fields", node.pos)
            found = scope.derived[parts[0]]
            return Typed(f"({found.cel})", found.ty)
        if parts[0] == "input" and len(parts) > 1:
            parts = parts[1:]
        if parts[0] not in scope.inputs:
            names = sorted([*scope.inputs, *scope.derived,
                            *(_fields(scope.items[-1][1]) if scope.items else ())])
            raise DerivedError(f'unknown name "{parts[0]}"{did_you_mean(parts[0], names)}',
                               node.pos)
        return self.walk("input", Ty("object", FieldType(kind="object",
                                                           fields=tuple(scope.inputs.values()))),
                         parts, node)

    def walk(self, cel: str, ty: Ty, parts: list[str], node: Name) -> Typed:
        shown: list[str] = []
        guards: list[str] = []
        for part in parts:
            fields = _fields(ty.ftype) if ty.kind == "object" and ty.ftype else {}
            if part not in fields:
                where = ".".join(shown) or "the input"
                if ty.kind == "list":
                    raise DerivedError(
                        f"{where} is a list: test its items with any({where}, ...), "
                        f"count({where}, ...) or sum({where}.{part})", node.pos)
                hint = did_you_mean(part, sorted(fields))
                raise DerivedError(f'{where} has no field "{part}"{hint}', node.pos)
            found = fields[part]
            shown.append(part)
            if is_nullable(found) and self.scope.allow_null and not self.scope.items:
                guards.append(f"{cel}.{part}")
            elif is_nullable(found):
                raise DerivedError(
                    f"{'.'.join(shown)} is optional and may be absent: a derived value reads "
                    "required fields (or fields with a default): give it a default, "
                    "e.g. \"default 0\"", node.pos)
            cel, ty = f"{cel}.{part}", field_ty(found.type)
        leaf = cel
        for guard in reversed([g for g in guards if g != leaf]):
            cel = f"({guard} == null ? null : {cel})"
        return Typed(cel, ty, nullable=bool(guards))

    # -------------------------------------------------------------------- operators

    def binary(self, node: Binary) -> Typed:
        op = node.op
        a = self.expr(node.left)
        right = node.right
        if (op in COMPARISONS and isinstance(right, Name) and len(right.parts) == 1
                and a.ty.kind in ("text", "boolean") and not self.known(right.parts[0])):
            right = Str(right.parts[0], right.pos)  # a bare value: in_stock = maybe, tier = gold
            node = Binary(op, node.left, right, node.pos)
        b = self.expr(right)
        if op in ("and", "or"):
            self.want(a, ("boolean",), node.left, f"'{op}'")
            self.want(b, ("boolean",), node.right, f"'{op}'")
            return Typed(f"({a.cel} {'&&' if op == 'and' else '||'} {b.cel})", Ty("boolean"))
        if op in ("==", "!=", "<", "<=", ">", ">="):
            return self.compare(op, a, b, node)
        if a.ty.kind in ("datetime", "date") or b.ty.kind in ("datetime", "date", "duration"):
            return self.time_arithmetic(op, a, b, node)
        self.want(a, NUMERIC, node.left, f"'{op}'")
        self.want(b, NUMERIC, node.right, f"'{op}'")
        if op == "/" or "number" in (a.ty.kind, b.ty.kind):
            return Typed(f"({_double(a)} {op} {_double(b)})", Ty("number"), True)
        return Typed(f"({a.cel} {op} {b.cel})", Ty("integer"))

    def time_arithmetic(self, op: str, a: Typed, b: Typed, node: Binary) -> Typed:
        kinds = (a.ty.kind, b.ty.kind)
        if kinds == ("datetime", "datetime") and op == "-":
            return Typed(f"({a.cel} - {b.cel})", Ty("duration"))
        if kinds == ("datetime", "duration") and op in "+-":
            return Typed(f"({a.cel} {op} {b.cel})", Ty("datetime"))
        if kinds == ("duration", "duration") and op in "+-":
            return Typed(f"({a.cel} {op} {b.cel})", Ty("duration"))
        raise DerivedError(
            f"'{op}' does not apply to {describe(a.ty)} and {describe(b.ty)}: for the days "
            "between two dates write days_between(first, second)", node.pos)

    def known(self, name: str) -> bool:
        scope = self.scope
        return (name in scope.inputs or name in scope.derived
                or bool(scope.items and name in _fields(scope.items[-1][1])))

    def compare(self, op: str, a: Typed, b: Typed, node: Binary) -> Typed:
        if a.ty.kind == "boolean" and b.ty.kind == "text" and isinstance(node.right, Str):
            raise DerivedError(f'"{node.right.value}" is not yes or no', node.right.pos)
        if isinstance(node.right, Word) and a.ty.kind == "text" and node.right.text != "null":
            b = Typed(_quote(node.right.text), Ty("text"))
        if a.ty.kind == "text" and a.ty.ftype and a.ty.ftype.kind == "enum":
            value = node.right
            if isinstance(value, Str | Word) and b.cel.strip('"') not in a.ty.ftype.values:
                shown = value.value if isinstance(value, Str) else value.text
                raise DerivedError(
                    f'"{shown}" is not one of: {", ".join(a.ty.ftype.values)}'
                    f"{did_you_mean(shown, a.ty.ftype.values)}", value.pos)
        if a.ty.kind in ("date", "datetime") and b.ty.kind == "text" and isinstance(node.right,
                                                                                    Str):
            b = _time_literal(a.ty.kind, node.right)
        a, b = self.same(a, b, node.right, f"'{op}'")
        if op not in ("==", "!=") and a.ty.kind not in ORDERED:
            raise DerivedError(f"'{op}' compares by order, but this is {describe(a.ty)}",
                               node.pos)
        a, b = finish(a), finish(b)
        return Typed(f"({a.cel} {op} {b.cel})", Ty("boolean"))

    # -------------------------------------------------------------------- functions

    def call(self, node: Call) -> Typed:
        fn, args = node.fn, node.args
        handler = getattr(self, f"fn_{fn}", None)
        if handler is None:
            raise DerivedError(f'unknown function "{fn}"{did_you_mean(fn, FUNCTIONS)}: the '
                               f"functions are {', '.join(FUNCTIONS)}", node.pos)
        result: Typed = handler(node, args)
        return result

    def arity(self, node: Call, low: int, high: int | None, usage: str) -> None:
        n = len(node.args)
        if n < low or (high is not None and n > high):
            raise DerivedError(f"{node.fn}() takes {usage}: write {node.fn}({_usage(node.fn)})",
                               node.pos)

    def numbers(self, node: Call) -> list[Typed]:
        """The arguments, all numbers (as doubles when one is) or all dates of one kind."""
        values = [self.expr(a) for a in node.args]
        for value, arg in zip(values, node.args, strict=True):
            self.want(value, NUMERIC + ("date", "datetime"), arg, f"{node.fn}()")
        kinds = {v.ty.kind for v in values}
        if kinds <= set(NUMERIC):
            if "number" in kinds:
                return [Typed(_double(v), Ty("number"), v.arithmetic) for v in values]
            return values
        if len(kinds) > 1:
            raise DerivedError(f"{node.fn}() compares values of one kind: "
                               f"{' and '.join(sorted(kinds))} do not mix", node.pos)
        return values

    def fn_max(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 2, None, "two or more values")
        return _fold([finish(v) for v in self.numbers(node)], ">=")

    def fn_min(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 2, None, "two or more values")
        return _fold([finish(v) for v in self.numbers(node)], "<=")

    def fn_median(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 3, 3, "three values (the middle one of three)")
        a, b, c = (finish(v) for v in self.numbers(node))
        low, high = _fold([a, b], "<="), _fold([a, b], ">=")
        return _fold([low, _fold([high, c], "<=")], ">=")

    def fn_abs(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 1, 1, "one number")
        x = finish(self.expr(args[0]))
        self.want(x, NUMERIC, args[0], "abs()")
        zero = "0.0" if x.ty.kind == "number" else "0"
        return Typed(f"({x.cel} < {zero} ? -{x.cel} : {x.cel})", x.ty)

    def fn_round(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 1, 2, "a number and, optionally, how many decimals")
        x = self.expr(args[0])
        self.want(x, NUMERIC, args[0], "round()")
        if x.ty.kind == "integer":
            return x
        digits = 0
        if len(args) == 2:
            arg = args[1]
            if not isinstance(arg, Num) or not arg.text.isdigit() or int(arg.text) > 6:
                raise DerivedError("round(): the decimals are a whole number from 0 to 6",
                                   _pos(arg))
            digits = int(arg.text)
        v = x.cel
        half = f"({v} < 0.0 ? -0.5 : 0.5)"
        if digits == 0:
            return Typed(f"int({v} + {half})", Ty("integer"))
        scale = repr(float(10**digits))
        return Typed(f"(double(int({v} * {scale} + {half})) / {scale})", Ty("number"))

    def fn_days_between(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 2, 2, "two dates (the first, then the later one)")
        a, b = (self.expr(x) for x in args)
        for value, arg in ((a, args[0]), (b, args[1])):
            self.want(value, ("date", "datetime"), arg, "days_between()")
        a, b = self.same(a, b, args[1], "days_between()")
        if a.ty.kind == "date":
            a = Typed(f'timestamp({a.cel} + "T00:00:00Z")', Ty("datetime"))
            b = Typed(f'timestamp({b.cel} + "T00:00:00Z")', Ty("datetime"))
        return Typed(f"(({b.cel} - {a.cel}).getHours() / 24)", Ty("integer"))

    def fn_date(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 1, 1, 'one date in quotes, like date("2024-01-31")')
        if not isinstance(args[0], Str):
            raise DerivedError('date() takes a date in quotes, like date("2024-01-31")', node.pos)
        return _time_literal("date", args[0])

    def fn_datetime(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 1, 1, "one date and time in quotes")
        if not isinstance(args[0], Str):
            raise DerivedError('datetime() takes a date and time in quotes, like '
                               'datetime("2024-01-31T09:00:00Z")', node.pos)
        return _time_literal("datetime", args[0])

    def fn_duration(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 1, 1, 'one ISO 8601 duration in quotes, like duration("P14D")')
        arg = args[0]
        if not isinstance(arg, Str):
            raise DerivedError('duration() takes a duration in quotes, like duration("P14D")',
                               node.pos)
        seconds = duration_seconds(arg.value)
        if seconds is None:
            raise DerivedError(f'"{arg.value}" is not a duration: write days, hours, minutes and '
                               'seconds, like "P14D", "PT36H" or "P1DT12H" (months and years '
                               "have no fixed length)", arg.pos)
        return Typed(f'duration("{seconds}s")', Ty("duration"))

    # -------------------------------------------------------------------- lists

    def list_of(self, node: Call, usage: str) -> tuple[Typed, FieldType]:
        if not node.args:
            raise DerivedError(f"{node.fn}() takes {usage}", node.pos)
        values = self.expr(node.args[0])
        ftype = values.ty.ftype
        if values.ty.kind != "list" or ftype is None or ftype.items is None:
            raise DerivedError(f"{node.fn}() takes a list first, but this is "
                               f"{describe(values.ty)}", _pos(node.args[0]))
        return values, ftype.items

    def item_test(self, node: Call, item: FieldType) -> tuple[str, str]:
        """The CEL variable and the condition of the second argument, over one item."""
        var = f"item{len(self.scope.items) + 1}"
        if item.kind != "object":
            raise DerivedError(f"{node.fn}() with a condition needs a list of objects",
                               node.pos)
        self.scope.items.append((var, item))
        try:
            test = self.expr(node.args[1])
        finally:
            self.scope.items.pop()
        self.want(test, ("boolean",), node.args[1], f"the condition of {node.fn}()")
        return var, test.cel

    def fn_count(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 1, 2, "a list and, optionally, a condition on its items")
        values, item = self.list_of(node, "a list")
        if len(args) == 1:
            return Typed(f"size({values.cel})", Ty("integer"))
        var, test = self.item_test(node, item)
        return Typed(f"size({values.cel}.filter({var}, {test}))", Ty("integer"))

    def fn_any(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 2, 2, "a list and a condition on its items")
        values, item = self.list_of(node, "a list and a condition")
        var, test = self.item_test(node, item)
        return Typed(f"{values.cel}.exists({var}, {test})", Ty("boolean"))

    def fn_all(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 2, 2, "a list and a condition on its items")
        values, item = self.list_of(node, "a list and a condition")
        var, test = self.item_test(node, item)
        return Typed(f"{values.cel}.all({var}, {test})", Ty("boolean"))

    def fn_sum(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 1, 1, "a list of numbers, or the field of a list's items")
        arg = args[0]
        suffix: list[str] = []
        if isinstance(arg, Name) and len(arg.parts) > 1:  # sum(line_items.price)
            for cut in range(len(arg.parts) - 1, 0, -1):
                try:
                    head = self.expr(Name(arg.parts[:cut], arg.pos))
                except DerivedError:
                    continue
                if head.ty.kind == "list":
                    suffix = list(arg.parts[cut:])
                    break
        whole = args
        if suffix and isinstance(arg, Name):
            whole = (Name(arg.parts[: len(arg.parts) - len(suffix)], arg.pos),)
        values, item = self.list_of(Call("sum", whole, node.pos), "a list")
        limit = values.ty.ftype.max_length if values.ty.ftype else None
        if limit is None or limit > MAX_SUM_ITEMS:
            raise DerivedError(
                f"sum() adds up a list of at most {MAX_SUM_ITEMS} items: give the list a "
                f'constraint like "max {MAX_SUM_ITEMS} items"', _pos(arg))
        parts = []
        ty: Ty | None = None
        for i in range(limit):
            element = f"{values.cel}[{i}]"
            one = self.walk(element, field_ty(item), suffix, Name(tuple(suffix), _pos(arg))) \
                if suffix else Typed(element, field_ty(item))
            self.want(one, NUMERIC, arg, "sum()")
            ty = one.ty
            zero = "0.0" if one.ty.kind == "number" else "0"
            parts.append(f"(size({values.cel}) > {i} ? {one.cel} : {zero})")
        if ty is None:
            return Typed("0", Ty("integer"))
        return Typed("(" + " + ".join(parts) + ")", ty, ty.kind == "number")


def _fold(values: list[Typed], op: str) -> Typed:
    best = values[0]
    for other in values[1:]:
        best = Typed(f"({best.cel} {op} {other.cel} ? {best.cel} : {other.cel})", best.ty)
    return best


def _fields(ftype: FieldType | None) -> dict[str, Field]:
    return {f.name: f for f in ftype.fields} if ftype else {}


def _quote(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def _pos(node: Expr) -> int:
    return node.pos


def _usage(fn: str) -> str:
    return {"max": "a, b, c", "min": "a, b, c", "median": "a, b, c", "abs": "x",
            "round": "x, 2", "days_between": "first_date, second_date",
            "count": "line_items, in_stock = no", "any": "line_items, in_stock = no",
            "all": "line_items, in_stock = yes", "sum": "line_items.price",
            "date": '"2024-01-31"', "datetime": '"2024-01-31T09:00:00Z"',
            "duration": '"P14D"'}.get(fn, "...")


def _time_literal(kind: str, node: Str) -> Typed:
    from specwright.compiler.celgen import iso_datetime

    if kind == "datetime" and missing_offset(node.value):
        raise DerivedError(f'"{node.value}" {NO_OFFSET}', node.pos)
    try:
        if kind == "date":
            import datetime as dt

            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", node.value):
                raise ValueError(node.value)
            return Typed(_quote(dt.date.fromisoformat(node.value).isoformat()), Ty("date"))
        return Typed(f'timestamp("{iso_datetime(parse_datetime(node.value))}")', Ty("datetime"))
    except ValueError:
        example = "2024-01-31" if kind == "date" else "2024-01-31T09:00:00Z"
        raise DerivedError(f'"{node.value}" is not {describe(Ty(kind))}: write {example}',
                           node.pos) from None
