"""Where an edited gathering table decides differently, exactly: its gathered outputs as z3 terms.

A gathering table's answer is a function of which rows match (``hitpolicy.py``), so each output
is one term over the rows' match conditions: ``collect sum`` the sum of the matching rows' values,
``count`` how many give one, ``min`` and ``max`` a chain of comparisons; each with "no row gives a
value" as a case of its own (no value: FEEL's ``sum([])``). A list (``collect``, ``rule order``,
``output order``) is a z3 sequence: the items of the matching rows in the policy's order (rule
order, or the static ranking of the rows' literal results). The table decides differently where a
term differs between the two revisions; ``regions.search`` covers that with boxes, each kept to
one old answer and one new answer, which the runtime's evaluator then shows for the box's example.

Computed result cells (``= ...``) are not analysed here: their values depend on the input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import z3

from specwright.compiler.errors import NotAnalysable, TableError
from specwright.compiler.evaluate import display, evaluate_table, to_cel_values
from specwright.compiler.hitpolicy import gather, gathers, ranked
from specwright.compiler.ir import CompiledSpec, CompiledTable, FieldType
from specwright.compiler.rulediff import ARROW, RuleChange
from specwright.compiler.smt_model import TableTerms
from specwright.compiler.smt_terms import real

_ITEMS = z3.SeqSort(z3.IntSort())


@dataclass(frozen=True)
class Gathered:
    """One output of one revision: its value (a number, or a sequence of item codes) and whether
    it has one (a list always has; a sum of no values has none)."""

    value: z3.ExprRef
    has: z3.BoolRef

    def differs(self, other: Gathered) -> z3.BoolRef:
        both = z3.And(self.has, other.has, self.value != other.value)
        return z3.Or(self.has != other.has, both)

    def as_in(self, point: z3.ModelRef) -> z3.BoolRef:
        """The inputs for which this output is what it is at ``point``."""
        has = z3.is_true(point.eval(self.has, model_completion=True))
        if not has:
            return z3.Not(self.has)
        return z3.And(self.has, self.value == point.eval(self.value, model_completion=True))


def policy_name(table: CompiledTable) -> str:
    """``collect sum``, ``collect``, ``output order``, ``first``: the policy as the heading says."""
    return f"collect {table.aggregation}" if table.aggregation else table.hit_policy


class Codes:
    """A number for every distinct list item, shared by both revisions (``1`` and ``1.0`` are
    the same item, as the evaluator's results compare)."""

    def __init__(self) -> None:
        self.known: dict[tuple[str, Any], int] = {}

    def of(self, value: Any) -> z3.ExprRef:
        if isinstance(value, bool):
            key: tuple[str, Any] = ("bool", value)
        elif isinstance(value, int | float):
            key = ("number", Fraction(str(value)))
        elif isinstance(value, str):
            key = ("text", value)
        else:
            key = ("json", json.dumps(value, sort_keys=True, default=str))
        return z3.IntVal(self.known.setdefault(key, len(self.known)))


def encode(table: CompiledTable, terms: TableTerms, name: str, codes: Codes) -> Gathered:
    """The term for output ``name`` of ``table``; NotAnalysable (with the reason) when a row
    computes it or an aggregated value is not a number."""
    policy = policy_name(table)
    for row in table.rows:
        if name in row.computed:
            raise NotAnalysable(
                f"row {row.number} of a {policy} table computes {name} = {row.computed[name]}"
            )
    if gathers(table) and table.aggregation is None:
        items = [
            z3.If(terms.matches[i], z3.Unit(codes.of(table.rows[i].results[name])),
                  z3.Empty(_ITEMS))
            for i in terms.order if name in table.rows[i].results
        ]
        sequence = z3.Concat(*items) if len(items) > 1 else items[0] if items else z3.Empty(_ITEMS)
        return Gathered(sequence, z3.BoolVal(True))
    valued = [(i, table.rows[i].results.get(name)) for i in terms.order]
    valued = [(i, v) for i, v in valued if v is not None]
    for i, value in valued:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise NotAnalysable(f"{name} {display(value)} in row {table.rows[i].number} of a "
                                f"{policy} table is not a number")
    if not gathers(table):  # a single-hit table compared with an aggregate: the row that fires
        total: z3.ArithRef = real(Fraction(0))
        for i, value in reversed(valued):
            total = z3.If(terms.fires[i], real(Fraction(str(value))), total)
        return Gathered(total, z3.Or(z3.BoolVal(False), *(terms.fires[i] for i, _ in valued)))
    hits = [(terms.matches[i], real(Fraction(str(v)))) for i, v in valued]
    has = z3.Or(z3.BoolVal(False), *(m for m, _ in hits))
    if table.aggregation in ("sum", "count"):
        one = real(Fraction(1))
        parts = [z3.If(m, one if table.aggregation == "count" else v, real(Fraction(0)))
                 for m, v in hits]
        value = z3.Sum(*parts) if parts else real(Fraction(0))
        return Gathered(value, z3.BoolVal(True) if table.aggregation == "count" else has)
    best: z3.ArithRef = real(Fraction(0))
    seen: z3.BoolRef = z3.BoolVal(False)
    for m, v in hits:
        better = v < best if table.aggregation == "min" else v > best
        best = z3.If(z3.And(m, z3.Or(z3.Not(seen), better)), v, best)
        seen = z3.Or(seen, m)
    return Gathered(best, has)


def comparable(before: CompiledTable, after: CompiledTable) -> str | None:
    """Why the two revisions' answers cannot be compared (a list against one value), or None."""
    lists = [gathers(t) and t.aggregation is None for t in (before, after)]
    if lists[0] != lists[1]:
        return (f"the hit policy changed from {policy_name(before)} to {policy_name(after)}: "
                "a list is not compared with one value")
    return None


def answers(
    spec: CompiledSpec, table: CompiledTable, terms: TableTerms, point: z3.ModelRef,
    values: dict[str, Any],
) -> dict[str, Any]:
    """What the table decides for the example ``values``: the runtime's evaluator, or (when the
    example makes it raise, as a unique table's overlap does) the rows that match at ``point``."""
    try:
        return evaluate_table(table, to_cel_values(spec.spec.inputs, values)).results
    except TableError:
        def holds(term: z3.BoolRef) -> bool:
            return z3.is_true(point.eval(term, model_completion=True))

        if not gathers(table):
            fired = [table.rows[i] for i in terms.order if holds(terms.fires[i])]
            return dict(fired[0].results) if fired else {}
        hit = [r for r, m in zip(table.rows, terms.matches, strict=True) if holds(m)]
        return gather(table, [r.results for r in ranked(table, hit)])


def change(
    name: str, outputs: list[str], types: dict[str, FieldType], old: dict[str, Any],
    new: dict[str, Any], region: str, example: dict[str, Any],
) -> RuleChange:
    """The ``decides differently`` entry for one region, old and new answers per output."""
    def shown(results: dict[str, Any], output: str) -> str:
        value = results.get(output)
        return "(no value)" if value is None else display(value, types.get(output))

    text = ", ".join(f"{o} {shown(old, o)} {ARROW} {shown(new, o)}"
                     for o in outputs if old.get(o) != new.get(o))
    return RuleChange(
        "decides differently", name, f"{name} decides differently for {region}: {text}",
        {"table": name, "region": region, "example": example,
         "old": {o: old.get(o) for o in outputs}, "new": {o: new.get(o) for o in outputs}},
    )
