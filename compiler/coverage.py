"""Exact gaps and unused rows of one decision table, over every valid input.

A row's condition is a conjunction of one unary test per column, and a test's truth is constant
between consecutive literals, so the representatives of ``overlap.py`` (every literal, a value in
every region between them and beyond, inside the field's constraints) split each column into all
the classes the table can tell apart. Which rows pass a representative is a bit mask, found by
running the runtime's own CEL; combining the columns' masks in every way gives every set of rows
some valid input matches (``reachable``: few distinct masks, so this stays small). From that set:

* a gap: the empty set is reachable (an error when the table decides a required output);
* a row never matched: no reachable set holds it;
* in a ``first`` / ``priority`` table, a row never used: every reachable set holding it holds an
  earlier (higher-ranked) row too. A last row of ``-`` cells ("everything else") is not reported.

The counterexample of a gap names only the columns that matter: a column is left out when every
value of it still matches no row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from specwright.compiler.evaluate import cel_program, display
from specwright.compiler.hitpolicy import needs_a_row as _needs_a_row
from specwright.compiler.hitpolicy import preferred
from specwright.compiler.ir import CompiledTable, Loc
from specwright.compiler.overlap import Column, RowFacts, representatives


@dataclass(frozen=True, slots=True)
class CoverageFinding:
    severity: str  # "error" or "warning"
    loc: Loc
    message: str
    input: dict[str, Any]  # a counterexample (gaps), as CEL values of the table's columns


def column_classes(columns: Sequence[Column], rows: Sequence[RowFacts]) -> list[list[tuple[Any, int]]]:
    """Per column: (representative, mask of rows passing it), one per distinct mask, first
    representative kept (the representatives are in ascending order)."""
    found = []
    for index, column in enumerate(columns):
        values = representatives(column, (row.tests[index] for row in rows))
        program = cel_program("[" + ", ".join(row.cels[index] for row in rows) + "]")
        classes: dict[int, Any] = {}
        for value in values:
            flags = program.execute({"input": {column.key or column.name: value}})
            mask = sum(1 << i for i, flag in enumerate(flags) if flag is True)
            classes.setdefault(mask, value)
        found.append([(value, mask) for mask, value in classes.items()])
    return found


# More distinct sets of matching rows than this and the table is not analysed (said so in a
# warning): a bound on time and memory for very large tables, far above any written by hand.
MAX_STATES = 200_000


def reachable(
    classes: list[list[tuple[Any, int]]], rows: int
) -> dict[int, tuple[int, ...]] | None:
    """Every set of rows (a mask) some valid input matches, with the class index per column of
    the first such input found; None when there are more than ``MAX_STATES``."""
    states: dict[int, tuple[int, ...]] = {(1 << rows) - 1: ()}
    for column in classes:
        following: dict[int, tuple[int, ...]] = {}
        for mask, choice in states.items():
            for k, (_, passing) in enumerate(column):
                following.setdefault(mask & passing, (*choice, k))
            if len(following) > MAX_STATES:
                return None
        states = following
    return states


def coverage(
    table: CompiledTable,
    columns: Sequence[Column],
    rows: Sequence[RowFacts],
    required: bool,
    table_loc: Loc,
) -> list[CoverageFinding]:
    """Gaps (when ``required``), rows never matched and rows never used, in row order."""
    classes = column_classes(columns, rows)
    found = reachable(classes, len(rows))
    if found is None:
        return [CoverageFinding(
            "warning", table_loc,
            f"{table.name} is too large to check for gaps and unused rows exactly (its rows "
            f"match inputs in more than {MAX_STATES} different ways); the generated tests still "
            "sample it",
            {},
        )]
    states = found
    findings: list[CoverageFinding] = []
    if required and _needs_a_row(table) and 0 in states:
        values = _minimal(classes, states[0], columns)
        shown = ", ".join(
            f"{c.name} absent" if v is None else f"{c.name}={display(v, c.type)}"
            for c, v in values
        ) or "every input"
        findings.append(CoverageFinding(
            "error", table_loc,
            f"{table.name} has a gap: no row matches {shown}: add a row for it "
            "(or a last row of - cells for everything else)",
            {c.name: v for c, v in values},
        ))
    order = _order(table)
    for index, row in enumerate(rows):
        bit = 1 << index
        holding = [mask for mask in states if mask & bit]
        if not holding:
            findings.append(CoverageFinding(
                "warning", row.loc,
                f"{table.name}, row {row.number} can never match: no valid input passes all its "
                "cells (check them against the field's constraints and the other cells)",
                {},
            ))
            continue
        if table.hit_policy not in ("first", "priority"):
            continue
        position = order.index(index)
        before = order[:position]
        if any(not any(mask & (1 << j) for j in before) for mask in holding):
            continue
        if index == len(rows) - 1 and table.rows[index].condition == "true":
            continue  # a last row of - cells: a deliberate "everything else"
        # the row that wins each input this one matches
        earlier = sorted({
            rows[next(j for j in before if mask & (1 << j))].number for mask in holding
        })
        why = (
            "the first matching row wins; remove it, or move it above them"
            if table.hit_policy == "first"
            else "they rank higher; remove it, or change its result"
        )
        listed = ", ".join(str(n) for n in earlier)
        findings.append(CoverageFinding(
            "warning", row.loc,
            f"{table.name}, row {row.number} is never used: "
            + (f"rows {listed} take" if len(earlier) > 1 else f"row {listed} takes")
            + f" every input it matches: {why}",
            {},
        ))
    return findings


def _order(table: CompiledTable) -> list[int]:
    """Row indexes in the order the hit policy prefers them (priority: by rank, then row)."""
    return preferred(table)


def _minimal(
    classes: list[list[tuple[Any, int]]], choice: tuple[int, ...], columns: Sequence[Column]
) -> list[tuple[Column, Any]]:
    """The columns of a gap's input that matter, with their values."""
    kept = list(range(len(columns)))
    for c in range(len(columns)):
        others = [k for k in kept if k != c]
        mask = -1
        for k in others:
            mask &= classes[k][choice[k]][1]
        if all(mask & passing == 0 for _, passing in classes[c]):
            kept = others
    return [(columns[k], classes[k][choice[k]][0]) for k in kept]
