"""The evaluator shared by the compiler and the runtime: values, tables, guardrails."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import semantic_kit as k  # noqa: E402

from specwright.compiler.evaluate import (  # noqa: E402
    GuardrailResult,
    TableConflict,
    TableError,
    TableNoMatch,
    TableOutcome,
    cel_program,
    evaluate_guardrails,
    evaluate_table,
    to_cel_values,
)
from specwright.compiler.ir import CompiledGuardrail, CompiledRow, CompiledTable  # noqa: E402

REQUIRED = tuple(f.name for f in k.CARRIER_OUTPUTS if f.required)
EXAMPLES = {  # the reference spec's three examples
    "Small domestic parcel": {
        "order_id": "A-1001",
        "weight_kg": 1.2,
        "destination_country": "US",
        "destination_region": "OR",
        "promised_days": 5,
        "declared_value": 40,
    },
    "Hawaii, four days": {
        "order_id": "A-1002",
        "weight_kg": 3.0,
        "destination_country": "US",
        "destination_region": "HI",
        "promised_days": 4,
        "declared_value": 1500,
    },
    "Hazmat abroad": {
        "order_id": "A-1003",
        "weight_kg": 8.5,
        "destination_country": "DE",
        "promised_days": 10,
        "declared_value": 300,
        "hazmat": True,
    },
}


@pytest.fixture(scope="module")
def reference() -> tuple[CompiledTable, CompiledTable]:
    spec = k.spec(
        k.CARRIER_INPUTS,
        k.CARRIER_OUTPUTS,
        tables=(k.table("service", k.SERVICE), k.table("insured", k.INSURED, line=30)),
    )
    service, insured = k.compiled(spec).tables
    return service, insured


def table(
    policy: str,
    rows: list[tuple[str, dict[str, Any]]],
    outputs: tuple[str, ...] = ("service",),
    priority: tuple[str, ...] = (),
) -> CompiledTable:
    compiled = [
        CompiledRow(number=n, line=40 + n, cells=(), condition=c, results=r)
        for n, (c, r) in enumerate(rows, start=1)
    ]
    return CompiledTable(
        name="Decision: service",
        line=41,
        hit_policy=policy,  # type: ignore[arg-type]
        inputs=("promised_days",),
        outputs=outputs,
        rows=tuple(compiled),
        cel="[" + ", ".join(c for c, _ in rows) + "]",
        priority=priority,
    )


# ----------------------------------------------------------------------------- values


def test_to_cel_values_maps_every_type() -> None:
    fields = (
        k.f("text", "text"),
        k.f("count", "integer"),
        k.f("amount", "money"),
        k.f("ratio", "number"),
        k.f("flag", "boolean", default=False),
        k.f("day", "date"),
        k.f("at", "datetime"),
        k.f("missing", "text", required=False),
        k.f(
            "lines",
            k.ft(
                "list",
                items=k.ft(
                    "object", fields=(k.f("qty", "number"), k.f("note", "text", required=False))
                ),
            ),
        ),
    )
    values = to_cel_values(
        fields,
        {
            "text": "a",
            "count": 3,
            "amount": Decimal("12.50"),
            "ratio": 2,
            "day": dt.date(2024, 1, 31),
            "at": "2024-01-31T09:00:00+01:00",
            "lines": [{"qty": 1}],
            "undeclared": 1,
        },
    )
    assert values == {
        "text": "a",
        "count": 3,
        "amount": 12.5,
        "ratio": 2.0,
        "flag": False,
        "day": "2024-01-31",
        "at": dt.datetime(2024, 1, 31, 8, 0, tzinfo=dt.UTC),
        "missing": None,
        "lines": [{"qty": 1.0, "note": None}],
    }
    assert isinstance(values["ratio"], float)
    assert values["at"].tzinfo is not None


def test_cel_programs_are_cached_per_expression() -> None:
    assert cel_program("1 + 1 == 2") is cel_program("1 + 1 == 2")


# ----------------------------------------------------------------------------- tables


@pytest.mark.parametrize(
    ("title", "service", "insured", "rows"),
    [
        ("Small domestic parcel", "ground", False, (4, 2)),
        ("Hawaii, four days", "express", True, (3, 1)),
        ("Hazmat abroad", "ground", False, (4, 2)),
    ],
)
def test_reference_tables_on_the_reference_examples(
    reference: tuple[CompiledTable, CompiledTable],
    title: str,
    service: str,
    insured: bool,
    rows: tuple[int, int],
) -> None:
    values = to_cel_values(k.CARRIER_INPUTS, EXAMPLES[title])
    service_table, insured_table = reference
    got_service = evaluate_table(service_table, values, required=REQUIRED)
    got_insured = evaluate_table(insured_table, values, required=REQUIRED)
    assert got_service == TableOutcome((rows[0],), {"service": service})
    assert got_insured == TableOutcome((rows[1],), {"insured": insured})


def test_no_match_for_a_required_output_names_the_table_and_the_input() -> None:
    gap = table("first", [("input.promised_days <= 1", {"service": "overnight"})])
    values = {"promised_days": 15}
    with pytest.raises(TableNoMatch) as info:
        evaluate_table(gap, values, required=("service",), source="specs/carrier-selection.md")
    assert str(info.value) == (
        "no row of 'Decision: service' (specs/carrier-selection.md:41) matches promised_days=15"
    )
    assert (info.value.table, info.value.line, info.value.rows) == ("Decision: service", 41, ())
    assert isinstance(info.value, TableError)
    two = gap.model_copy(update={"inputs": ("promised_days", "destination_region")})
    with pytest.raises(TableNoMatch, match=r"matches promised_days=15, destination_region absent$"):
        evaluate_table(
            two, {"promised_days": 15, "destination_region": None}, required=("service",)
        )
    # an optional output: nothing decided, no error
    assert evaluate_table(gap, values, required=()) == TableOutcome((), {})


def test_unique_matching_twice_is_a_conflict() -> None:
    unique = table(
        "unique",
        [
            ("input.promised_days <= 3", {"service": "express"}),
            ("input.promised_days >= 3", {"service": "ground"}),
        ],
    )
    assert evaluate_table(unique, {"promised_days": 1}).rows == (1,)
    with pytest.raises(TableConflict) as info:
        evaluate_table(unique, {"promised_days": 3})
    assert str(info.value) == "'Decision: service' (line 41) is unique but rows 1 and 2 both match"
    assert info.value.rows == (1, 2)


def test_any_requires_matching_rows_to_agree() -> None:
    rows: list[tuple[str, dict[str, Any]]] = [
        ("input.promised_days <= 3", {"service": "express"}),
        ("input.promised_days >= 2", {"service": "express"}),
        ("input.promised_days >= 3", {"service": "ground"}),
    ]
    assert evaluate_table(table("any", rows), {"promised_days": 2}) == TableOutcome(
        (1, 2), {"service": "express"}
    )
    with pytest.raises(
        TableConflict,
        match=r"rows 1 and 3 both match but give different results "
        r'\(service="express" vs service="ground"\)',
    ):
        evaluate_table(table("any", rows), {"promised_days": 3})


def test_first_collect_and_priority() -> None:
    rows: list[tuple[str, dict[str, Any]]] = [
        ("input.promised_days <= 3", {"service": "express"}),
        ("input.promised_days <= 1", {"service": "overnight"}),
        ("true", {"service": "ground"}),
    ]
    assert evaluate_table(table("first", rows), {"promised_days": 1}).rows == (1,)
    priority = table("priority", rows, priority=("overnight", "express", "ground"))
    assert evaluate_table(priority, {"promised_days": 1}) == TableOutcome(
        (2,), {"service": "overnight"}
    )
    assert evaluate_table(priority, {"promised_days": 2}) == TableOutcome(
        (1,), {"service": "express"}
    )
    collect = table("collect", [*rows[:2], ("true", {})])
    assert evaluate_table(collect, {"promised_days": 1}) == TableOutcome(
        (1, 2, 3), {"service": ["express", "overnight"]}
    )


def test_a_table_that_cannot_be_evaluated_raises_a_table_error() -> None:
    broken = table("first", [("input.promised_days <= 1", {"service": "overnight"})])
    with pytest.raises(TableError, match=r"'Decision: service' \(line 41\) could not be evaluated"):
        evaluate_table(broken, {"promised_days": "soon"})


# ----------------------------------------------------------------------------- guardrails


def test_guardrails_pass_fail_and_errors() -> None:
    guardrails = (
        CompiledGuardrail(
            label="no usps for hazmat", line=64, cel='!(input.hazmat && output.carrier == "usps")'
        ),
        CompiledGuardrail(label="type error", line=65, cel="input.weight_kg + 1 > 2"),
        CompiledGuardrail(label="not a condition", line=66, cel="input.weight_kg"),
    )
    inputs = to_cel_values(k.CARRIER_INPUTS, {**EXAMPLES["Hazmat abroad"]})
    ok = evaluate_guardrails(
        guardrails, inputs, to_cel_values(k.CARRIER_OUTPUTS, {"carrier": "dhl"})
    )
    assert ok[0] == GuardrailResult("no usps for hazmat", True, 64, None)
    assert ok[1] == GuardrailResult(
        "type error",
        False,
        65,
        "Unsupported operation: float + int: CEL does not convert between types "
        "(write 1.0, not 1, next to a number)",
    )
    assert ok[2] == GuardrailResult(
        "not a condition", False, 66, "evaluated to 8.5, not true or false"
    )
    bad = evaluate_guardrails(
        guardrails[:1], inputs, to_cel_values(k.CARRIER_OUTPUTS, {"carrier": "usps"})
    )
    assert bad == (GuardrailResult("no usps for hazmat", False, 64, None),)
