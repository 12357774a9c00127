"""Suggested examples: the schema the model answers, and validation before appending."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from specwright.compiler import compile_spec
from specwright.compiler.authoring.suggest import (
    SUGGESTED_NOTE,
    SuggestedExample,
    accept,
    suggestion_schema,
)
from specwright.runtime.models.lowering import lower, unsupported

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "specs/returns-evaluation.md"
TEXT = (ROOT / SOURCE).read_text(encoding="utf-8")
COMPILED = compile_spec(TEXT, SOURCE)
LATE = {"return_id": "R-9", "order_total": 20.0, "item_price": 20.0, "days_since_delivery": 75,
        "reason": "changed_mind", "item_condition": "unopened"}


def suggestion(title: str = "Too late", output: dict[str, Any] | None = None,
               **kw: Any) -> SuggestedExample:
    return SuggestedExample(
        title=title, covers="Decision: outcome, refund_amount row 3", input=kw.pop("input", LATE),
        output={"outcome": "reject"} if output is None else output, **kw)


def test_the_schema_embeds_the_spec_input_and_a_partial_output() -> None:
    schema = suggestion_schema(COMPILED)
    item = schema["properties"]["examples"]["items"]
    assert item["properties"]["input"]["required"] == [
        "return_id", "order_total", "item_price", "days_since_delivery", "reason", "item_condition"]
    assert item["properties"]["output"]["required"] == []
    assert unsupported(schema, "openai") == []
    lowered = lower(schema, "openai").schema
    out = lowered["properties"]["examples"]["items"]["properties"]["output"]
    assert out["properties"]["outcome"]["type"] == ["string", "null"]  # optional: nullable


def test_a_valid_suggestion_is_appended_as_suggested_and_compiles() -> None:
    text, accepted, rejected = accept(TEXT, SOURCE, [suggestion(rules=[3])], COMPILED)
    assert rejected == [] and [a.title for a in accepted] == ["Suggested: Too late (rule 3)"]
    assert text.startswith(TEXT.rstrip("\n"))
    tail = text[len(TEXT.rstrip("\n")):]
    assert tail.startswith("\n\n### Suggested: Too late (rule 3)\n\n" + SUGGESTED_NOTE +
                           "\nMeant to cover: Decision: outcome, refund_amount row 3\n\n```json\n")
    again = compile_spec(text, SOURCE)
    assert again.spec.examples[-1].output == {"outcome": "reject"}


def test_invalid_suggestions_are_dropped_with_the_compiler_reason() -> None:
    bad_table = suggestion("Wrong outcome", {"outcome": "approve"})
    bad_input = suggestion("Bad input", input={**LATE, "reason": "broken"})
    empty = suggestion("Says nothing", {})
    no_rule = suggestion("No such rule", rules=[9])
    good = suggestion()
    text, accepted, rejected = accept(TEXT, SOURCE, [bad_table, bad_input, empty, no_rule, good],
                                      COMPILED)
    assert [a.title for a in accepted] == ["Suggested: Too late"]
    reasons = {r.title: r.reasons for r in rejected}
    assert reasons["Suggested: Wrong outcome"] == (
        "example 'Suggested: Wrong outcome' expects outcome=approve; Decision: outcome, "
        "refund_amount row 3 "
        "gives reject",)
    assert "input.reason" in reasons["Suggested: Bad input"][0]
    assert reasons["Suggested: Says nothing"] == (
        "its output names no field, so it would check nothing",)
    assert reasons["Suggested: No such rule (rule 9)"] == ("the spec has no rule 9",)
    assert text.count("### Suggested:") == 1


def test_titles_stay_unique() -> None:
    twice = [suggestion("Final sale"), suggestion("Final sale")]
    text, accepted, _ = accept(TEXT, SOURCE, twice, COMPILED)
    assert [a.title for a in accepted] == ["Suggested: Final sale", "Suggested: Final sale 2"]
    assert len(compile_spec(text, SOURCE).spec.examples) == 6
