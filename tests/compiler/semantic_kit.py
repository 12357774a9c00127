"""Hand-built IR for the semantic-pass tests (check, tables, guardrails, examples, evaluate).

Tables are written as markdown rows; every cell gets the line and column it would have in a file
(``| a | b |`` with one space of padding), so tests can assert exact diagnostic locations.
"""

from __future__ import annotations

from typing import Any, cast

from specwright.compiler.check import check_spec
from specwright.compiler.errors import SpecError
from specwright.compiler.ir import (
    CompiledSpec,
    DecisionTable,
    Example,
    Field,
    FieldType,
    Guardrail,
    HitPolicy,
    Loc,
    Spec,
    TableCell,
    TableRow,
)

SOURCE = "specs/demo.md"


def ft(kind: str, **kw: Any) -> FieldType:
    return FieldType(kind=kind, **kw)  # type: ignore[arg-type]


def f(
    name: str,
    kind: str | FieldType = "text",
    *,
    required: bool = True,
    default: Any = None,
    line: int = 5,
    **type_kw: Any,
) -> Field:
    ftype = kind if isinstance(kind, FieldType) else ft(kind, **type_kw)
    has_default = default is not None
    return Field(
        name=name,
        type=ftype,
        required=required and not has_default,
        has_default=has_default,
        default=default,
        loc=Loc(line=line),
    )


def _cells(line_text: str, line: int) -> tuple[TableCell, ...]:
    cells = []
    pos = 1  # after the leading "|"
    for piece in line_text.strip().strip("|").split("|"):
        text = piece.strip()
        col = pos + 1 + len(piece) - len(piece.lstrip())
        cells.append(TableCell(text=text, loc=Loc(line=line, col=col)))
        pos += len(piece) + 1
    return tuple(cells)


def table(field: str, text: str, *, policy: str = "first", line: int = 20) -> DecisionTable:
    """``text``: the header row, then body rows, as ``a | b`` lines (no separator row).

    The heading is on ``line``, the header row on ``line + 2``, body row n on ``line + 3 + n``.
    """
    rows = [r for r in text.strip().splitlines() if r.strip()]
    header = _cells("| " + rows[0] + " |", line + 2)
    body = tuple(
        TableRow(number=n, cells=_cells("| " + r + " |", line + 3 + n), loc=Loc(line=line + 3 + n))
        for n, r in enumerate(rows[1:], start=1)
    )
    return DecisionTable(
        field=field,
        hit_policy=cast(HitPolicy, policy),
        columns=header,
        rows=body,
        loc=Loc(line=line, col=4),
    )


def guard(label: str, expression: str, *, line: int = 40, col: int = 5) -> Guardrail:
    return Guardrail(label=label, expression=expression, loc=Loc(line=line, col=col))


def example(
    title: str, input: dict[str, Any], output: dict[str, Any], *, line: int = 60
) -> Example:
    return Example(title=title, input=input, output=output, loc=Loc(line=line))


def spec(
    inputs: tuple[Field, ...],
    outputs: tuple[Field, ...],
    *,
    tables: tuple[DecisionTable, ...] = (),
    guardrails: tuple[Guardrail, ...] = (),
    examples: tuple[Example, ...] = (),
) -> Spec:
    return Spec(
        source=SOURCE,
        name="demo",
        title="Demo",
        inputs=inputs,
        outputs=outputs,
        tables=tables,
        guardrails=guardrails,
        examples=examples,
    )


def errors(s: Spec) -> list[str]:
    """Every diagnostic as ``file:line:col: error: message``; [] when the spec compiles."""
    try:
        check_spec(s)
    except SpecError as exc:
        return [str(d) for d in exc.diagnostics]
    return []


def compiled(s: Spec) -> CompiledSpec:
    return check_spec(s)


# The reference spec's fields (design/examples/carrier-selection.md).
CARRIER_INPUTS = (
    f("order_id", "text", min_length=1, max_length=40),
    f("weight_kg", "number", exclusive_minimum=0, maximum=70),
    f("destination_country", "text", pattern="^[A-Za-z]{2}$"),
    f("destination_region", "text", required=False),
    f("promised_days", "integer", minimum=1, maximum=14),
    f("declared_value", "money", minimum=0),
    f("hazmat", "boolean", default=False),
)
CARRIER_OUTPUTS = (
    f("carrier", "enum", values=("ups", "fedex", "usps", "dhl")),
    f("service", "enum", values=("ground", "express", "overnight")),
    f("insured", "boolean"),
    f("reason", "text", max_length=200),
)
SERVICE = """
promised_days | destination_region | service
<= 1          | -                  | overnight
2..3          | -                  | express
4..6          | "AK", "HI"         | express
-             | -                  | ground
"""
INSURED = """
declared_value | insured
> 1000         | yes
-              | no
"""
