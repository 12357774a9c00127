"""The result side of a decision table that the newer forms add: the type a collect operator
needs, the value order ``priority`` and ``output order`` rank by, and computed cells
(``= input.amount_charged``) read, typed and located, then checked against their output's
constraints. ``tables.py`` calls these while it compiles a table."""

from __future__ import annotations

from collections.abc import Mapping

from specwright.compiler.errors import ResultExprError
from specwright.compiler.feel import ORDERED
from specwright.compiler.ir import CompiledTable, Field, FieldType, Loc, Spec, TableCell
from specwright.compiler.report import Reporter
from specwright.compiler.result_expr import check_result, parse_expression

NUMERIC = tuple(sorted(ORDERED - {"date", "datetime", "time"}))
_AGGREGATED = {"count": ("integer",), "sum": NUMERIC, "min": NUMERIC, "max": NUMERIC}


def check_aggregated(
    field: Field, header: TableCell, how: str, kind: str, where: str, report: Reporter
) -> FieldType | None:
    """``collect sum/min/max/count``: the output is one value, and so is every result cell;
    ``kind`` says what the field is, for the message."""
    ftype = field.type
    if ftype.kind not in _AGGREGATED[how]:
        want = "a whole number" if how == "count" else "a number, whole number or money"
        report.at_loc(
            header.loc,
            f"{where}: a collect {how} table gives one value, {want}, but {field.name} is "
            f"{kind}: declare it as " + ("integer" if how == "count" else "integer, number or money"),
        )
        return None
    return ftype


def value_order(ftype: FieldType) -> tuple[str, ...] | None:
    """An enum's values (or a list of enum's), highest rank first; None when it has no order."""
    if ftype.kind == "list" and ftype.items is not None:
        ftype = ftype.items
    return ftype.values if ftype.kind == "enum" else None


def computed_cell(
    cell: TableCell,
    name: str,
    ftype: FieldType,
    inputs: Mapping[str, Field],
    where: str,
    report: Reporter,
    derived: Mapping[str, str] | None = None,
) -> str | None:
    """A result cell ``= <arithmetic>`` for the output ``name``: its canonical text, or None
    (reported, located at the part of the expression that is wrong). ``derived``: the kind of
    each derived value it may read."""
    text = cell.text
    start = text.index("=") + 1
    source = text[start:].strip()
    lead = len(text[start:]) - len(text[start:].lstrip())
    try:
        return check_result(parse_expression(source), inputs, ftype, name, derived)
    except ResultExprError as exc:
        column = cell.loc.col + start + lead + exc.offset
        report.at_loc(Loc(line=cell.loc.line, col=column), f"{where}: {exc}")
        return None


def check_bounds(
    spec: Spec, compiled: CompiledTable, cells: dict[tuple[int, str], Loc], report: Reporter
) -> None:
    """Computed cells against their output's constraints (``result_bounds``: z3, exact);
    ``cells`` locates each (row number, output) cell."""
    from specwright.compiler.result_bounds import bound_findings  # z3: only when needed

    for severity, loc, message in bound_findings(spec, compiled, cells):
        if severity == "error":
            report.at_loc(loc, message)
        else:
            report.warn(loc, message)
