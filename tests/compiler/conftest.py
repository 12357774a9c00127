"""Hand-built IR for the back-end tests: fields of every type, a table and a guardrail."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from specwright.compiler.ir import (
    CompiledGuardrail,
    CompiledRow,
    CompiledSpec,
    CompiledTable,
    Example,
    Field,
    FieldType,
    Loc,
    Route,
    RouteModel,
    Rule,
    Spec,
)


def ftype(kind: str, **kw: Any) -> FieldType:
    return FieldType(kind=kind, **kw)  # type: ignore[arg-type]


def field(name: str, kind: str | FieldType = "text", *, required: bool = True,
          default: Any = None, has_default: bool | None = None, description: str = "",
          line: int = 1, **type_kw: Any) -> Field:
    ft = kind if isinstance(kind, FieldType) else ftype(kind, **type_kw)
    if has_default is None:
        has_default = default is not None
    return Field(name=name, type=ft, required=required and not has_default,
                 has_default=has_default, default=default, description=description,
                 loc=Loc(line=line))


def compiled(name: str = "demo", *, inputs: tuple[Field, ...] = (), outputs: tuple[Field, ...] = (),
             title: str = "Demo", description: str = "Decide things.", rules: tuple[str, ...] = (),
             tables: tuple[CompiledTable, ...] = (), guardrails: tuple[CompiledGuardrail, ...] = (),
             table_decided: tuple[str, ...] = (), examples: tuple[Example, ...] = ()) -> CompiledSpec:
    outs = outputs or (field("answer", "text"),)
    spec = Spec(
        source=f"specs/{name}.md", name=name, title=title, description=description,
        route=Route(models=(RouteModel(ref="openai:gpt-4.1-mini"),)),
        inputs=inputs or (field("x", "integer"),), outputs=outs,
        rules=tuple(Rule(number=i + 1, text=t, loc=Loc(line=20 + i)) for i, t in enumerate(rules)),
        examples=examples,
    )
    model_decided = tuple(f.name for f in outs if f.name not in table_decided)
    return CompiledSpec(spec=spec, tables=tables, guardrails=guardrails,
                        table_decided=table_decided, model_decided=model_decided)


ADDRESS = ftype("object", object_name="Address", fields=(
    field("street", "text", min_length=1, max_length=80, description="Street and number"),
    field("postcode", "text", pattern="^[0-9]{5}$", required=False),
    field("country", "text", pattern="^[A-Za-z]{2}$", description="ISO country code"),
))

LINE = ftype("object", object_name="Line item", fields=(
    field("sku", "text", min_length=1, max_length=20),
    field("quantity", "integer", minimum=1, maximum=99),
    field("unit_price", "money", minimum=0),
))


def full_spec() -> CompiledSpec:
    """Every type and constraint kind, nested objects, lists, optionals and defaults."""
    inputs = (
        field("order_id", "text", min_length=1, max_length=40, description="Our order number"),
        field("weight_kg", "number", exclusive_minimum=0, maximum=70, description="Weight"),
        field("promised_days", "integer", minimum=1, maximum=14),
        field("declared_value", "money", minimum=0, description="Value for insurance"),
        field("discount", "money", exclusive_minimum=-100, exclusive_maximum=100.5, required=False),
        field("hazmat", "boolean", default=False, description="Dangerous goods"),
        field("region", "text", required=False, description="State code"),
        field("ship_on", "date", required=False),
        field("ordered_at", "datetime"),
        field("channel", "enum", values=("web", "store", "phone")),
        field("tags", ftype("list", items=ftype("text", max_length=10), max_length=5),
              required=False),
        field("lines", ftype("list", items=LINE, min_length=1, max_length=5)),
        field("ship_to", ADDRESS),
        field("bill_to", ADDRESS, required=False),
        field("priority", "integer", default=3, minimum=1, maximum=5),
        field("from", "text", required=False, description="A keyword as a field name"),
        field("schema", "number", required=False),
        field("model_name", "text", required=False),
    )
    outputs = (
        field("carrier", "enum", values=("ups", "fedex", "usps", "dhl"), description="Carrier"),
        field("service", "enum", values=("ground", "express", "overnight")),
        field("insured", "boolean"),
        field("reason", "text", max_length=200, description="One sentence {{ not code }}"),
        field("refund", "money", minimum=0, required=False),
        field("eta", "date", required=False),
    )
    table = CompiledTable(
        name="Decision: service", line=40, hit_policy="first", inputs=("promised_days",),
        outputs=("service",),
        rows=(
            CompiledRow(number=1, line=42, cells=("<= 1",), condition="input.promised_days <= 1",
                        results={"service": "overnight"}),
            CompiledRow(number=2, line=43, cells=("-",), condition="true",
                        results={"service": "ground"}),
        ),
        cel="[input.promised_days <= 1, true]",
    )
    guard = CompiledGuardrail(label="Hazmat never goes with USPS", line=50,
                              cel='!(input.hazmat && output.carrier == "usps")')
    example = Example(
        title="Small", loc=Loc(line=60),
        input={"order_id": "A-1", "weight_kg": 1.2, "promised_days": 5, "declared_value": 40,
               "ordered_at": "2024-05-01T10:00:00Z", "channel": "web",
               "lines": [{"sku": "S1", "quantity": 1, "unit_price": 9.99}],
               "ship_to": {"street": "1 Main St", "country": "US"}},
        output={"service": "ground"},
    )
    return compiled(
        "carrier-selection", title="Carrier selection", inputs=inputs, outputs=outputs,
        description="Choose the carrier. Keep it {% raw %}short{% endraw %}.",
        rules=("Never ship hazmat with USPS.", "Explain the choice in `reason`."),
        tables=(table,), guardrails=(guard,), table_decided=("service",), examples=(example,),
    )


@pytest.fixture
def build() -> SimpleNamespace:
    return SimpleNamespace(ftype=ftype, field=field, compiled=compiled, full=full_spec)


@pytest.fixture
def full() -> CompiledSpec:
    return full_spec()
