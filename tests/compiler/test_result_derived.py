"""Computed result cells read derived values (``= round(input.amount_charged * unused_months /
12, 2)``): by bare name or ``derived.<name>``, as guardrails and columns do; typed (a derived
number is a number), exact, bounds proved by z3 where linear, computed on runs and shown in
the trace."""

from __future__ import annotations

from typing import Any

import pytest

from specwright.compiler import compile_spec
from specwright.compiler.errors import SpecError
from specwright.compiler.evaluate import evaluate_table, to_cel_values
from specwright.compiler.ir import CompiledSpec
from specwright.runtime.engine.run_plan import build_plan

SOURCE = "specs/refunds.md"
SPEC = """---
name: refunds
---
# Refunds

## Input

| field          | type    | constraints | description |
|----------------|---------|-------------|-------------|
| amount_charged | money   | >= 0        | Charged     |
| months_used    | integer | 0..12       | Months used |
| bought_on      | date    |             | Bought      |

## Output

- refund (money, >= 0): what we pay back
- months (integer, >= 0): months refunded

## Derived

| name          | type    | expression             | description |
|---------------|---------|------------------------|-------------|
| unused_months | integer | 12 - months_used       | Months left |
| half_charge   | number  | amount_charged * 0.5   | Half        |
| bought        | date    | bought_on              | When        |

## Decision: refund, months

| months_used | refund | months |
|-------------|--------|--------|
ROWS
"""
FIRST_ROW = SPEC.splitlines().index("ROWS") + 1


def text(rows: str) -> str:
    return SPEC.replace("ROWS", rows.rstrip("\n"))


def compiled(rows: str) -> CompiledSpec:
    return compile_spec(text(rows), SOURCE)


def errors(rows: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        compiled(rows)
    return [str(d) for d in caught.value.diagnostics if d.severity == "error"]


def cel_input(spec: CompiledSpec, **data: Any) -> dict[str, Any]:
    return to_cel_values(spec.spec.inputs, {"bought_on": "2026-01-05", **data})


def decide(spec: CompiledSpec, **data: Any) -> dict[str, Any]:
    table = spec.tables[0]
    return evaluate_table(table, cel_input(spec, **data), required=("refund", "months")).results


PRORATED = "| - | = round(input.amount_charged * unused_months / 12, 2) | = derived.unused_months |\n"


def test_the_issues_prorated_refund_reads_the_derived_value_exactly() -> None:
    spec = compiled(PRORATED)
    row = spec.tables[0].rows[0]
    assert row.computed == {
        "refund": "round(input.amount_charged * derived.unused_months / 12, 2)",
        "months": "derived.unused_months",
    }
    assert [(d.name, d.type.kind) for d in spec.tables[0].result_derived] == [
        ("unused_months", "integer")
    ]
    assert decide(spec, amount_charged=100, months_used=7) == {"refund": 41.67, "months": 5}
    # 0.30 * 5 / 12 = 0.125 exactly: half away from zero, no double error on the way
    assert decide(spec, amount_charged=0.3, months_used=7)["refund"] == 0.13


def test_a_derived_number_enters_as_the_decimal_it_is() -> None:
    spec = compiled("| - | = round(half_charge + 0.1, 2) | 0 |\n")
    assert decide(spec, amount_charged=0.4, months_used=0)["refund"] == 0.3


@pytest.mark.parametrize(
    ("cell", "needle", "message"),
    [
        ("= unused_monhs", "unused_monhs",
         'unknown Input field or derived value unused_monhs (did you mean "unused_months"?)'),
        ("= derived.unused_monhs", "unused_monhs",
         'unknown derived value unused_monhs (did you mean "unused_months"?)'),
        ("= derived.months_used", "months_used",
         "months_used is an Input field: write input.months_used"),
        ("= input.half_charge", "half_charge",
         "half_charge is a derived value: write derived.half_charge"),
        ("= bought", "bought",
         "bought is a derived value of type date, not a number: a result can compute with "
         "number and whole-number derived values"),
    ],
)
def test_derived_names_are_checked_and_located(cell: str, needle: str, message: str) -> None:
    row = f"| - | 0 | {cell} |"
    (error,) = errors(row + "\n")
    column = row.index(cell) + cell.index(needle) + 1
    assert error == (
        f"{SOURCE}:{FIRST_ROW}:{column}: error: Decision: refund, months, row 1, column months: "
        f"{message}"
    )


def test_a_derived_number_in_a_whole_number_output_needs_rounding() -> None:
    (error,) = errors("| - | 0 | = half_charge |\n")
    assert "months is a whole number, but this can give a fraction: wrap it in round(..., 0)" in (
        error
    )
    assert compiled("| - | 0 | = round(half_charge, 0) |\n").tables[0].rows[0].computed == {
        "months": "round(derived.half_charge, 0)"
    }


def test_z3_proves_a_linear_derived_result_within_its_bounds() -> None:
    spec = compiled("| - | 0 | = derived.unused_months |\n")  # 12 - (0..12) is never negative
    assert spec.tables[0].rows[0].computed == {"months": "derived.unused_months"}


def test_z3_finds_the_input_that_breaks_the_bound_through_the_derived_value() -> None:
    (error,) = errors("| - | 0 | = unused_months - 3 |\n")
    assert error.startswith(f"{SOURCE}:{FIRST_ROW}:")
    assert "column months: = derived.unused_months - 3 can give months = " in error
    assert "which must be >= 0: e.g. months_used=" in error


def test_a_row_above_the_breaking_inputs_fixes_it() -> None:
    spec = compiled("| > 9 | 0 | 0 |\n| - | 0 | = unused_months - 3 |\n")
    assert decide(spec, amount_charged=1, months_used=9) == {"refund": 0.0, "months": 0}


def test_runs_compute_the_value_and_show_the_derived_value_in_the_trace() -> None:
    spec = compiled(PRORATED)
    plan = build_plan(spec)
    values = cel_input(spec, amount_charged=60, months_used=4)
    trace: list[dict[str, Any]] = []
    decision = plan.decide_tables(plan.cel.scope(values), values, trace)
    assert decision.results == {"refund": 40.0, "months": 8}
    (entry,) = trace
    assert entry["values"] == {"unused_months": 8}
    assert entry["rows"] == [1]


EXAMPLE = """
## Examples

### Seven months used

```json
{"input": {"amount_charged": 100, "months_used": 7, "bought_on": "2026-01-05"}, "output": {"refund": REFUND, "months": 5}}
```
"""


def test_examples_are_held_to_results_computed_from_derived_values() -> None:
    compile_spec(text(PRORATED) + EXAMPLE.replace("REFUND", "41.67"), SOURCE)
    with pytest.raises(SpecError) as caught:
        compile_spec(text(PRORATED) + EXAMPLE.replace("REFUND", "41.66"), SOURCE)
    (error,) = [str(d) for d in caught.value.diagnostics if d.severity == "error"]
    assert error.endswith("example 'Seven months used' expects refund=41.66; "
                          "Decision: refund, months row 1 gives 41.67")
