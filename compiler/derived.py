"""Derived values: expressions over the input (``derived_parse.py``), typed and rendered as CEL.

A derived value is never sent by a caller: it is computed from the input on every run. Its CEL
reads only ``input`` (a derived value it uses is inlined), so a table column or guardrail that
reads it compiles to plain CEL the runtime, the generated tests and the exact analysis already
understand. Arithmetic on numbers is done in doubles and the result rounded to 6 decimals
(``derived_types.SCALE``), so ``30.1 + 30.0 + 29.9`` is exactly 90, as the expert reads it.
"""

from __future__ import annotations

from collections.abc import Sequence

from specwright.compiler.derived_functions import Functions, time_literal
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
from specwright.compiler.derived_types import (
    COMPARISONS,
    FUNCTIONS,
    NUMERIC,
    ORDERED,
    Scope,
    Ty,
    Typed,
    as_double,
    describe,
    field_ty,
    fields_of,
    finish,
    pos,
    quote,
)
from specwright.compiler.errors import DerivedError, did_you_mean
from specwright.compiler.evaluate import is_nullable
from specwright.compiler.ir import FieldType

__all__ = ["Scope", "Ty", "Typed", "compile_expression", "describe", "field_ty", "finish"]


def compile_expression(text: str, scope: Scope) -> Typed:
    """Parse, type and render ``text``; raises ``DerivedError`` at an offset of ``text``."""
    return finish(_Render(scope).expr(parse_expression(text)))


class _Render:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.functions = Functions(self)

    def expr(self, node: Expr) -> Typed:
        if isinstance(node, Num):
            ty = Ty("number" if any(c in node.text for c in ".eE") else "integer")
            return Typed(repr(float(node.text)) if ty.kind == "number" else node.text, ty)
        if isinstance(node, Str):
            return Typed(quote(node.value), Ty("text"))
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
            return Typed(f"-({inner.cel})", Ty(inner.ty.kind), inner.arithmetic)
        if isinstance(node, If):
            cond = self.expr(node.cond)
            self.want(cond, ("boolean",), node.cond, "'if'")
            a, b = self.same(self.expr(node.then), self.expr(node.other), node.other, "else")
            ty = a.ty if a.ty.ftype is not None and a.ty.ftype.kind == "enum" else Ty(a.ty.kind)
            return Typed(f"({cond.cel} ? {a.cel} : {b.cel})", ty, a.arithmetic or b.arithmetic)
        if isinstance(node, Call):
            return self.call(node)
        return self.binary(node)

    def want(self, t: Typed, kinds: Sequence[str], node: Expr, where: str) -> None:
        if t.ty.kind not in kinds:
            names = " or ".join(describe(Ty(k)) for k in kinds)
            raise DerivedError(f"{where} needs {names}, but this is {describe(t.ty)}", pos(node))

    def same(self, a: Typed, b: Typed, at: Expr, what: str) -> tuple[Typed, Typed]:
        """Two values of one type (a whole number meets a number as a number)."""
        if a.ty.kind in NUMERIC and b.ty.kind in NUMERIC and a.ty.kind != b.ty.kind:
            return (Typed(as_double(a), Ty("number"), a.arithmetic),
                    Typed(as_double(b), Ty("number"), b.arithmetic))
        if a.ty.kind != b.ty.kind:
            raise DerivedError(f"{what}: {describe(a.ty)} and {describe(b.ty)} do not mix",
                               pos(at))
        return a, b

    # -------------------------------------------------------------------- names

    def name(self, node: Name) -> Typed:
        parts, scope = list(node.parts), self.scope
        if scope.items and parts[0] in fields_of(scope.items[-1][1]):
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
                            *(fields_of(scope.items[-1][1]) if scope.items else ())])
            raise DerivedError(f'unknown name "{parts[0]}"{did_you_mean(parts[0], names)}',
                               node.pos)
        return self.walk("input", Ty("object", FieldType(kind="object",
                                                           fields=tuple(scope.inputs.values()))),
                         parts, node)

    def walk(self, cel: str, ty: Ty, parts: list[str], node: Name) -> Typed:
        shown: list[str] = []
        guards: list[str] = []
        for part in parts:
            fields = fields_of(ty.ftype) if ty.kind == "object" and ty.ftype else {}
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
            return Typed(f"({as_double(a)} {op} {as_double(b)})", Ty("number"), True)
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
                or bool(scope.items and name in fields_of(scope.items[-1][1])))

    def compare(self, op: str, a: Typed, b: Typed, node: Binary) -> Typed:
        if a.ty.kind == "boolean" and b.ty.kind == "text" and isinstance(node.right, Str):
            raise DerivedError(f'"{node.right.value}" is not yes or no', node.right.pos)
        if isinstance(node.right, Word) and a.ty.kind == "text" and node.right.text != "null":
            b = Typed(quote(node.right.text), Ty("text"))
        if a.ty.kind == "text" and a.ty.ftype and a.ty.ftype.kind == "enum":
            value = node.right
            if isinstance(value, Str | Word) and b.cel.strip('"') not in a.ty.ftype.values:
                shown = value.value if isinstance(value, Str) else value.text
                raise DerivedError(
                    f'"{shown}" is not one of: {", ".join(a.ty.ftype.values)}'
                    f"{did_you_mean(shown, a.ty.ftype.values)}", value.pos)
        if a.ty.kind in ("date", "datetime", "time") and b.ty.kind == "text" and isinstance(
                node.right, Str):
            b = time_literal(a.ty.kind, node.right)
        a, b = self.same(a, b, node.right, f"'{op}'")
        if op not in ("==", "!=") and a.ty.kind not in ORDERED:
            raise DerivedError(f"'{op}' compares by order, but this is {describe(a.ty)}",
                               node.pos)
        a, b = finish(a), finish(b)
        return Typed(f"({a.cel} {op} {b.cel})", Ty("boolean"))

    # -------------------------------------------------------------------- functions

    def call(self, node: Call) -> Typed:
        fn, args = node.fn, node.args
        handler = getattr(self.functions, f"fn_{fn}", None)
        if handler is None:
            raise DerivedError(f'unknown function "{fn}"{did_you_mean(fn, FUNCTIONS)}: the '
                               f"functions are {', '.join(FUNCTIONS)}", node.pos)
        result: Typed = handler(node, args)
        return result
