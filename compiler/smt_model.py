"""A spec's decision tables as one z3 model: a variable per field, the tables' outputs as
functions of the inputs, and readable, canonical counterexamples.

``SpecModel`` is shared by the analysis (``analysis.py``) and the behavioural diff
(``rulediff.py``). Every query adds its goal on top of the field domains; a satisfiable goal is
explained by ``explain``: each input field is set, in Input order, to the first of its candidate
values (bounds and the literals the spec writes, then values between them, smallest first) that
keeps the goal satisfiable, so the counterexample does not depend on the solver's search; then
every field whose value does not matter (the goal holds whatever it is) is left out.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import z3

from specwright.compiler.errors import NotAnalysable
from specwright.compiler.evaluate import display, is_nullable
from specwright.compiler.hitpolicy import gathers, preferred
from specwright.compiler.ir import CompiledTable, Field, Spec
from specwright.compiler.result_bounds import derived_cel, to_smt
from specwright.compiler.smt_cel import Node, Ref, literals_of, parse_cel
from specwright.compiler.smt_terms import Translator, Var
from specwright.compiler.timeofday import DAY_SECONDS, iso_time, time_seconds


@dataclass(frozen=True)
class TableTerms:
    table: CompiledTable
    order: tuple[int, ...]  # row indexes in the order the hit policy tries them
    matches: tuple[z3.BoolRef, ...]  # per row (in table order): the row's condition holds
    fires: tuple[z3.BoolRef, ...]  # per row (table order): this row's results are used
    matched: z3.BoolRef  # some row matches
    defined: z3.BoolRef  # the table decides without a runtime error


class SpecModel:
    """The fields, tables and (optionally) extra expressions of one or more revisions of a spec.

    ``trees`` are extra CEL trees (guardrails) whose literals the variables must know about."""

    def __init__(self, spec: Spec, tables: Sequence[CompiledTable], trees: Iterable[Node] = ()):
        self.spec = spec
        self.conditions = {
            (t.name, t.line, r.number): parse_cel(r.condition) for t in tables for r in t.rows
        }
        trees = list(trees)
        literals: dict[tuple[str, str], list[Any]] = {}
        for tree in [*self.conditions.values(), *trees]:
            for ref, value in literals_of(tree):
                literals.setdefault((ref.root, ref.name), []).append(value)
        for table in tables:
            for row in table.rows:
                for name, value in row.results.items():
                    literals.setdefault(("output", name), []).append(value)
        self.literals = literals
        # computed result cells (``= input.total * 0.5``): their inputs are variables too; one
        # outside the linear subset leaves its output opaque (``opaque``: output -> why)
        self.computed: dict[tuple[str, int, int, str], Node] = {}
        self.opaque: dict[str, str] = {}
        for table in tables:
            for row in table.rows:
                for name, expression in row.computed.items():
                    try:
                        self.computed[(table.name, table.line, row.number, name)] = to_smt(
                            expression, derived_cel(table)
                        )
                    except NotAnalysable as exc:
                        self.opaque.setdefault(name, f"{str(exc)} in = {expression}")
        used = {
            ref
            for tree in [*self.conditions.values(), *trees, *self.computed.values()]
            for ref in refs(tree)
        }
        self.vars: dict[tuple[str, str], Var] = {}
        for field in spec.inputs:
            if ("input", field.name) in used:
                self._add("input", field, is_nullable(field))
        for table in tables:
            if gathers(table):
                continue
            for name in table.outputs:
                field = next(f for f in spec.outputs if f.name == name)
                self._add("output", field, True)
        self.translator = Translator(self.vars)
        self.solver = z3.Solver()
        self.solver.set("random_seed", 0)
        for var in self.vars.values():
            self.solver.add(*var.domain())

    def _add(self, root: str, field: Field, nullable: bool) -> None:
        if field.type.kind not in ("list", "object"):
            texts = [v for v in self.literals.get((root, field.name), []) if isinstance(v, str)]
            self.vars[(root, field.name)] = Var(root, field, nullable, texts)

    def inputs(self) -> list[Var]:
        return [v for (root, _), v in self.vars.items() if root == "input"]

    def table(self, table: CompiledTable, prefix: str = "") -> TableTerms:
        """The table's rows as z3 conditions; its outputs are tied to the output variables (when
        ``prefix`` is empty) or to fresh ones named with ``prefix`` (returned by ``outputs``)."""
        matches, errors = [], []
        for row in table.rows:
            value, err = self.translator.condition(self.conditions[(table.name, table.line, row.number)])
            matches.append(value)
            errors.append(err)
        order = preferred(table)
        fires: list[z3.BoolRef] = [z3.BoolVal(False)] * len(order)
        earlier: list[z3.BoolRef] = []
        for i in order:
            fires[i] = z3.And(matches[i], *(z3.Not(e) for e in earlier))
            earlier.append(matches[i])
        matched = z3.Or(*matches) if matches else z3.BoolVal(False)
        defined = [z3.Not(e) for e in errors]
        required = any(f.required for f in self.spec.outputs if f.name in table.outputs)
        if required and not gathers(table):
            defined.append(matched)
        n = len(matches)
        for i in range(n):
            for j in range(i + 1, n):
                if table.hit_policy == "unique" or (
                    table.hit_policy == "any" and table.rows[i].written != table.rows[j].written
                ):
                    defined.append(z3.Not(z3.And(matches[i], matches[j])))
        return TableTerms(
            table, tuple(order), tuple(matches), tuple(fires), matched, z3.And(*defined)
        )

    def outputs(self, terms: TableTerms) -> list[z3.BoolRef]:
        """Constraints tying each output variable to the row that fires (or the no-match value)."""
        table = terms.table
        ties: list[z3.BoolRef] = []
        for name in table.outputs:
            var = self.vars.get(("output", name))
            if var is None:
                continue
            field = var.field
            for row, fires in zip(table.rows, terms.fires, strict=True):
                if name in row.computed:
                    node = self.computed.get((table.name, table.line, row.number, name))
                    try:  # opaque (the output left free for this row) when not analysable
                        if node is None:
                            continue
                        term = self.translator.number(self.translator.term(node))
                    except NotAnalysable as exc:
                        self.opaque.setdefault(name, f"{exc} in = {row.computed[name]}")
                        continue
                    ties.append(z3.Implies(fires, var.when_present(var.number() == term.v)))
                    continue
                value = row.results.get(name, field.default if field.has_default else None)
                ties.append(z3.Implies(fires, var.fix(value)))
            none = field.default if field.has_default else None
            ties.append(z3.Implies(z3.Not(terms.matched), var.fix(none)))
        return ties

    # ------------------------------------------------------------------------- counterexamples

    def check(self, *goal: z3.BoolRef) -> bool:
        """Whether the domains and ``goal`` can all hold (the goal passed as assumptions: no
        push and pop, which cost more than the check itself on these small problems)."""
        return bool(self.solver.check(*goal) == z3.sat)

    def explain(
        self, goal: z3.BoolRef, shown: Sequence[Var]
    ) -> tuple[dict[str, Any], list[Var], z3.ModelRef]:
        """For a satisfiable ``goal``: canonical values of every input (JSON, absent ones left
        out), the fields among ``shown`` that matter, and the model of those values."""
        fixed: list[z3.BoolRef] = []
        values: dict[str, Any] = {}
        solver = self.solver
        solver.push()
        solver.add(goal)
        for var in self.inputs():
            chosen = None
            for candidate in self.candidates(var):
                solver.push()
                solver.add(var.fix(candidate))
                ok = solver.check() == z3.sat
                solver.pop()
                if ok:
                    chosen = candidate
                    break
            exact = None
            if chosen is None and solver.check() == z3.sat:
                point = solver.model()
                chosen = var.decode(point)
                exact = var.val == point.eval(var.val, model_completion=True)
            constraint = var.fix(chosen)
            if exact is not None and chosen is not None and not self.check(goal, *fixed, constraint):
                constraint = z3.And(var.present, exact)  # the decoded value rounded it away
            solver.add(constraint)
            fixed.append(constraint)
            values[var.name] = chosen
        solver.check()
        model = solver.model()
        solver.pop()
        by_var = dict(zip(self.inputs(), fixed, strict=True))
        kept = list(shown)
        for var in list(shown):
            rest = [by_var[v] for v in kept if v is not var]
            if not self.check(*rest, z3.Not(goal)):
                kept.remove(var)
        return {k: v for k, v in values.items() if v is not None}, kept, model

    def candidates(self, var: Var) -> list[Any]:
        """JSON values to try for ``var``, most readable first; absent last."""
        kind = var.kind
        numbers = [
            v for v in self.literals.get((var.root, var.name), [])
            if not isinstance(v, bool | str) and v is not None
        ]
        ftype = var.field.type
        found: list[Any]
        if kind == "bool":
            found = [False, True]
        elif kind in ("enum", "text"):
            found = [*var.texts, *([var.other] if var.other is not None else [])]
        elif kind in ("int", "real", "money"):
            bounds = [ftype.minimum, ftype.maximum, ftype.exclusive_minimum, ftype.exclusive_maximum]
            marks = sorted({Fraction(str(v)) for v in [*numbers, *bounds] if v is not None})
            found = [_plain(v) for v in _spread(marks or [Fraction(0)], kind == "int")]
        elif kind == "date":
            days = sorted({dt.date.fromisoformat(str(v)).toordinal() for v in self.literals.get(
                (var.root, var.name), []) if isinstance(v, str) and _is_date(v)})
            marks = [Fraction(d) for d in days] or [Fraction(dt.date(2024, 1, 1).toordinal())]
            found = [dt.date.fromordinal(int(d)).isoformat() for d in _spread(marks, True)
                     if 1 <= d <= dt.date.max.toordinal()]
        elif kind == "time":
            seconds = sorted({t for v in self.literals.get((var.root, var.name), [])
                              if isinstance(v, str) and (t := time_seconds(v)) is not None})
            found = [iso_time(int(t)) for t in _spread([Fraction(t) for t in seconds]
                                                        or [Fraction(43200)], True)
                     if 0 <= t < DAY_SECONDS]
        else:
            stamps = sorted({Fraction(v.timestamp()) for v in self.literals.get(
                (var.root, var.name), []) if isinstance(v, dt.datetime)}) or [Fraction(1704067200)]
            found = [dt.datetime.fromtimestamp(float(s), dt.UTC).isoformat().replace("+00:00", "Z")
                     for s in _spread(stamps, True)]
        return [*found, None] if var.nullable else found

    def describe(self, values: dict[str, Any], kept: Sequence[Var]) -> str:
        """``first_order=yes, order_total=700`` for the kept fields, in Input order."""
        return show(values, kept)


def show(values: dict[str, Any], kept: Sequence[Var]) -> str:
    parts = []
    for var in kept:
        value = values.get(var.name)
        parts.append(f"{var.name} absent" if value is None else f"{var.name}={display(value, var.field.type)}")
    return ", ".join(parts)


def output_values(model: z3.ModelRef, variables: Sequence[Var]) -> str:
    parts = []
    for var in variables:
        value = var.decode(model)
        parts.append(f"{var.name} absent" if value is None else f"{var.name}={display(value, var.field.type)}")
    return ", ".join(parts)


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _spread(marks: list[Fraction], integer: bool) -> list[Fraction]:
    """The marks, one step either side of each, and a readable value between neighbours."""
    values = set(marks) | {m - 1 for m in marks} | {m + 1 for m in marks}
    for a, b in zip(marks, marks[1:], strict=False):
        whole = Fraction(math.floor(a) + 1)
        values.add(whole if whole < b else (a + b) / 2)
    if integer:
        values = {Fraction(math.floor(v)) for v in values} | {Fraction(math.ceil(v)) for v in values}
    return sorted(values)


def _plain(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


def refs(node: Node) -> set[tuple[str, str]]:
    """Every (root, field) the tree reads."""
    if isinstance(node, Ref):
        return {(node.root, node.name)}
    args = getattr(node, "args", ())
    return set().union(*(refs(a) for a in args)) if args else set()
