"""Computed result cells checked against their output's constraints at compile time, exactly.

A row ``| ... | = input.amount_charged - input.restocking_fee |`` on an output ``>= 0`` is wrong
if some input the Input section allows fires that row (under the table's hit policy) and makes
the value negative. For linear expressions z3 decides it (``smt_model``) and the error names such
an input; an expression outside the linear subset (``round``, a product of two fields) gets a
warning saying it is checked on every run instead. Runs always check (``evaluate.row_results``).
``to_smt`` gives the analysis (``smt_model``) the expression as its tree, so guardrails over
computed outputs are proved too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from specwright.compiler.errors import NotAnalysable
from specwright.compiler.evaluate import display, result_derived_values, to_cel_values
from specwright.compiler.ir import CompiledTable, FieldType, Loc, Spec
from specwright.compiler.result_expr import (
    Bin,
    Expr,
    Name,
    Neg,
    Num,
    compute,
    parsed,
    problem_with,
)
from specwright.compiler.smt_cel import Lit, Node, Op, Ref, parse_cel


def bound_findings(
    spec: Spec, table: CompiledTable, cells: dict[tuple[int, str], Loc]
) -> Iterator[tuple[str, Loc, str]]:
    """("error" or "warning", location, message) for every computed cell that can break its
    output's constraints; ``cells`` locates each (row number, output) cell."""
    import z3  # a large import: only for tables with computed cells

    from specwright.compiler.smt_model import SpecModel
    from specwright.compiler.smt_terms import fraction, real

    if table.aggregation is not None:
        return  # the items are added up: the constraints are the total's, checked on runs
    linear = {}
    for row in table.rows:
        for name, expression in row.computed.items():
            loc = cells[(row.number, name)]
            try:
                linear[(row.number, name)] = to_smt(expression, derived_cel(table))
            except NotAnalysable as exc:
                ftype = table.computed[name]
                if _bounded(ftype):
                    yield (
                        "warning",
                        loc,
                        f"{table.name}, row {row.number}, column {name}: = {expression} is not "
                        f"checked against {name}'s constraints at compile time (the analysis "
                        f"does not read {exc}); every run checks it",
                    )
    if not linear:
        return
    try:
        model = SpecModel(spec, [table], linear.values())
        terms = model.table(table)
    except NotAnalysable:
        return  # the conditions are outside the analysed subset: runs check the values
    for index, row in enumerate(table.rows):
        for name, expression in row.computed.items():
            node = linear.get((row.number, name))
            ftype = table.computed[name]
            if node is None or not _bounded(ftype):
                continue
            try:
                term = model.translator.number(model.translator.term(node))
            except NotAnalysable as exc:  # a derived value's CEL outside the analysed subset
                yield ("warning", cells[(row.number, name)],
                       f"{table.name}, row {row.number}, column {name}: = {expression} is not "
                       f"checked against {name}'s constraints at compile time (the analysis "
                       f"does not read {exc}); every run checks it")
                continue
            broken = _broken(term.v, ftype, real, fraction)
            goal = z3.And(terms.fires[index], terms.defined, z3.Not(term.err), z3.Or(*broken))
            if not model.check(goal):
                continue
            values, kept, _ = model.explain(goal, model.inputs())
            cel_values = to_cel_values(spec.inputs, values)
            computed = compute(expression, cel_values, result_derived_values(table, cel_values))
            why = problem_with(computed, ftype) or "breaks its constraints"
            shown = ", ".join(f"{v.name}={display(values.get(v.name), v.field.type)}" for v in kept)
            yield (
                "error",
                cells[(row.number, name)],
                f"{table.name}, row {row.number}, column {name}: = {expression} can give "
                f"{name} = {_number(computed)}, which {why}: e.g. {shown or 'any input'}; "
                "add a row above it for those inputs, or change the expression",
            )


def _broken(value: Any, ftype: FieldType, real: Any, fraction: Any) -> list[Any]:
    """z3 conditions, one per constraint of ``ftype``: ``value`` breaks it."""
    found = []
    if ftype.minimum is not None:
        found.append(value < real(fraction(ftype.minimum)))
    if ftype.maximum is not None:
        found.append(value > real(fraction(ftype.maximum)))
    if ftype.exclusive_minimum is not None:
        found.append(value <= real(fraction(ftype.exclusive_minimum)))
    if ftype.exclusive_maximum is not None:
        found.append(value >= real(fraction(ftype.exclusive_maximum)))
    return found


def _bounded(ftype: object) -> bool:
    return any(
        getattr(ftype, key) is not None
        for key in ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum")
    )


def _number(value: object) -> str:
    exact = Fraction(str(value))
    return str(exact.numerator) if exact.denominator == 1 else str(value)


def derived_cel(table: CompiledTable) -> dict[str, str]:
    """The CEL over ``input`` of each derived value the table's computed results read."""
    return {d.name: d.cel for d in table.result_derived}


def to_smt(canonical: str, derived: Mapping[str, str] | None = None) -> Node:
    """The expression as the analysis's tree (``smt_cel``): linear arithmetic, ``min``, ``max``
    and ``abs`` as conditionals, ``round`` exactly (``smt_terms``: with an integer); a derived
    value as its CEL's tree (``derived``: name -> CEL over ``input``); a product of two fields
    or a division by one raises ``NotAnalysable`` (not linear)."""
    return _smt(parsed(canonical), derived or {})


def _smt(expr: Expr, derived: Mapping[str, str]) -> Node:
    if isinstance(expr, Num):
        value = Decimal(expr.text)
        return Lit(int(value) if value == value.to_integral_value() else float(value))
    if isinstance(expr, Name) and expr.root == "derived":
        if expr.name not in derived:
            raise NotAnalysable(f"derived.{expr.name} (its expression is not known here)")
        return parse_cel(derived[expr.name])
    if isinstance(expr, Name):
        return Ref("input", expr.name)
    if isinstance(expr, Neg):
        return Op("neg", (_smt(expr.inner, derived),))
    if isinstance(expr, Bin):
        if expr.op == "*" and not (_constant(expr.left) or _constant(expr.right)):
            raise NotAnalysable("a product of two fields (not linear)")
        if expr.op == "/" and not _constant(expr.right):
            raise NotAnalysable("a division by a field (not linear)")
        return Op(expr.op, (_smt(expr.left, derived), _smt(expr.right, derived)))
    args = [_smt(a, derived) for a in expr.args]
    if expr.fn == "round":
        return Op("round", (args[0], Lit(int(expr.args[1].text) if len(expr.args) == 2 else 0)))  # type: ignore[union-attr]
    if expr.fn == "abs":
        return Op("?:", (Op("<", (args[0], Lit(0))), Op("neg", (args[0],)), args[0]))
    node = args[0]
    for other in args[1:]:
        keep = "<" if expr.fn == "min" else ">"
        node = Op("?:", (Op(keep, (node, other)), node, other))
    return node


def _constant(expr: Expr) -> bool:
    if isinstance(expr, Num):
        return True
    if isinstance(expr, Neg):
        return _constant(expr.inner)
    if isinstance(expr, Bin):
        return _constant(expr.left) and _constant(expr.right)
    return False
