"""The behavioural diff: rows changed cell by cell, guardrails and rules, and the input regions
decided differently, whose example inputs reproduce with the runtime's evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from specwright.compiler import compile_spec
from specwright.compiler.evaluate import evaluate_table, to_cel_values
from specwright.compiler.ir import CompiledSpec
from specwright.compiler.rulediff import rule_changes, rule_changes_of

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "specs/order-validation.md"
# the three-table form of order-validation: one change shown in every table that repeats it
TEXT = (ROOT / "bench" / "fixtures" / "order-validation-three-tables.md").read_text().split(
    "## Examples"
)[0]
RISKY = ("| -              | -          | -                      | >= 50       | -                | "
         "-           | -           | yes          |\n")
CATCH = ("| -              | -          | -                      | -           | -                | "
         "-           | -           | no           |\n")
BIG = ("| -              | -          | -                      | -           | -                | "
       "-           | > 2000      | yes          |\n")


def _edited() -> str:
    new = TEXT.replace('"CU", "IR", "KP", "SY"', '"CU", "IR", "KP"      ')
    assert RISKY in new and CATCH in new
    return new.replace(RISKY, "").replace(CATCH, BIG + CATCH).replace(
        "3. Everything else is accepted.", "3. Everything else is accepted, Syria included.")


def _decide(compiled: CompiledSpec, table: str, data: dict[str, Any]) -> dict[str, Any]:
    found = next(t for t in compiled.tables if t.name == table)
    values = to_cel_values(compiled.spec.inputs, {"order_id": "B-1", **data})
    return evaluate_table(found, values, required=("decision",)).results


def test_rows_rules_and_regions() -> None:
    old, new = compile_spec(TEXT, SOURCE), compile_spec(_edited(), SOURCE)
    changes = rule_changes(old, new)
    assert [c.message for c in changes[:5]] == [
        'Decision: decision, row 3: shipping_country "CU", "IR", "KP", "SY" → "CU", "IR", "KP"',
        'Decision: reason_code, row 3: shipping_country "CU", "IR", "KP", "SY" → "CU", "IR", "KP"',
        'Decision: needs_review, row 3: shipping_country "CU", "IR", "KP", "SY" → "CU", "IR", "KP"',
        "Decision: needs_review, row 8: fraud_score >= 50 → -; order_total - → > 2000",
        "rule 3: Everything else is accepted. → Everything else is accepted, Syria included.",
    ]
    regions = [c for c in changes if c.what == "decides differently"]
    assert regions[0].message == (
        "Decision: decision decides differently for item_count > 0, payment_status=pending, "
        'shipping_country="SY", fraud_score < 80: decision reject → hold'
    )
    assert {c.detail["table"] for c in regions} == {
        "Decision: decision", "Decision: reason_code", "Decision: needs_review"}
    for change in regions:  # every region's example is decided as the change says
        table, example = change.detail["table"], change.detail["example"]
        assert _decide(old, table, example) == change.detail["old"], change.message
        assert _decide(new, table, example) == change.detail["new"], change.message


def test_no_change_no_rule_change_and_unreadable_documents() -> None:
    old = compile_spec(TEXT, SOURCE)
    assert rule_changes(old, old) == []
    doc = old.model_dump(mode="json")
    assert rule_changes_of(doc, doc) == []
    (note,) = rule_changes_of({"spec": {}}, doc)
    assert note.what == "not analysed" and "another compiler version" in note.message


def test_three_tables_merged_into_one_decide_the_same_and_a_slip_is_found() -> None:
    """order-validation's three one-output tables became one three-output table: the diff proves
    every output is decided as before, and finds a threshold changed in the merged table."""
    old = compile_spec(TEXT, SOURCE)
    merged = (ROOT / "specs" / "order-validation.md").read_text().split("## Examples")[0]
    new = compile_spec(merged, SOURCE)
    name = "Decision: decision, reason_code, needs_review"
    changes = rule_changes(old, new)
    assert [c.message for c in changes if c.what == "decides the same"] == [
        f"{name} decides {field} as 'Decision: {field}' did, for every input"
        for field in ("decision", "reason_code", "needs_review")
    ]
    assert not [c for c in changes if c.what in ("decides differently", "not analysed")]
    slipped = compile_spec(merged.replace("| > 1000      |", "| > 500       |"), SOURCE)
    regions = [c for c in rule_changes(old, slipped) if c.what == "decides differently"]
    assert {c.detail["table"] for c in regions} == {name}
    assert {next(iter(c.detail["new"])) for c in regions} == {
        "decision", "reason_code", "needs_review"}
    for change in regions:
        example = change.detail["example"]
        assert _decide(slipped, name, example) | change.detail["new"] == _decide(
            slipped, name, example)
