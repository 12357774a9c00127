"""Drafts with the newer table forms: one table deciding several outputs (``more_outputs``,
``more_results``) and the DMN hit policies (``collect sum``, ``priority``, ...), rendered to a
spec that compiles, through ``specwright draft`` with the scripted fake model; and the
problems they can have, caught by the schema or located by the compiler for a repair."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from au_support import POLICY, access, good_draft, scripted
from pydantic import ValidationError

from specwright.compiler import compile_spec
from specwright.compiler.authoring.draft_model import DraftSpec, draft_schema, validation_problems
from specwright.compiler.authoring.render import render_spec
from specwright.compiler.errors import SpecError
from specwright.compiler.evaluate import evaluate_table, to_cel_values
from specwright.runtime.authoring.commands import draft

COLUMNS = ["final_sale", "reason", "days_since_delivery", "returns_last_90_days"]
ROWS = [  # conditions, outcome, label_paid_by
    (["yes", '"damaged", "wrong_item"', "-", "-"], "approve", "merchant"),
    (["yes", "-", "-", "-"], "decline", "customer"),
    (["-", "-", "> 60", "-"], "decline", "customer"),
    (["-", "-", "-", ">= 5"], "refer", "customer"),
    (["-", '"damaged", "wrong_item"', "<= 30", "-"], "approve", "merchant"),
    (["-", "-", "<= 30", "-"], "approve", "customer"),
    (["-", '"damaged", "wrong_item"', "-", "-"], "refer", "merchant"),
    (["-", "-", "-", "-"], "refer", "customer"),
]


def multi_draft() -> dict[str, Any]:
    """The good draft with its two tables as one (outcome and label_paid_by), and a scorecard
    adding up risk points (collect sum)."""
    data = copy.deepcopy(good_draft())
    cite = {"source_line": 5, "source_quote": "Customers may return an item within 30 days of delivery."}
    data["tables"] = [
        {"output_field": "outcome", "more_outputs": ["label_paid_by"], "hit_policy": "first",
         "input_columns": COLUMNS,
         "rows": [{"conditions": c, "result": o, "more_results": [label], **cite}
                  for c, o, label in ROWS]},
        {"output_field": "risk_points", "hit_policy": "collect sum",
         "input_columns": ["returns_last_90_days", "final_sale"],
         "rows": [{"conditions": [">= 5", "-"], "result": "2", **cite},
                  {"conditions": ["-", "yes"], "result": "1", **cite}]},
    ]
    data["outputs"].append({"name": "risk_points", "type": "integer", "constraints": "default 0",
                            "description": "Points for the care team"})
    return data


def test_one_table_for_two_outputs_and_a_scorecard_render_and_compile() -> None:
    markdown = render_spec(DraftSpec.model_validate(multi_draft()), "return-request")
    assert "## Decision: outcome, label_paid_by\n" in markdown
    assert "## Decision: risk_points (collect sum)\n" in markdown
    assert "| -          | \"damaged\", \"wrong_item\" | <= 30               | -                    | approve | merchant      |" in markdown
    compiled = compile_spec(markdown, "specs/return-request.md")
    first, scorecard = compiled.tables
    assert first.outputs == ("outcome", "label_paid_by") and len(first.rows) == len(ROWS)
    assert scorecard.hit_policy == "collect" and scorecard.aggregation == "sum"
    assert set(compiled.table_decided) == {"outcome", "label_paid_by", "risk_points"}
    values = to_cel_values(compiled.spec.inputs, {
        "item_price": 40.0, "days_since_delivery": 75, "reason": "damaged",
        "item_condition": "opened", "final_sale": True, "returns_last_90_days": 6})
    assert evaluate_table(first, values).results == {"outcome": "approve",
                                                     "label_paid_by": "merchant"}
    assert evaluate_table(scorecard, values).results == {"risk_points": 3}


@pytest.mark.parametrize("policy", ["priority", "rule order", "output order", "collect count"])
def test_every_dmn_hit_policy_is_offered_and_rendered(policy: str) -> None:
    enum = draft_schema()["$defs"]["DraftTable"]["properties"]["hit_policy"]["enum"]
    assert policy in enum and "collect sum" in enum
    data = multi_draft()
    data["tables"][1]["hit_policy"] = policy
    assert f"## Decision: risk_points ({policy})" in render_spec(
        DraftSpec.model_validate(data), "return-request")


def test_a_hit_policy_dmn_does_not_define_is_refused_by_the_schema() -> None:
    data = multi_draft()
    data["tables"][1]["hit_policy"] = "collect average"
    with pytest.raises(ValidationError) as caught:
        DraftSpec.model_validate(data)
    (problem,) = validation_problems(caught.value)
    assert problem.startswith("tables.1.hit_policy: Input should be 'first', 'unique'")


def test_a_row_missing_a_result_is_located_by_the_compiler_for_the_repair() -> None:
    data = multi_draft()
    data["tables"][0]["rows"][2]["more_results"] = []
    markdown = render_spec(DraftSpec.model_validate(data), "return-request")
    with pytest.raises(SpecError) as caught:
        compile_spec(markdown, "specs/return-request.md")
    (diagnostic,) = [d for d in caught.value.diagnostics if d.severity == "error"]
    assert diagnostic.message == "row 3 has 5 cells but the table has 6 columns"
    assert markdown.split("\n")[diagnostic.line - 1].startswith("| -          | -  ")


def test_a_second_output_of_the_wrong_kind_is_reported_at_its_cell() -> None:
    data = multi_draft()
    data["tables"][0]["rows"][0]["more_results"] = ["nobody"]
    markdown = render_spec(DraftSpec.model_validate(data), "return-request")
    with pytest.raises(SpecError) as caught:
        compile_spec(markdown, "specs/return-request.md")
    errors = [str(d) for d in caught.value.diagnostics if d.severity == "error"]
    assert any("label_paid_by" in e and "nobody" in e for e in errors), errors


async def test_specwright_draft_writes_the_multi_output_spec(tmp_path: Path) -> None:
    model = scripted(multi_draft())
    outcome = await draft(access(tmp_path, model), POLICY, "return-request")
    assert outcome.ok and outcome.rounds == 1
    (request,) = model.requests
    assert "more_outputs" in request.messages[0].content
    assert "more_outputs" in str(request.output_schema)
    written = (tmp_path / "specs/return-request.md").read_text(encoding="utf-8")
    compiled = compile_spec(written, "specs/return-request.md")
    assert compiled.tables[0].outputs == ("outcome", "label_paid_by")
