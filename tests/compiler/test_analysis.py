"""The exact table analysis on real spec text: the incidents it exists for, and its warnings.

Each incident is an edit a domain expert made that used to compile ("1 written, 0 failed") and
fail only at run time; now compile fails with a located counterexample, and the counterexample
reproduces with the runtime's own evaluation (``specwright.compiler.evaluate``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from specwright.compiler import compile_spec
from specwright.compiler.errors import SpecError
from specwright.compiler.evaluate import evaluate_guardrails, evaluate_table, to_cel_values
from specwright.compiler.ir import CompiledSpec

ROOT = Path(__file__).resolve().parents[2]
# the three-table form of order-validation (before its tables became one): the analysis of
# tables that must agree is shown on it
ORDER = (ROOT / "bench" / "fixtures" / "order-validation-three-tables.md").read_text()
SOURCE = "specs/order-validation.md"
HOLD_ROW = "| -              | -          | -                      | -           | -                | yes         | > 1000      | hold     |"
CATCH_ALL = "| -              | -          | -                      | -           | -                | -           | -           | accept   |\n"


def _errors(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        compile_spec(text, SOURCE)
    return [str(d) for d in caught.value.diagnostics]


def _run(compiled: CompiledSpec, data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The runtime's evaluation: every table, then every guardrail; returns outputs and the
    labels of the guardrails that fail."""
    spec = compiled.spec
    values = to_cel_values(spec.inputs, data)
    required = [f.name for f in spec.outputs if f.required]
    output: dict[str, Any] = {}
    for table in compiled.tables:
        output.update(evaluate_table(table, values, required=required).results)
    results = evaluate_guardrails(compiled.guardrails, values, to_cel_values(spec.outputs, output))
    return output, [r.label for r in results if not r.passed]


def test_the_examples_compile_without_findings() -> None:
    assert compile_spec(ORDER, SOURCE).warnings == ()


def test_a_threshold_changed_in_one_of_three_parallel_tables_fails_compile() -> None:
    edited = ORDER.replace(HOLD_ROW, HOLD_ROW.replace("> 1000 ", "> 500  "))
    assert edited != ORDER
    assert _errors(edited) == [
        f'{SOURCE}:53:1: error: the tables can break guardrail "Held orders always go to a person" '
        "(line 87): order_total=501, item_count=1, payment_status=authorized, "
        'shipping_country="XX", address_verified=yes, fraud_score=0, first_order=yes gives '
        "decision=hold, needs_review=no (Decision: decision row 7; Decision: needs_review row 9)"
    ]


def test_the_guardrail_counterexample_reproduces_at_run_time() -> None:
    from specwright.compiler.analysis import analyse
    from specwright.compiler.guardrails import compile_guardrails
    from specwright.compiler.parse import parse_spec
    from specwright.compiler.report import Reporter
    from specwright.compiler.tables import compile_tables

    edited = ORDER.replace(HOLD_ROW, HOLD_ROW.replace("> 1000 ", "> 500  "))
    spec = parse_spec(edited, SOURCE)
    report = Reporter(SOURCE)
    tables, guardrails = compile_tables(spec, report), compile_guardrails(spec, report)
    (finding,) = analyse(spec, tables, guardrails)
    data = {"order_id": "B-1", **finding.input}
    original = compile_spec(ORDER, SOURCE)
    compiled = original.model_copy(update={"tables": tables})
    output, failed = _run(compiled, data)
    assert output["decision"] == "hold" and output["needs_review"] is False
    assert failed == ["Held orders always go to a person"]


def test_a_gap_fails_compile_with_the_input_no_row_matches() -> None:
    edited = ORDER.replace(CATCH_ALL, "")
    assert _errors(edited)[0] == (
        f"{SOURCE}:43:4: error: Decision: decision has a gap: no row matches "
        'payment_status=authorized, item_count=1, shipping_country="XX", fraud_score=0, '
        "address_verified=yes, order_total=999.99: add a row for it (or a last row of - cells "
        "for everything else)"
    )


def test_a_guardrail_the_tables_break_on_every_path_fails_compile() -> None:
    # a declined payment now gives reason "ok": "A refused order always says why" breaks
    edited = ORDER.replace(
        '| "declined"     | -          | -                      | -           | -                | -           | -           | payment_declined   |',
        '| "declined"     | -          | -                      | -           | -                | -           | -           | ok                 |',
    )
    errors = _errors(edited)
    assert errors[0] == (
        f'{SOURCE}:47:1: error: the tables can break guardrail "A refused order always says why" '
        "(line 88): payment_status=declined gives decision=reject, reason_code=ok "
        "(Decision: decision row 1; Decision: reason_code row 1)"
    )


def test_diagnostics_are_byte_stable() -> None:
    edited = ORDER.replace(HOLD_ROW, HOLD_ROW.replace("> 1000 ", "> 500  "))
    assert _errors(edited) == _errors(edited)


def test_unused_rows_are_warnings_naming_the_rows() -> None:
    # a copy of row 5 under row 8 (the catch-all) can never be used
    shadowed = ORDER.replace(
        CATCH_ALL,
        CATCH_ALL + '| "pending"      | -          | -                      | -           | -                | -           | -           | reject   |\n',
    )
    compiled = compile_spec(shadowed, SOURCE)
    assert [(w.line, w.message) for w in compiled.warnings] == [
        (55, "Decision: decision, row 9 is never used: rows 2, 3, 4, 5 take every input it "
             "matches: the first matching row wins; remove it, or move it above them"),
    ]
    never = ORDER.replace(
        HOLD_ROW, HOLD_ROW.replace("> 1000 ", "< 0    ")  # order_total is >= 0
    ).replace("| yes         | > 1000      | large_first_order  |", "| yes         | < 0         | large_first_order  |"
    ).replace("| yes         | > 1000      | yes          |", "| yes         | < 0         | yes          |")
    messages = [w.message for w in compile_spec(never.split("## Examples")[0], SOURCE).warnings]
    assert messages == [
        f"Decision: {name}, row 7 can never match: no valid input passes all its cells (check "
        "them against the field's constraints and the other cells)"
        for name in ("decision", "reason_code", "needs_review")
    ]


def test_a_guardrail_outside_the_analysed_cel_is_named_in_a_warning() -> None:
    edited = ORDER.replace(
        "- A refused order always says why:",
        '- Codes are short: `size(output.reason_code) < 40`\n- A refused order always says why:',
    )
    warnings = compile_spec(edited, SOURCE).warnings
    assert [(w.line, w.col, w.message) for w in warnings] == [
        (88, 21, 'guardrail "Codes are short" is not checked exactly against the tables: the '
                 "analysis does not read the function size(); the generated tests still check it "
                 "on samples")
    ]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("<= 35,3", "'<= 35,3': '35,3' has a decimal comma: write 35.3 (with a decimal point); "
                    "to list two numbers, put a space after the comma (35, 3)"),
        ("> 750g", "'> 750g': '750g' has a unit after the number: write 750 (the unit belongs in "
                   "the field's description)"),
        ("> €500", "'> €500': write the amount without a currency sign (500): amounts are plain "
                   "numbers, the currency belongs in the field's description"),
        ("> 1,000", "'> 1,000': write numbers without a thousands separator (1000, not 1,000)"),
    ],
)
def test_numbers_written_as_in_prose_are_located_errors(cell: str, message: str) -> None:
    edited = ORDER.replace(HOLD_ROW, HOLD_ROW.replace("> 1000     ", cell.ljust(11)))
    assert f"{SOURCE}:53:105: error: Decision: decision, row 7, column order_total: {message}" in (
        _errors(edited)
    )


def test_a_currency_sign_on_a_plain_number_is_an_error() -> None:
    edited = ORDER.replace(
        "| -              | -          | -                      | >= 80       |",
        "| -              | -          | -                      | >= $80      |",
        1,
    )
    assert f"{SOURCE}:50:58: error: Decision: decision, row 4, column fraud_score: '>= $80' has a " \
           "currency sign, but the field is a whole number, not money: write 80" in _errors(edited)


def test_dates_texts_and_optional_fields_in_guardrails() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    import semantic_kit as k

    from specwright.compiler.analysis import analyse
    from specwright.compiler.guardrails import compile_guardrails
    from specwright.compiler.report import Reporter
    from specwright.compiler.tables import compile_tables

    inputs = (
        k.f("ship_on", "date"),
        k.f("at", "datetime"),
        k.f("country", "text", pattern="^[A-Za-z]{2}$"),
        k.f("note", "text", required=False),
    )
    outputs = (k.f("lane", "enum", values=("a", "b")),)
    table = k.table("lane", """
ship_on                | at                      | country     | note  | lane
< 2024-02-01           | -                       | "US", "CA"  | -     | a
-                      | > 2024-01-01T12:00:00Z  | -           | null  | a
-                      | -                       | -           | -     | b
""")
    guard = k.guard("b only abroad or with a note",
                    'output.lane != "b" || input.country != "US" || input.note != null')
    spec = k.spec(inputs, outputs, tables=(table,), guardrails=(guard,))
    report = Reporter(spec.source)
    tables, guardrails = compile_tables(spec, report), compile_guardrails(spec, report)
    assert report.count == 0, report.diagnostics
    (finding,) = analyse(spec, tables, guardrails)
    assert finding.message == (
        'the tables can break guardrail "b only abroad or with a note" (line 40): '
        'ship_on=2024-02-01, at=2024-01-01T11:59:59Z, country="US", note absent gives lane=b '
        "(Decision: lane row 3)"
    )
    values = to_cel_values(spec.inputs, finding.input)
    outcome = evaluate_table(tables[0], values, required=("lane",))
    (result,) = evaluate_guardrails(
        [g.compiled for g in guardrails], values, to_cel_values(spec.outputs, outcome.results))
    assert outcome.results == {"lane": "b"} and not result.passed


def test_a_table_too_large_to_analyse_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import specwright.compiler.coverage

    monkeypatch.setattr(specwright.compiler.coverage, "MAX_STATES", 3)
    messages = [(w.line, w.message) for w in compile_spec(ORDER, SOURCE).warnings]
    assert messages == [
        (line, f"Decision: {name} is too large to check for gaps and unused rows exactly (its "
               "rows match inputs in more than 3 different ways); the generated tests still "
               "sample it")
        for line, name in ((43, "decision"), (56, "reason_code"), (69, "needs_review"))
    ]
