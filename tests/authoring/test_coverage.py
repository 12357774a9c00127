"""Coverage: which rows, guardrails and rules a spec's examples exercise."""

from __future__ import annotations

from pathlib import Path

from specwright.compiler import compile_spec
from specwright.compiler.authoring.coverage import coverage, format_coverage, rules_named
from specwright.compiler.ir import CompiledSpec

ROOT = Path(__file__).resolve().parents[2]


def compiled(name: str, text: str | None = None) -> CompiledSpec:
    source = f"specs/{name}.md"
    return compile_spec(text or (ROOT / source).read_text(encoding="utf-8"), source)


def test_table_rows_are_covered_by_the_examples_whose_input_selects_them() -> None:
    cov = coverage(compiled("returns-evaluation"))
    by_name = {item.name: item for item in cov.rows}
    table = "Decision: outcome, refund_amount"
    assert by_name[f"{table} row 2"].examples == ("Final sale",)
    assert by_name[f"{table} row 4"].examples == ("Frequent returner",)
    uncovered = [i.name for i in cov.rows if not i.covered]
    assert uncovered == [f"{table} row {n}" for n in (1, 3, 6, 7, 8)]
    assert by_name[f"{table} row 3"].detail == (
        "days_since_delivery > 60 -> outcome=reject, refund_amount=0")
    assert by_name[f"{table} row 3"].line == 58
    assert by_name[f"{table} row 6"].detail.endswith(
        "-> outcome=approve, refund_amount = min(round(input.item_price * 0.85, 2), "
        "input.order_total)")


def test_a_guardrail_is_covered_when_an_example_output_names_what_it_reads() -> None:
    cov = coverage(compiled("returns-evaluation"))
    refund = cov.guardrails[0]
    # refund_amount is decided by the table: every example exercises the check
    assert refund.examples == (
        "Damaged on arrival", "Changed mind after six weeks", "Final sale", "Frequent returner")


def test_rules_count_only_when_an_example_title_names_them() -> None:
    assert rules_named("Opened item (rule 2)") == {2}
    assert rules_named("Rules 1, 3 and 4: mixed") == {1, 3, 4}
    assert rules_named("A ruler of 2 metres") == set()
    path = ROOT / "specs/carrier-selection.md"
    text = path.read_text(encoding="utf-8").replace("### Hazmat abroad", "### Hazmat abroad (rule 1)")
    cov = coverage(compiled("carrier-selection", text))
    assert [r.examples for r in cov.rules][:2] == [("Hazmat abroad (rule 1)",), ()]
    assert all(not r.checkable for r in cov.rules)


def test_gaps_list_what_is_not_covered_rows_first() -> None:
    gaps = coverage(compiled("carrier-selection")).gaps
    assert [g.name for g in gaps] == [
        "Decision: service row 1", "Decision: service row 2",
        "rule 1", "rule 2", "rule 3", "rule 4", "rule 5",
    ]


def test_the_report_says_what_each_kind_of_coverage_means() -> None:
    report = format_coverage(coverage(compiled("returns-evaluation")))
    assert report.splitlines()[0] == "coverage of specs/returns-evaluation.md (4 examples)"
    assert "decision table rows: 6 of 11 covered (an example's input makes the row decide)" in report
    assert "  -- Decision: outcome, refund_amount row 3 (line 58): days_since_delivery > 60 -> " \
           "outcome=reject, refund_amount=0  [NOT covered]" in report
    assert "rules: 0 of 4 covered (not machine-checkable" in report


def test_a_rules_only_spec_with_no_examples_has_every_row_uncovered() -> None:
    text = (ROOT / "specs/order-validation.md").read_text(encoding="utf-8")
    head = text.split("## Examples")[0]
    cov = coverage(compiled("order-validation", head))
    assert cov.example_count == 0 and cov.rows and not any(i.covered for i in cov.rows)
