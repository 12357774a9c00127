"""``infer`` and ``suggest_tests`` with the scripted fake model."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from au_support import DATA, access, logged_runs, scripted

from specwright.compiler import compile_spec
from specwright.compiler.errors import SpecError
from specwright.runtime.authoring.commands import infer, suggest_tests

ROOT = Path(__file__).resolve().parents[2]
FIELDS = [
    {"name": "listing_id", "type": "text", "constraints": "1..40 characters",
     "description": "Listing number"},
    {"name": "title", "type": "text", "constraints": "max 200 characters",
     "description": "Title as the seller wrote it"},
    {"name": "photo_count", "type": "integer", "constraints": ">= 0",
     "description": "Photos attached"},
]


def project(tmp_path: Path, spec: Path) -> Path:
    (tmp_path / "specs").mkdir()
    return Path(shutil.copy(spec, tmp_path / "specs" / spec.name))


async def test_infer_rewrites_a_prose_input_as_a_table(tmp_path: Path) -> None:
    path = project(tmp_path, DATA / "listing-photos.md")
    original = path.read_text(encoding="utf-8")
    model = scripted({"input": FIELDS, "output": []})
    outcome = await infer(access(tmp_path, model), path)
    assert outcome.ok and outcome.written == path
    text = path.read_text(encoding="utf-8")
    assert text.split("## Output")[1] == original.split("## Output")[1]
    assert "many photos the seller attached.\n\n| field       | type    |" in text
    compiled = compile_spec(text, "specs/listing-photos.md")
    assert [f.name for f in compiled.spec.inputs] == ["listing_id", "title", "photo_count"]
    (request,) = model.requests
    assert request.schema_name == "specwright_fields"
    assert "## Input is prose" in request.messages[1].content
    (run,) = await logged_runs(tmp_path, "infer:listing-photos")
    assert run.status == "ok" and run.input is not None and run.input["sections"] == ["Input"]


async def test_infer_repairs_then_gives_up_and_leaves_the_spec_alone(tmp_path: Path) -> None:
    path = project(tmp_path, DATA / "listing-photos.md")
    original = path.read_text(encoding="utf-8")
    wrong = {"input": [{**FIELDS[0]}, {**FIELDS[2], "name": "photos"}], "output": []}
    model = scripted(wrong, wrong)
    outcome = await infer(access(tmp_path, model), path, repairs=1)
    assert not outcome.ok and path.read_text(encoding="utf-8") == original
    spare = tmp_path / "specs/listing-photos.draft.md"
    assert outcome.written == spare and "| photos " in spare.read_text(encoding="utf-8")
    assert any("photo_count" in p for p in outcome.problems)
    assert all(p.startswith("specs/listing-photos.draft.md:") for p in outcome.problems)
    assert "photo_count" in model.requests[1].messages[-1].content


async def test_infer_with_nothing_in_prose_calls_no_model(tmp_path: Path) -> None:
    path = project(tmp_path, ROOT / "specs/carrier-selection.md")
    outcome = await infer(access(tmp_path, scripted()), path)
    assert outcome.ok and outcome.nothing_to_do and outcome.written is None


def late(**output: Any) -> dict[str, Any]:
    return {"title": "Too late", "covers": "Decision: outcome, refund_amount row 3", "rules": [],
            "input": {"return_id": "R-9", "order_total": 20.0, "item_price": 20.0,
                      "days_since_delivery": 75, "reason": "changed_mind",
                      "item_condition": "unopened"},
            "output": output}


async def test_suggest_tests_appends_valid_examples_and_drops_invalid_ones(tmp_path: Path) -> None:
    path = project(tmp_path, ROOT / "specs/returns-evaluation.md")
    original = path.read_text(encoding="utf-8")
    answer = {"examples": [late(outcome="reject"), {**late(outcome="approve"), "title": "Wrong"}]}
    model = scripted(answer)
    outcome = await suggest_tests(access(tmp_path, model), path)
    assert [a.title for a in outcome.accepted] == ["Suggested: Too late"]
    assert [r.title for r in outcome.rejected] == ["Suggested: Wrong"]
    text = path.read_text(encoding="utf-8")
    assert text.startswith(original.rstrip("\n")) and text.count("### Suggested") == 1
    assert outcome.after is not None
    row3 = next(
        i for i in outcome.after.rows if i.name == "Decision: outcome, refund_amount row 3")
    assert row3.examples == ("Suggested: Too late",)
    (request,) = model.requests
    assert "- Decision: outcome, refund_amount row 3 (spec line 58): days_since_delivery > 60" in \
        request.messages[1].content
    props = request.output_schema["properties"]["examples"]["items"]["properties"]
    assert "days_since_delivery" in props["input"]["properties"]
    (run,) = await logged_runs(tmp_path, "suggest-tests:returns-evaluation")
    assert run.status == "ok"


async def test_suggest_tests_with_only_invalid_suggestions_writes_nothing(tmp_path: Path) -> None:
    path = project(tmp_path, ROOT / "specs/returns-evaluation.md")
    original = path.read_text(encoding="utf-8")
    outcome = await suggest_tests(access(tmp_path, scripted({"examples": [late()]})), path)
    assert outcome.accepted == [] and outcome.after is None and outcome.written is None
    assert path.read_text(encoding="utf-8") == original
    (run,) = await logged_runs(tmp_path)
    assert run.status == "model_error" and run.error is not None
    assert "names no field" in run.error["details"][0]


async def test_suggest_tests_needs_a_spec_that_compiles(tmp_path: Path) -> None:
    path = project(tmp_path, DATA / "listing-photos.md")
    with pytest.raises(SpecError):
        await suggest_tests(access(tmp_path, scripted()), path)


async def test_nothing_uncovered_means_no_model_call(tmp_path: Path) -> None:
    path = project(tmp_path, ROOT / "specs/product-moderation.md")
    text = path.read_text(encoding="utf-8").split("## Rules")[0] + \
        "## Decision" + path.read_text(encoding="utf-8").split("## Decision")[1]
    path.write_text(text, encoding="utf-8")
    model = scripted()
    outcome = await suggest_tests(access(tmp_path, model), path)
    assert outcome.before.gaps == () and model.requests == []


async def test_a_spec_with_its_own_models_uses_its_own_route(tmp_path: Path) -> None:
    from specwright.runtime.authoring.session import ModelAccess
    from specwright.runtime.config import Settings
    from specwright.runtime.models.fake import no_sleep

    path = project(tmp_path, ROOT / "specs/carrier-selection.md")  # anthropic, then openai
    model = scripted({"examples": []})
    route_access = ModelAccess(settings=Settings(), root=tmp_path, env={}, sleep=no_sleep,
                               overrides={"anthropic:claude-haiku-4-5": model})
    outcome = await suggest_tests(route_access, path)
    assert len(model.requests) == 1 and outcome.accepted == []
    (run,) = await logged_runs(tmp_path)
    assert run.attempts[0].provider == "anthropic"


async def test_infer_without_any_model_names_the_fix(tmp_path: Path) -> None:
    from specwright.runtime.authoring.session import ModelNotConfigured

    path = project(tmp_path, DATA / "listing-photos.md")
    with pytest.raises(ModelNotConfigured, match="^no model configured for inferring fields: "
                                                "pass --model provider:model or set "):
        await infer(access(tmp_path), path)
