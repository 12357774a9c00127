"""Rendering a structured draft into spec markdown (golden), and checking its citations."""

from __future__ import annotations

import pytest
from au_support import GOLDEN, POLICY, good_draft

from specwright.compiler import compile_spec
from specwright.compiler.authoring.citations import Policy, check_citations
from specwright.compiler.authoring.draft_model import (
    DraftField,
    DraftObject,
    DraftSpec,
    draft_schema,
)
from specwright.compiler.authoring.render import render_spec, table_lines
from specwright.compiler.errors import SpecError


def test_golden_draft_renders_byte_for_byte_and_compiles() -> None:
    markdown = render_spec(DraftSpec.model_validate(good_draft()), "return-request",
                           policy="returns-policy.md")
    assert markdown == GOLDEN.read_text(encoding="utf-8")
    compiled = compile_spec(markdown, "specs/return-request.md")
    assert compiled.table_decided == ("outcome", "label_paid_by")
    assert compiled.model_decided == ("refund_amount",)
    assert [r.number for r in compiled.spec.rules] == [1, 2]
    assert len(compiled.guardrails) == 2 and len(compiled.spec.examples) == 1


def test_every_rule_row_guardrail_and_example_cites_its_policy_line() -> None:
    markdown = GOLDEN.read_text(encoding="utf-8")
    assert ('1. Refund opened or used items returned because the customer changed their mind at '
            '85% of the item price. (policy line 11: "Opened or used items returned') in markdown
    assert 'row 3: policy line 6: "A return requested more than 60 days' in markdown
    assert '<!-- policy line 10: "A refund is never more than' in markdown
    assert 'From policy line 15: "a $40 mug' in markdown
    # citations in comments never reach the prompt; the rule's citation does, as its reason
    compiled = compile_spec(markdown, "specs/return-request.md")
    assert "policy line 11" in compiled.spec.rules[0].text
    assert compiled.spec.guardrails[0].label == "The refund is never above the item price"


def test_rendering_is_deterministic() -> None:
    draft = DraftSpec.model_validate(good_draft())
    assert render_spec(draft, "x") == render_spec(DraftSpec.model_validate(good_draft()), "x")


def test_object_types_pipes_and_hit_policies_render_to_a_compiling_spec() -> None:
    data = good_draft()
    data["inputs"].append({"name": "items", "type": "list of line item",
                           "constraints": "optional", "description": "What was in the box"})
    data["objects"] = [{"name": "Line item", "fields": [
        {"name": "sku", "type": "text", "constraints": "pattern /^(A|B)-[0-9]+$/",
         "description": "Stock | keeping unit"},
        {"name": "quantity", "type": "integer", "constraints": ">= 1", "description": ""},
    ]}]
    data["tables"][1]["hit_policy"] = "unique"
    data["tables"][1]["rows"][1]["conditions"] = ['not("damaged", "wrong_item")']
    markdown = render_spec(DraftSpec.model_validate(data), "return-request")
    assert "## Line item" in markdown and "## Decision: label_paid_by (unique)" in markdown
    assert r"pattern /^(A\|B)-[0-9]+$/" in markdown and r"Stock \| keeping unit" in markdown
    compiled = compile_spec(markdown, "specs/return-request.md")
    items = next(f for f in compiled.spec.inputs if f.name == "items")
    assert items.type.items is not None and items.type.items.fields[0].type.pattern == "^(?:(A|B)-[0-9]+)$"


def test_an_unparseable_example_is_rendered_as_written_and_the_compiler_locates_it() -> None:
    data = good_draft()
    data["examples"][0]["input_json"] = '{"item_price": 40.0, "days_since_delivery": 5,'
    markdown = render_spec(DraftSpec.model_validate(data), "return-request")
    with pytest.raises(SpecError) as info:
        compile_spec(markdown, "specs/return-request.md")
    (diagnostic,) = info.value.diagnostics
    assert "not valid JSON" in diagnostic.message
    assert markdown.split("\n")[diagnostic.line - 1].startswith('{"input":')


def test_empty_condition_cells_mean_any_and_markdown_in_prose_cannot_open_a_section() -> None:
    data = good_draft()
    data["tables"][1]["rows"][1]["conditions"] = [""]
    data["purpose"] = "Decide returns.\n## Not a section\n---"
    markdown = render_spec(DraftSpec.model_validate(data), "return-request")
    assert "| -                       | customer      |" in markdown
    assert "\\## Not a section" in markdown and "\\---" in markdown
    compile_spec(markdown, "specs/return-request.md")


def test_table_lines_pad_columns() -> None:
    assert table_lines(["a", "long header"], [["x|y", "1"]]) == [
        "| a    | long header |", "|------|-------------|", r"| x\|y | 1           |"]


def test_the_draft_schema_is_closed_and_lowers_for_openai_strict_mode() -> None:
    from specwright.runtime.models.lowering import lower, unsupported

    schema = draft_schema()
    assert schema["additionalProperties"] is False
    assert unsupported(schema, "openai") == [] and unsupported(schema, "anthropic") == []
    lowered = lower(schema, "openai").schema
    assert set(lowered["required"]) == set(lowered["properties"])


# ----------------------------------------------------------------------------- citations


def test_quotes_match_across_case_punctuation_and_line_breaks_and_lines_are_corrected() -> None:
    policy = Policy(POLICY.read_text(encoding="utf-8"))
    assert policy.locate("customers may return an item within 30 days of delivery") == 5
    assert policy.locate("a $40 mug ... we pay for the label") == 15  # across a line break
    assert policy.locate("return label", near=9) == 9
    assert policy.locate("Refunds are issued in gift cards.") is None
    data = good_draft()
    data["rules"][0]["source_line"] = 2
    checked, problems = check_citations(DraftSpec.model_validate(data), policy)
    assert problems == [] and checked.rules[0].source_line == 11


def test_a_quote_the_policy_does_not_contain_is_a_problem() -> None:
    data = good_draft()
    data["rules"][1]["source_quote"] = "Refunds are issued within 3 days."
    data["guardrails"][0]["source_quote"] = ""
    _, problems = check_citations(DraftSpec.model_validate(data),
                                  Policy(POLICY.read_text(encoding="utf-8")))
    assert problems == [
        'rule 2 quotes "Refunds are issued within 3 days.", which is not in the policy: copy '
        "the sentence word for word (or cut words with ...)",
        'guardrail "The refund is never above the item price" has no source_quote: copy the '
        "policy sentence it comes from",
    ]


def test_fields_and_objects_have_defaults_for_hand_written_drafts() -> None:
    field = DraftField(name="sku", type="text")
    assert field.constraints == "" and DraftObject(name="Item", fields=[field]).fields == [field]


def test_a_policy_that_escalates_gets_a_review_condition_that_compiles() -> None:
    draft = good_draft()
    draft["review_when"] = 'output.outcome == "refer"'  # the policy refers some returns
    markdown = render_spec(DraftSpec.model_validate(draft), "return-request")
    assert 'review when: output.outcome == "refer"\n' in markdown.split("---")[1]
    compiled = compile_spec(markdown, "specs/return-request.md")
    assert compiled.review is not None and compiled.review.cel == 'output.outcome == "refer"'
    draft["review_when"] = '!(output.outcome == "approve")'  # YAML would read ! as a tag
    markdown = render_spec(DraftSpec.model_validate(draft), "return-request")
    assert compile_spec(markdown, "specs/return-request.md").review is not None
    plain = render_spec(DraftSpec.model_validate(good_draft()), "return-request")
    assert "review when" not in plain  # a policy that never escalates gets none
