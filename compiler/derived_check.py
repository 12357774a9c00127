"""The semantic pass of ``## Derived``: each expression typed against the Input and the derived
values above it, and rendered as CEL over ``input`` (``derived.py``).

Problems are located at the character of the expression they are about, with the fix:
``specs/x.md:31:24: Derived total_cm: unknown name "lenght_cm" (did you mean "length_cm"?)``.
"""

from __future__ import annotations

from specwright.compiler.derived import Scope, Ty, Typed, compile_expression, describe
from specwright.compiler.errors import DerivedError
from specwright.compiler.ir import CompiledDerived, Loc, Spec
from specwright.compiler.report import Reporter


def derived_scope(spec: Spec, report: Reporter) -> tuple[Scope, tuple[CompiledDerived, ...]]:
    """The scope tables and guardrails resolve names in, and every derived value compiled."""
    scope = Scope(inputs={f.name: f for f in spec.inputs}, derived={})
    compiled: list[CompiledDerived] = []
    taken = {f.name: "an Input" for f in spec.inputs} | {f.name: "an Output" for f in spec.outputs}
    derived: dict[str, Typed] = {}
    for value in spec.derived:
        where = f"Derived {value.name}"
        if value.name in taken:
            report.at_loc(Loc(line=value.loc.line, col=1),
                          f"{where}: the name is already {taken[value.name]} field: derived "
                          "values are computed, not sent: rename one of them")
            continue
        try:
            typed = compile_expression(value.expression, Scope(scope.inputs, derived))
        except DerivedError as exc:
            report.at_loc(Loc(line=value.loc.line, col=value.loc.col + exc.offset),
                          f"{where}: {exc}")
            continue
        declared = {"money": "number"}.get(value.type.kind, value.type.kind)
        if typed.ty.kind == "integer" and declared == "number":
            typed = Typed(f"double({typed.cel})", Ty("number"))
        if typed.ty.kind != declared:
            fix = (": round it with round(...), or declare it a number"
                   if (typed.ty.kind, declared) == ("number", "integer")
                   else f": declare it {typed.ty.kind}, or change the expression")
            report.at_loc(value.loc, f"{where} is declared {describe(Ty(declared))}, but the "
                                     f"expression gives {describe(typed.ty)}{fix}")
            continue
        if typed.ty.ftype is not None and typed.ty.ftype.kind != "enum":
            typed = Typed(typed.cel, Ty(typed.ty.kind))  # a field's bounds are not the value's
        derived[value.name] = typed
        compiled.append(CompiledDerived(name=value.name, kind=declared, cel=typed.cel,
                                        line=value.loc.line))
    return Scope(scope.inputs, derived), tuple(compiled)
