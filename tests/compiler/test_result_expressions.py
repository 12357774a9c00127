"""Result cells that compute their value (``= input.amount_charged``): exact money, typed against
the output, located diagnostics with did-you-mean, constraints checked at compile time (z3, with
an input that breaks them) and on every run, and read by the guardrail analysis."""

from __future__ import annotations

from typing import Any

import pytest

from specwright.compiler import compile_spec
from specwright.compiler.errors import SpecError, TableError
from specwright.compiler.evaluate import evaluate_table, to_cel_values
from specwright.compiler.ir import CompiledSpec
from specwright.compiler.rulediff import rule_changes

SOURCE = "specs/refunds.md"
INPUTS = """
| field          | type                          | constraints | description |
|----------------|-------------------------------|-------------|-------------|
| amount_charged | money                         | >= 0        | Charged     |
| fee            | money                         | >= 0        | Restocking  |
| unused_months  | integer                       | 0..12       | Months left |
| plan           | one of: monthly, yearly       |             | The plan    |
| discount_rate  | number                        | optional    | A rate      |
"""
OUTPUTS = """
- refund (money, >= 0): what we pay back
- months (integer): months refunded
"""
HEADER = "| plan | refund | months |\n|---|---|---|\n"


def text(rows: str, *, outputs: str = OUTPUTS, extra: str = "") -> str:
    return (
        f"---\nname: refunds\n---\n# Refunds\n\n## Input\n{INPUTS}\n## Output\n{outputs}\n"
        f"## Decision: refund, months\n\n{HEADER}{rows}{extra}"
    )


def compiled(rows: str, **kw: Any) -> CompiledSpec:
    return compile_spec(text(rows, **kw), SOURCE)


def errors(rows: str, **kw: Any) -> list[str]:
    with pytest.raises(SpecError) as caught:
        compile_spec(text(rows, **kw), SOURCE)
    return [str(d) for d in caught.value.diagnostics if d.severity == "error"]


def decide(spec: CompiledSpec, **data: Any) -> dict[str, Any]:
    values = to_cel_values(spec.spec.inputs, {"fee": 0, "unused_months": 0, **data})
    return evaluate_table(spec.tables[0], values, required=("refund", "months")).results


ROW_LINE = 25  # the first body row of the table


def test_a_field_copied_and_prorated_with_exact_half_up_rounding() -> None:
    spec = compiled(
        '| "monthly" | = input.amount_charged | 0 |\n'
        '| "yearly" | = round(input.amount_charged * unused_months / 12, 2) | = unused_months |\n'
    )
    yearly = spec.tables[0].rows[1]
    assert yearly.computed == {
        "refund": "round(input.amount_charged * input.unused_months / 12, 2)",
        "months": "input.unused_months",
    }
    assert yearly.written["refund"] == "= round(input.amount_charged * input.unused_months / 12, 2)"
    assert decide(spec, plan="monthly", amount_charged=19.99) == {"refund": 19.99, "months": 0}
    assert decide(spec, plan="yearly", amount_charged=100, unused_months=5) == {
        "refund": 41.67,
        "months": 5,
    }
    # 0.30 * 5 / 12 = 0.125 exactly: halves go away from zero (0.13, not the banker's 0.12)
    assert decide(spec, plan="yearly", amount_charged=0.3, unused_months=5)["refund"] == 0.13


def test_money_arithmetic_is_exact() -> None:
    spec = compiled("| - | = input.amount_charged + input.fee | 1 |\n")
    assert decide(spec, plan="monthly", amount_charged=0.1, fee=0.2)["refund"] == 0.3


@pytest.mark.parametrize(
    ("cell", "offset", "message"),
    [
        (
            "= input.amount_chargd",
            6,  # at the name
            'unknown Input field amount_chargd (did you mean "amount_charged"?)',
        ),
        (
            "= amount_charged / 2",
            0,
            "refund is money (at most 2 decimals), but this can give "
            "more: wrap it in round(..., 2)",
        ),
        (
            "= rnd(fee, 2)",
            0,
            'unknown function rnd() (did you mean "round"?) (functions: round, min, max, abs)',
        ),
        (
            "= plan",
            0,
            "plan is not a number: a result can compute with number, whole number and money fields",
        ),
        (
            "= discount_rate",
            0,
            "discount_rate is optional without a default: when it is absent "
            "the result has no value; give it a default, or a row for when it is absent",
        ),
        ("= fee +", 0, "the expression does not parse: write arithmetic like = input.total * 0.5"),
        (
            "= output.months",
            0,
            "'output.months': a result reads Input fields (input.months) and derived values "
            "(derived.months)",
        ),
        (
            "= fee ** 2",
            0,
            "'fee ** 2' is not arithmetic a result can compute: use numbers, "
            "Input fields, + - * /, parentheses and round(), min(), max(), abs()",
        ),
    ],
)
def test_located_errors_name_the_fix(cell: str, offset: int, message: str) -> None:
    line = f"| - | {cell} | 1 |\n"
    column = line.index(cell) + 3 + offset  # 1-based: after "= "
    (error,) = errors(line)
    assert error == (
        f"{SOURCE}:{ROW_LINE}:{column}: error: Decision: refund, months, row 1, "
        f"column refund: {message}"
    )


def test_whole_numbers_and_text_outputs() -> None:
    (error,) = errors("| - | 0 | = unused_months / 2 |\n")
    assert error.endswith(
        "column months: months is a whole number, but this can give a fraction: wrap it in "
        "round(..., 0) or use whole-number fields and no /"
    )
    assert (
        decide(
            compiled("| - | 0 | = round(unused_months / 2) |\n"),
            plan="yearly",
            amount_charged=1,
            unused_months=5,
        )["months"]
        == 3
    )


def test_constraints_are_proved_at_compile_time_with_an_input_that_breaks_them() -> None:
    (error,) = errors("| - | = input.amount_charged - input.fee | 0 |\n")
    assert error == (
        f"{SOURCE}:{ROW_LINE}:7: error: Decision: refund, months, row 1, column refund: "
        "= input.amount_charged - input.fee can give refund = -1, which must be >= 0: "
        "e.g. amount_charged=0, fee=1; add a row above it for those inputs, or change the "
        "expression"
    )
    # max(..., 0) never goes below 0: proved, so no error
    safe = text("| - | = max(input.amount_charged - input.fee, 0) | 0 |\n")
    assert decide(compile_spec(safe, SOURCE), plan="yearly", amount_charged=5, fee=7) == {
        "refund": 0.0,
        "months": 0,
    }


def test_a_value_outside_the_analysis_is_checked_on_every_run() -> None:
    rows = "| - | = round(input.amount_charged * input.fee, 2) | 0 |\n"
    outputs = OUTPUTS.replace("(money, >= 0)", "(money, <= 100)")
    spec = compile_spec(text(rows, outputs=outputs), SOURCE)
    assert [w.message for w in spec.warnings] == [
        "Decision: refund, months, row 1, column refund: = round(input.amount_charged * "
        "input.fee, 2) is not checked against refund's constraints at compile time (the "
        "analysis does not read a product of two fields (not linear)); every run checks it"
    ]
    assert decide(spec, plan="yearly", amount_charged=10, fee=2)["refund"] == 20.0
    with pytest.raises(TableError) as caught:
        decide(spec, plan="yearly", amount_charged=100, fee=2)
    assert caught.value.message == (
        "'Decision: refund, months' (line 21), row 1 (line 25): = round(input.amount_charged * "
        "input.fee, 2): refund = 200.00 must be <= 100"
    )


def test_guardrails_read_computed_results_exactly() -> None:
    guardrail = (
        "\n## Guardrails\n\n- Never more than charged: `output.refund <= input.amount_charged`\n"
    )
    rows = '| "monthly" | = input.amount_charged + input.fee | 0 |\n| - | 0 | 0 |\n'
    (error,) = errors(rows, extra=guardrail)
    assert error == (
        f'{SOURCE}:{ROW_LINE}:1: error: the tables can break guardrail "Never more than '
        'charged" (line 30): fee=1, plan=monthly gives refund=1 '
        "(Decision: refund, months row 1)"
    )
    # less 15%, rounded to the cent: linear with an exact round(), proved (no warning)
    rows = '| "yearly" | = round(input.amount_charged * 0.85, 2) | 0 |\n| - | 0 | 0 |\n'
    assert not compile_spec(text(rows, extra=guardrail), SOURCE).warnings
    # prorated by a field: a product of two fields, outside the analysis: said so, not skipped
    rows = (
        '| "yearly" | = round(input.amount_charged * unused_months / 12, 2) | 0 |\n| - | 0 | 0 |\n'
    )
    spec = compile_spec(text(rows, extra=guardrail), SOURCE)
    first, second = (w.message for w in spec.warnings)
    assert first.startswith("Decision: refund, months, row 1, column refund: = round(")
    assert second.startswith(
        'guardrail "Never more than charged" is not checked exactly against the tables: the '
        "analysis does not read a product of two fields (not linear) in = round("
    )


def test_a_scorecard_adds_up_computed_points() -> None:
    outputs = "- score (number): points\n"
    table = (
        "## Decision: score (collect sum)\n\n| plan | score |\n|---|---|\n"
        '| - | = unused_months * 1.5 |\n| "yearly" | 10 |\n'
    )
    source = text("", outputs=outputs).split("## Decision")[0] + table
    spec = compile_spec(source, SOURCE)
    values = to_cel_values(
        spec.spec.inputs, {"plan": "yearly", "amount_charged": 1, "fee": 0, "unused_months": 3}
    )
    assert evaluate_table(spec.tables[0], values).results == {"score": 14.5}


def test_the_diff_says_when_an_output_moves_from_the_model_to_a_table() -> None:
    both = compiled('| - | = input.amount_charged | 0 |\n')
    alone = text("").split("## Decision")[0] + (
        "## Decision: refund\n\n| plan | refund |\n|---|---|\n| - | = input.amount_charged |\n"
    )
    before = compile_spec(alone, SOURCE)
    assert before.model_decided == ("months",)
    moved = [c.message for c in rule_changes(before, both) if c.what.startswith("now decided")]
    assert moved == [
        "months: now decided by 'Decision: refund, months' (it was asked of the language model)"
    ]
    back = [c.message for c in rule_changes(both, before) if c.what.startswith("now decided")]
    assert back == ["months: now asked of the language model (no table decides it)"]
