"""Boundary inputs for computed condition columns (derived values, nested paths, list tests).

A threshold on ``total_cm`` (``length_cm + width_cm + height_cm``) is not a value of one Input
field: the inputs that put the sum exactly on 90, or just past it, are found with z3 over the
table's own CEL (``specwright.compiler.smt_model``), each one also meeting the other cells of the
row the threshold comes from, so the boundary is tested where it decides something. Number
thresholds get neighbours 0.01 and 0.1 away (a derived value adds up measurements). A column
whose CEL the solver does not read (list conditions) gets no seeds: the combinations of its
fields' own boundaries still cover it, and the oracle evaluates its value with CEL.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from specwright.compiler.celgen import cell_to_cel
from specwright.compiler.errors import NotAnalysable
from specwright.compiler.evaluate import cel_program, display
from specwright.compiler.ir import CompiledTable, ComputedColumn
from specwright.runtime.testing.cells import Cell
from specwright.runtime.testing.suite import Prepared, SpecSuite


def computed_of(table: CompiledTable, column: str) -> ComputedColumn | None:
    return next((c for c in table.computed_columns if c.name == column), None)


def computed_value(column: ComputedColumn, prepared: Prepared) -> Any:
    """The column's value for this input, as the runtime computes it (None when it fails)."""
    try:
        return cel_program(column.cel).execute({"input": dict(prepared.cel_input)})
    except Exception:  # noqa: BLE001 - a value CEL cannot compute matches no cell but "-"
        return None


def targets(column: ComputedColumn, cells: Sequence[Cell]) -> list[Any]:
    """Values on and around every threshold of the column's cells."""
    out: list[Any] = []
    for cell in cells:
        for t in cell.thresholds():
            if isinstance(t, bool) or not isinstance(t, int | float):
                continue
            d = Decimal(str(t))
            steps = (Decimal(1),) if column.type.kind == "integer" else (
                Decimal("0.1"), Decimal("0.01"))
            out.append(t)
            for step in steps:
                out += [float(d - step), float(d + step)]
        out += [v for v in cell.literals() if isinstance(v, int | float) and v is not None]
    return sorted(dict.fromkeys(out), key=float)


def _path(table: CompiledTable, column: str) -> str:
    found = computed_of(table, column)
    return f"({found.cel})" if found is not None else f"input.{column}"


def seeds(suite: SpecSuite, table: CompiledTable, cells: list[list[Cell | None]]) -> list[dict[str, Any]]:
    """Valid inputs putting each computed column on and around its thresholds, each meeting the
    other cells of a row that tests the threshold (or no other cell when none can be met)."""
    if not any(c.type.kind in ("integer", "number") for c in table.computed_columns):
        return []
    import z3  # a large import: only for tables with computed number columns

    from specwright.compiler.smt_cel import parse_cel
    from specwright.compiler.smt_model import SpecModel

    try:
        model = SpecModel(suite.compiled.spec, [table])
    except NotAnalysable:
        return []
    found: list[dict[str, Any]] = []
    for index, column in enumerate(table.inputs):
        computed = computed_of(table, column)
        if computed is None or computed.type.kind not in ("integer", "number"):
            continue
        for row_cells in cells:
            own = row_cells[index] if index < len(row_cells) else None
            if own is None or not own.thresholds():
                continue
            others = [
                cell_to_cel(cell.tests, _path(table, col), _nullable(suite, table, col))
                for i, (col, cell) in enumerate(zip(table.inputs, row_cells, strict=False))
                if i != index and cell is not None and cell.tests.tests
            ]
            for target in targets(computed, [own]):
                literal = str(int(target)) if computed.type.kind == "integer" else repr(float(target))
                try:
                    goal = [model.translator.condition(parse_cel(f"({computed.cel}) == {literal}"))[0]]
                    rest = [model.translator.condition(parse_cel(c))[0] for c in others]
                except NotAnalysable:
                    return found
                nice = _cents(model)
                for attempt in (goal + rest + nice, goal + rest, goal + nice, goal):
                    if model.solver.check(*attempt) == z3.sat:
                        found.append(_input(suite, model, model.solver.model()))
                        break
    return found


def _cents(model: Any) -> list[Any]:
    """Every number input a whole number of hundredths: inputs as people write them."""
    import z3

    return [z3.IsInt(var.val * 100) for var in model.inputs() if var.kind == "real"]


def _nullable(suite: SpecSuite, table: CompiledTable, column: str) -> bool:
    computed = computed_of(table, column)
    if computed is not None:
        return computed.nullable
    field = suite.field(column)
    return field is not None and not field.required and not field.has_default


def _input(suite: SpecSuite, model: Any, point: Any) -> dict[str, Any]:
    data = copy.deepcopy(suite.base_input)
    for var in model.inputs():
        value = var.decode(point)
        if value is None:
            data.pop(var.name, None)
        else:
            data[var.name] = value
    return data


def show(column: ComputedColumn, prepared: Prepared) -> str:
    return f"{column.name}={display(computed_value(column, prepared), column.type)}"
