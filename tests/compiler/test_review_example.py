"""A resolved review case appended to a spec's Examples: placed, cited, idempotent, checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from specwright.compiler import compile_spec
from specwright.compiler.authoring.review_example import append_review_example
from specwright.compiler.errors import SpecError

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "specs/order-validation.md"
TEXT = (ROOT / SOURCE).read_text(encoding="utf-8")
INPUT = {"order_id": "B-7", "order_total": 300, "item_count": 2, "payment_status": "authorized",
         "shipping_country": "DE", "address_verified": True, "fraud_score": 60,
         "first_order": False}
CONFIRMED = {"decision": "accept", "reason_code": "ok", "needs_review": True}


def add(text: str, output: dict[str, object], note: str = "looked fine") -> str:
    return append_review_example(text, case_id="01KBW4ZZZZZZZZZZZZZZZZZZZZ", reviewer="ana",
                                 revision=3, note=note, input=INPUT, output=output)


def test_a_confirmed_case_becomes_an_example_the_tables_pass() -> None:
    text = add(TEXT, CONFIRMED)
    assert text.startswith(TEXT.rstrip("\n"))
    assert "### Review 01KBW4ZZZZZZZZZZZZZZZZZZZZ" in text
    assert "resolved by ana: looked fine" in text and "(run 01KBW4ZZZZZZZZZZZZZZZZZZZZ, r3)" in text
    compiled = compile_spec(text, SOURCE)
    assert compiled.spec.examples[-1].title == "Review 01KBW4ZZZZZZZZZZZZZZZZZZZZ"
    assert compiled.spec.examples[-1].output == CONFIRMED
    assert add(text, CONFIRMED) == text  # once per case


def test_an_override_of_a_table_decision_fails_the_compile_at_the_example() -> None:
    text = add(TEXT, {**CONFIRMED, "decision": "hold", "reason_code": "high_fraud_risk"})
    with pytest.raises(SpecError) as info:
        compile_spec(text, SOURCE)
    line = text.split("\n").index("### Review 01KBW4ZZZZZZZZZZZZZZZZZZZZ") + 1
    assert any(d.line == line and "decision" in d.message for d in info.value.diagnostics)


def test_a_spec_without_examples_gets_the_section_and_later_sections_stay_after() -> None:
    head, _, _ = TEXT.partition("## Examples")
    text = add(head.rstrip("\n") + "\n", CONFIRMED)
    assert text.count("## Examples") == 1 and compile_spec(text, SOURCE).spec.examples
    with_after = TEXT + "\n## Notes\n\nSomething after the examples.\n"
    placed = add(with_after, CONFIRMED)
    assert placed.index("### Review") < placed.index("## Notes")
