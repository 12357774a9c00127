"""What a decision table's hit policy makes of its matching rows, as DMN 1.5 defines it.

Single-hit policies give one row's results: ``first`` (rule order), ``unique`` (at most one
row may match), ``any`` (matching rows must agree), ``priority`` (the row whose outputs rank
highest). Multi-hit policies gather every matching row: ``collect`` (we keep rule order, which
DMN allows: its order is unspecified), ``rule order`` and ``output order`` (by rank). Each output
of a gathering table is a list, index-aligned across outputs: item ``i`` of every list comes from
the same row. ``collect`` with an operator reduces the one output's values instead: ``sum``,
``min``, ``max`` (no value when no row gives one, as FEEL's ``sum([])``) or ``count``.

Ranks (``priority``, ``output order``): outputs are compared left to right, each by its declared
value order (an enum's ``one of`` list, highest first); outputs without one are not compared;
rows that tie on every output keep rule order.

One implementation, used by the evaluator, the exact analysis, coverage and the boundary tests,
so they agree on what a table decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from specwright.compiler.ir import CompiledRow, CompiledTable

__all__ = [
    "GATHERING",
    "aggregate",
    "gather",
    "gathers",
    "needs_a_row",
    "preferred",
    "rank_key",
    "ranked",
]

GATHERING = ("collect", "rule order", "output order")


def gathers(table: CompiledTable) -> bool:
    """True for the multi-hit policies: every matching row contributes, none is chosen."""
    return table.hit_policy in GATHERING


def needs_a_row(table: CompiledTable) -> bool:
    """Whether an input no row matches leaves the table's output without a value: true for the
    single-hit policies and for ``collect sum``/``min``/``max``; a gathering table gives an empty
    list and ``collect count`` gives 0."""
    return not gathers(table) or table.aggregation in ("sum", "min", "max")


def rank_key(table: CompiledTable, results: Mapping[str, Any]) -> tuple[int, ...]:
    """The row's place in the table's output order: lower ranks first (DMN: decreasing priority)."""
    orders = ((table.outputs[0], table.priority), *table.ranks) if table.priority else table.ranks
    key: list[int] = []
    for name, values in orders:
        value = results.get(name)
        key.append(
            values.index(value) if isinstance(value, str) and value in values else len(values)
        )
    return tuple(key)


def preferred(table: CompiledTable) -> list[int]:
    """Row indexes in the order the hit policy prefers them: by rank for ``priority`` and
    ``output order`` (ties keep rule order), else in rule order."""
    order = list(range(len(table.rows)))
    if table.hit_policy in ("priority", "output order"):
        order.sort(key=lambda i: rank_key(table, table.rows[i].results))
    return order


def ranked(table: CompiledTable, rows: Iterable[CompiledRow]) -> list[CompiledRow]:
    """``rows`` in the hit policy's preferred order."""
    rows = list(rows)
    if table.hit_policy in ("priority", "output order"):
        rows.sort(key=lambda row: rank_key(table, row.results))
    return rows


def gather(table: CompiledTable, results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The outputs of a multi-hit table from its matching rows' results (already ``ranked``)."""
    if table.aggregation is not None:
        name = table.outputs[0]
        values = [r[name] for r in results if r.get(name) is not None]
        value = aggregate(table.aggregation, values)
        return {} if value is None else {name: value}
    return {name: [r[name] for r in results if name in r] for name in table.outputs}


def aggregate(how: str, values: Sequence[Any]) -> Any:
    """DMN's collect operators over the values of the matching rows. Sums are exact decimals
    (money ``0.1 + 0.2`` is ``0.3``); no values: ``count`` is 0, the others have no value."""
    if how == "count":
        return len(values)
    if not values:
        return None
    if how == "min":
        return min(values)
    if how == "max":
        return max(values)
    total = sum((Decimal(str(v)) for v in values), Decimal(0))
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return int(total)
    return float(total)
