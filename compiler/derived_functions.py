"""The functions of derived expressions: ``max``, ``min``, ``median``, ``abs``, ``round``,
``days_between``, the literals ``date()``, ``datetime()``, ``duration()``, and ``count``,
``any``, ``all``, ``sum`` over lists. Each types its arguments and renders CEL (``derived.py``
calls them by name: ``fn_<name>``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from specwright.compiler.derived_parse import Call, Expr, Name, Num, Str
from specwright.compiler.derived_types import (
    MAX_SUM_ITEMS,
    NUMERIC,
    Ty,
    Typed,
    as_double,
    describe,
    field_ty,
    finish,
    fold,
    pos,
    quote,
)
from specwright.compiler.errors import DerivedError
from specwright.compiler.feel import NO_OFFSET, duration_seconds, missing_offset, parse_datetime
from specwright.compiler.ir import FieldType
from specwright.compiler.timeofday import NO_OFFSET as TIME_NO_OFFSET
from specwright.compiler.timeofday import TIME_EXAMPLE, has_offset, iso_time, time_seconds

if TYPE_CHECKING:
    from specwright.compiler.derived import _Render


class Functions:
    """The functions, over the renderer that types their arguments."""

    def __init__(self, render: _Render) -> None:
        self.r = render

    def arity(self, node: Call, low: int, high: int | None, usage: str) -> None:
        n = len(node.args)
        if n < low or (high is not None and n > high):
            raise DerivedError(f"{node.fn}() takes {usage}: write {node.fn}({_usage(node.fn)})",
                               node.pos)

    def numbers(self, node: Call) -> list[Typed]:
        """The arguments, all numbers (as doubles when one is) or all dates of one kind."""
        values = [self.r.expr(a) for a in node.args]
        for value, arg in zip(values, node.args, strict=True):
            self.r.want(value, NUMERIC + ("date", "datetime"), arg, f"{node.fn}()")
        kinds = {v.ty.kind for v in values}
        if kinds <= set(NUMERIC):
            if "number" in kinds:
                return [Typed(as_double(v), Ty("number"), v.arithmetic) for v in values]
            return values
        if len(kinds) > 1:
            raise DerivedError(f"{node.fn}() compares values of one kind: "
                               f"{' and '.join(sorted(kinds))} do not mix", node.pos)
        return values

    def fn_max(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 2, None, "two or more values")
        return fold([finish(v) for v in self.numbers(node)], ">=")

    def fn_min(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 2, None, "two or more values")
        return fold([finish(v) for v in self.numbers(node)], "<=")

    def fn_median(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 3, 3, "three values (the middle one of three)")
        a, b, c = (finish(v) for v in self.numbers(node))
        low, high = fold([a, b], "<="), fold([a, b], ">=")
        return fold([low, fold([high, c], "<=")], ">=")

    def fn_abs(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 1, 1, "one number")
        x = finish(self.r.expr(args[0]))
        self.r.want(x, NUMERIC, args[0], "abs()")
        zero = "0.0" if x.ty.kind == "number" else "0"
        return Typed(f"({x.cel} < {zero} ? -{x.cel} : {x.cel})", Ty(x.ty.kind))

    def fn_round(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 1, 2, "a number and, optionally, how many decimals")
        x = self.r.expr(args[0])
        self.r.want(x, NUMERIC, args[0], "round()")
        if x.ty.kind == "integer":
            return x
        digits = 0
        if len(args) == 2:
            arg = args[1]
            if not isinstance(arg, Num) or not arg.text.isdigit() or int(arg.text) > 6:
                raise DerivedError("round(): the decimals are a whole number from 0 to 6",
                                   pos(arg))
            digits = int(arg.text)
        v = x.cel
        half = f"({v} < 0.0 ? -0.5 : 0.5)"
        if digits == 0:
            return Typed(f"int({v} + {half})", Ty("integer"))
        scale = repr(float(10**digits))
        return Typed(f"(double(int({v} * {scale} + {half})) / {scale})", Ty("number"))

    def fn_days_between(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 2, 2, "two dates (the first, then the later one)")
        a, b = (self.r.expr(x) for x in args)
        for value, arg in ((a, args[0]), (b, args[1])):
            self.r.want(value, ("date", "datetime"), arg, "days_between()")
        a, b = self.r.same(a, b, args[1], "days_between()")
        if a.ty.kind == "date":
            a = Typed(f'timestamp({a.cel} + "T00:00:00Z")', Ty("datetime"))
            b = Typed(f'timestamp({b.cel} + "T00:00:00Z")', Ty("datetime"))
        return Typed(f"(({b.cel} - {a.cel}).getHours() / 24)", Ty("integer"))

    def fn_time(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 1, 1, 'one time of day in quotes, like time("17:00")')
        if not isinstance(args[0], Str):
            raise DerivedError('time() takes a time of day in quotes, like time("17:00")',
                               node.pos)
        return time_literal("time", args[0])

    def fn_date(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 1, 1, 'one date in quotes, like date("2024-01-31")')
        if not isinstance(args[0], Str):
            raise DerivedError('date() takes a date in quotes, like date("2024-01-31")', node.pos)
        return time_literal("date", args[0])

    def fn_datetime(self, node: Call, args: tuple[Expr, ...]) -> Typed:
        self.arity(node, 1, 1, "one date and time in quotes")
        if not isinstance(args[0], Str):
            raise DerivedError('datetime() takes a date and time in quotes, like '
                               'datetime("2024-01-31T09:00:00Z")', node.pos)
        return time_literal("datetime", args[0])

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
        values = self.r.expr(node.args[0])
        ftype = values.ty.ftype
        if values.ty.kind != "list" or ftype is None or ftype.items is None:
            raise DerivedError(f"{node.fn}() takes a list first, but this is "
                               f"{describe(values.ty)}", pos(node.args[0]))
        return values, ftype.items

    def item_test(self, node: Call, item: FieldType) -> tuple[str, str]:
        """The CEL variable and the condition of the second argument, over one item."""
        var = f"item{len(self.r.scope.items) + 1}"
        if item.kind != "object":
            raise DerivedError(f"{node.fn}() with a condition needs a list of objects",
                               node.pos)
        self.r.scope.items.append((var, item))
        try:
            test = self.r.expr(node.args[1])
        finally:
            self.r.scope.items.pop()
        self.r.want(test, ("boolean",), node.args[1], f"the condition of {node.fn}()")
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
                    head = self.r.expr(Name(arg.parts[:cut], arg.pos))
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
                f'constraint like "max {MAX_SUM_ITEMS} items"', pos(arg))
        parts = []
        ty: Ty | None = None
        for i in range(limit):
            element = f"{values.cel}[{i}]"
            one = self.r.walk(element, field_ty(item), suffix, Name(tuple(suffix), pos(arg))) \
                if suffix else Typed(element, field_ty(item))
            self.r.want(one, NUMERIC, arg, "sum()")
            ty = Ty(one.ty.kind)  # a sum is not bounded by its items' bounds
            zero = "0.0" if one.ty.kind == "number" else "0"
            parts.append(f"(size({values.cel}) > {i} ? {one.cel} : {zero})")
        if ty is None:
            return Typed("0", Ty("integer"))
        return Typed("(" + " + ".join(parts) + ")", ty, ty.kind == "number")



def _usage(fn: str) -> str:
    return {"max": "a, b, c", "min": "a, b, c", "median": "a, b, c", "abs": "x",
            "round": "x, 2", "days_between": "first_date, second_date",
            "count": "line_items, in_stock = no", "any": "line_items, in_stock = no",
            "all": "line_items, in_stock = yes", "sum": "line_items.price",
            "date": '"2024-01-31"', "datetime": '"2024-01-31T09:00:00Z"',
            "duration": '"P14D"', "time": '"17:00"'}.get(fn, "...")


def time_literal(kind: str, node: Str) -> Typed:
    from specwright.compiler.celgen import iso_datetime

    if kind == "datetime" and missing_offset(node.value):
        raise DerivedError(f'"{node.value}" {NO_OFFSET}', node.pos)
    if kind == "time":
        if has_offset(node.value):
            raise DerivedError(f'"{node.value}" {TIME_NO_OFFSET}', node.pos)
        seconds = time_seconds(node.value)
        if seconds is None:
            raise DerivedError(f'"{node.value}" is not a time of day: write {TIME_EXAMPLE}',
                               node.pos)
        return Typed(quote(iso_time(seconds)), Ty("time"))
    try:
        if kind == "date":
            import datetime as dt

            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", node.value):
                raise ValueError(node.value)
            return Typed(quote(dt.date.fromisoformat(node.value).isoformat()), Ty("date"))
        return Typed(f'timestamp("{iso_datetime(parse_datetime(node.value))}")', Ty("datetime"))
    except ValueError:
        example = "2024-01-31" if kind == "date" else "2024-01-31T09:00:00Z"
        raise DerivedError(f'"{node.value}" is not {describe(Ty(kind))}: write {example}',
                           node.pos) from None
