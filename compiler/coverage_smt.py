"""Gaps, rows never used and overlapping rows of a table whose columns are not independent, with z3.

``coverage.py`` splits each column into classes on its own, which is exact only when every column
is one Input field compared with literals. A derived column (``longest_cm`` and ``total_cm`` read
the same three sides), or a cell comparing with another field (``> input.credit_limit``), ties
columns together: taken one by one, combinations no input can produce would count (a false gap).
Here the questions are asked of the whole row conditions over the Input fields, as the runtime
evaluates them (``smt_model.py``). A table whose CEL the solver does not read (list conditions,
``size()``) returns None: the caller falls back and says so.
"""

from __future__ import annotations

from collections.abc import Sequence

from specwright.compiler.coverage import CoverageFinding
from specwright.compiler.errors import NotAnalysable
from specwright.compiler.feel import Range
from specwright.compiler.ir import CompiledTable, Loc, Spec
from specwright.compiler.overlap import RowFacts


def exact_coverage(
    spec: Spec,
    table: CompiledTable,
    rows: Sequence[RowFacts],
    required: bool,
    table_loc: Loc,
) -> list[CoverageFinding] | None:
    """Every gap, overlap and unused row of ``table``, or None when it cannot be analysed."""
    try:
        import z3

        from specwright.compiler.smt_model import SpecModel, show

        model = SpecModel(spec, [table])
        terms = model.table(table)
    except NotAnalysable:
        return None
    findings: list[CoverageFinding] = []
    matches, fires = terms.matches, terms.fires
    if required and table.hit_policy != "collect" and model.check(z3.Not(terms.matched)):
        goal = z3.Not(terms.matched)
        values, kept, _ = model.explain(goal, model.inputs())
        findings.append(CoverageFinding(
            "error", table_loc,
            f"{table.name} has a gap: no row matches {show(values, kept) or 'every input'}: add "
            "a row for it (or a last row of - cells for everything else)",
            values,
        ))
    if table.hit_policy in ("unique", "any"):
        for i, first in enumerate(rows):
            for j in range(i + 1, len(rows)):
                second = rows[j]
                if table.hit_policy == "any" and first.results == second.results:
                    continue
                both = z3.And(matches[i], matches[j])
                if not model.check(both):
                    continue
                values, kept, _ = model.explain(both, model.inputs())
                what = "overlap" if table.hit_policy == "unique" else (
                    "overlap but give different results")
                findings.append(CoverageFinding(
                    "error", second.loc,
                    f"{table.name} ({table.hit_policy}): rows {first.number} and "
                    f"{second.number} {what}, e.g. {show(values, kept) or 'every input'}",
                    values,
                ))
    for index, row in enumerate(rows):
        if not model.check(matches[index]):
            findings.append(CoverageFinding(
                "warning", row.loc,
                f"{table.name}, row {row.number} can never match: no valid input passes all its "
                "cells (check them against the field's constraints and the other cells)",
                {},
            ))
            continue
        last_catch_all = index == len(rows) - 1 and table.rows[index].condition == "true"
        if table.hit_policy in ("first", "priority") and not last_catch_all and not model.check(
            fires[index]
        ):
            findings.append(CoverageFinding(
                "warning", row.loc,
                f"{table.name}, row {row.number} is never used: the rows before it take every "
                "input it matches: remove it, or move it above them",
                {},
            ))
    return findings


def has_references(rows: Sequence[RowFacts]) -> bool:
    """Some cell compares with another Input field (``> input.credit_limit``)."""
    return any(
        lit.kind == "ref"
        for row in rows
        for cell in row.tests
        for test in cell.tests
        for lit in ((test.lo, test.hi) if isinstance(test, Range) else (test.value,))
    )
