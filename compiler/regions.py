"""Where an edited decision table decides differently: exact input regions, found with z3.

For every pair (earlier row that fires, new row that fires) whose results differ, including "no
row matches" on either side, the solver finds an input; the input is widened into a box, one field
at a time in Input order: a number to the widest interval between the literals the tables write
(``500 < order_total <= 1000``), any other field to every value that keeps the change (a field
for which every value does is left out). The box is then excluded and the search repeats, so the
boxes cover every changed input (up to ``LIMIT`` boxes per table, said so when cut). A gathering
table (``collect``, ``collect sum``, ...) is compared output by output as a whole
(``regions_gather.py``) with the same search, each box kept to one old and one new answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import z3

from specwright.compiler import regions_gather as gathered
from specwright.compiler.errors import NotAnalysable
from specwright.compiler.evaluate import display
from specwright.compiler.hitpolicy import gathers
from specwright.compiler.ir import CompiledSpec, CompiledTable
from specwright.compiler.rulediff import ARROW, RuleChange
from specwright.compiler.smt_model import SpecModel, TableTerms, refs
from specwright.compiler.smt_terms import Var, real

LIMIT = 12
_NUMERIC = ("int", "real", "money")
# for an example input (its values and the solver's model of them): the goal its box must stay
# inside, and the change to report for the box's region
Describe = Callable[[dict[str, Any], z3.ModelRef], tuple[z3.BoolRef, Callable[[str], RuleChange]]]


def decided_differently(
    old: CompiledSpec, new: CompiledSpec, before: CompiledTable, after: CompiledTable
) -> list[RuleChange]:
    name = after.name
    earlier = before.model_copy(update={"name": f"(earlier) {before.name}"})
    try:
        model = SpecModel(new.spec, [earlier, after])
        was, now = model.table(earlier), model.table(after)
    except NotAnalysable as exc:
        return [_not_analysed(name, str(exc))]
    outputs = [o for o in after.outputs if o in before.outputs]
    used = set(before.inputs) | set(after.inputs)
    used |= {n for tree in model.conditions.values() for root, n in refs(tree) if root == "input"}
    shown = [v for v in model.inputs() if v.name in used]
    if gathers(before) or gathers(after):
        return _gathered(new, (before, after), (was, now), model, shown, outputs)
    found: list[RuleChange] = []
    cases_was = [*zip(was.fires, [r.written for r in before.rows], strict=True),
                 (z3.Not(was.matched), None)]
    cases_now = [*zip(now.fires, [r.written for r in after.rows], strict=True),
                 (z3.Not(now.matched), None)]
    for fires_was, results_was in cases_was:
        for fires_now, results_now in cases_now:
            if _same(results_was, results_now, outputs):
                continue
            goal = z3.And(fires_was, fires_now)
            change = ", ".join(
                f"{o} {_show(results_was, o)} {ARROW} {_show(results_now, o)}"
                for o in outputs if _value(results_was, o) != _value(results_now, o)
            )
            old_values = {o: _value(results_was, o) for o in outputs}
            new_values = {o: _value(results_now, o) for o in outputs}

            def describe(
                values: dict[str, Any], _: z3.ModelRef, goal: z3.BoolRef = goal,
                change: str = change, old_values: dict[str, Any] = old_values,
                new_values: dict[str, Any] = new_values,
            ) -> tuple[z3.BoolRef, Callable[[str], RuleChange]]:
                return goal, lambda region: RuleChange(
                    "decides differently", name, f"{name} decides differently for {region}: "
                    f"{change}", {"table": name, "region": region, "example": values,
                                  "old": old_values, "new": new_values})

            if not search(model, goal, shown, name, found, describe):
                return found
    return found


def _gathered(
    new: CompiledSpec, tables: tuple[CompiledTable, CompiledTable],
    terms: tuple[TableTerms, TableTerms], model: SpecModel, shown: list[Var], outputs: list[str],
) -> list[RuleChange]:
    """A gathering table on either side: each output as one term per revision, compared."""
    before, after = tables
    name = after.name
    if (why := gathered.comparable(before, after)) is not None:
        return [_not_analysed(name, why)]
    codes = gathered.Codes()
    try:
        sides = [{o: gathered.encode(t, s, o, codes) for o in outputs}
                 for t, s in zip(tables, terms, strict=True)]
    except NotAnalysable as exc:
        return [_not_analysed(name, str(exc))]
    goal = z3.Or(z3.BoolVal(False), *(sides[0][o].differs(sides[1][o]) for o in outputs))
    types = {f.name: f.type for f in new.spec.outputs}

    def describe(
        values: dict[str, Any], point: z3.ModelRef
    ) -> tuple[z3.BoolRef, Callable[[str], RuleChange]]:
        same = z3.And(goal, *(side[o].as_in(point) for side in sides for o in outputs))
        old, now = (gathered.answers(new, t, s, point, values)
                    for t, s in zip(tables, terms, strict=True))
        return same, lambda region: gathered.change(name, outputs, types, old, now, region, values)

    found: list[RuleChange] = []
    search(model, goal, shown, name, found, describe)
    return found


def search(
    model: SpecModel, goal: z3.BoolRef, shown: Sequence[Var], name: str,
    found: list[RuleChange], describe: Describe,
) -> bool:
    """Cover ``goal`` with boxes, each around an example input and inside the goal ``describe``
    gives for it, appending one change per box to ``found``. False when ``LIMIT`` (counted over
    ``found``) cut it short: the last entry then says so."""
    boxes: list[z3.BoolRef] = []
    while model.check(goal, *(z3.Not(b) for b in boxes)):
        if len(found) == LIMIT:
            found.append(RuleChange(
                "decides differently", name,
                f"{name}: more inputs are decided differently (only the first {LIMIT} "
                "regions are listed)", {"table": name, "truncated": True}))
            return False
        values, _, point = model.explain(z3.And(goal, *(z3.Not(b) for b in boxes)), shown)
        inside, report = describe(values, point)
        box, parts = _widen(model, inside, shown, values)
        boxes.append(box)
        found.append(report(", ".join(parts) or "every input"))
    return True


def _not_analysed(name: str, why: str) -> RuleChange:
    return RuleChange("not analysed", name, f"{name}: the inputs it now decides differently "
                      f"for are not analysed ({why})", {"table": name})


def _value(results: dict[str, Any] | None, name: str) -> Any:
    return None if results is None else results.get(name)


def _same(a: dict[str, Any] | None, b: dict[str, Any] | None, outputs: Sequence[str]) -> bool:
    if (a is None) != (b is None):
        return False
    return all(_value(a, o) == _value(b, o) for o in outputs)


def _show(results: dict[str, Any] | None, name: str) -> str:
    return "(no row)" if results is None else display(results.get(name))


def _widen(
    model: SpecModel, goal: z3.BoolRef, shown: Sequence[Var], values: dict[str, Any]
) -> tuple[z3.BoolRef, list[str]]:
    """The widest box around ``values`` inside ``goal``, and its description per field."""
    constraints = {v.name: v.fix(values.get(v.name)) for v in shown}
    parts: dict[str, str] = {}
    for var in shown:
        others = [c for n, c in constraints.items() if n != var.name]

        def holds(*extra: z3.BoolRef, others: list[z3.BoolRef] = others) -> bool:
            return not model.check(*others, *extra, z3.Not(goal))

        value = values.get(var.name)
        if var.kind in _NUMERIC and value is not None:
            constraint, text = _interval(model, var, Fraction(str(value)), holds)
        else:
            constraint, text = _choices(model, var, holds, others)
        constraints[var.name] = constraint
        if text:
            parts[var.name] = text
    return z3.And(*constraints.values()), [parts[v.name] for v in shown if v.name in parts]


def _interval(model: SpecModel, var: Var, value: Fraction, holds: Any) -> tuple[z3.BoolRef, str]:
    x = var.number()
    ftype = var.field.type
    marks = sorted({Fraction(str(m)) for m in [
        *(v for v in model.literals.get(("input", var.name), [])
          if isinstance(v, int | float) and not isinstance(v, bool)),
        *(b for b in (ftype.minimum, ftype.maximum, ftype.exclusive_minimum,
                      ftype.exclusive_maximum) if b is not None)]})
    present = var.present
    low: tuple[str, Fraction] | None = (">=", value)
    for mark in reversed([m for m in marks if m < value]):
        if holds(present, x >= real(mark), x <= real(value)):
            low = (">=", mark)
            continue
        if holds(present, x > real(mark), x <= real(value)):
            low = (">", mark)
        break
    else:
        if holds(present, x <= real(value)):
            low = None
    high: tuple[str, Fraction] | None = ("<=", value)
    for mark in [m for m in marks if m > value]:
        if holds(present, x <= real(mark), x >= real(value)):
            high = ("<=", mark)
            continue
        if holds(present, x < real(mark), x >= real(value)):
            high = ("<", mark)
        break
    else:
        if holds(present, x >= real(value)):
            high = None
    parts: list[z3.BoolRef] = [present]
    for bound in (low, high):
        if bound is not None:
            op, at = bound
            parts.append({">=": x >= real(at), ">": x > real(at),
                          "<=": x <= real(at), "<": x < real(at)}[op])
    return z3.And(*parts), _interval_text(var, low, high)


def _interval_text(
    var: Var, low: tuple[str, Fraction] | None, high: tuple[str, Fraction] | None
) -> str:
    def num(value: Fraction) -> str:
        return display(int(value) if value.denominator == 1 else float(value))

    name = var.name
    if low is not None and high is not None and low[1] == high[1]:
        return f"{name}={num(low[1])}"
    if low is not None and high is not None:
        left = "<=" if low[0] == ">=" else "<"
        return f"{num(low[1])} {left} {name} {high[0]} {num(high[1])}"
    if low is not None:
        return f"{name} {low[0]} {num(low[1])}"
    if high is not None:
        return f"{name} {high[0]} {num(high[1])}"
    return "" if not var.nullable else f"{name} present"


def _choices(
    model: SpecModel, var: Var, holds: Any, others: list[z3.BoolRef]
) -> tuple[z3.BoolRef, str]:
    candidates = model.candidates(var)
    if var.kind not in ("bool", "enum", "text"):  # dates, date and time: the one value
        candidates = [c for c in candidates if c is None]
    keep = [c for c in candidates if model.check(*others, var.fix(c)) and holds(var.fix(c))]
    everything = var.kind in ("bool", "enum", "text") and len(keep) == len(candidates)
    if everything:
        return z3.BoolVal(True), ""
    if not keep:  # a date, or a value outside the candidates: the point itself
        return z3.BoolVal(True), ""
    constraint = z3.Or(*(var.fix(c) for c in keep))
    return constraint, _choice_text(var, keep, candidates)


def _choice_text(var: Var, keep: list[Any], candidates: list[Any]) -> str:
    def one(value: Any) -> str:
        if value is None:
            return "absent"
        if var.kind == "text" and value == var.other:
            return "any other text"
        return display(value, var.field.type)

    if len(keep) == 1:
        value = keep[0]
        if value is None:
            return f"{var.name} absent"
        if var.kind == "text" and value == var.other:
            named = ", ".join(one(t) for t in var.texts)
            return f"{var.name} not {named}"
        return f"{var.name}={one(value)}"
    left_out = [c for c in candidates if c not in keep]
    if var.kind == "text" and var.other in keep and len(left_out) < len(keep):
        return f"{var.name} not {', '.join(one(c) for c in left_out)}"
    if len(left_out) < len(keep) and None not in left_out:
        return f"{var.name} not {', '.join(one(c) for c in left_out)}"
    return f"{var.name} in {', '.join(one(c) for c in keep)}"
