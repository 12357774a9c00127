"""Revision numbering and contract majors (pure planning)."""

from __future__ import annotations

import json
from typing import Any

from specwright.compiler.artifacts import INPUT_SCHEMA, OUTPUT_SCHEMA
from specwright.compiler.ir import CompiledSpec
from specwright.compiler.revisions import PreviousRevision, RevisionPlan, plan_revision


def previous(plan: RevisionPlan) -> PreviousRevision:
    return PreviousRevision(
        revision=plan.revision, contract_major=plan.contract_major,
        content_sha256=plan.content_sha256,
        input_schema=json.loads(plan.content[INPUT_SCHEMA]),
        output_schema=json.loads(plan.content[OUTPUT_SCHEMA]),
    )


def spec(build: Any, maximum: int = 70, extra: tuple[Any, ...] = (),
         description: str = "Decide.") -> CompiledSpec:
    inputs = (build.field("weight", "number", maximum=maximum), *extra)
    return build.compiled(inputs=inputs, description=description)  # type: ignore[no-any-return]


def test_first_revision(build: Any) -> None:
    plan = plan_revision(spec(build), "text", None)
    assert (plan.revision, plan.contract_major, plan.created, plan.previous_revision) == (
        1, 1, True, None)
    assert plan.changes == () and "manifest.json" in plan.files
    assert json.loads(plan.files["manifest.json"])["revision"] == 1


def test_same_content_is_not_a_new_revision(build: Any) -> None:
    first = plan_revision(spec(build), "text", None)
    again = plan_revision(spec(build), "text edited in a comment", previous(first))
    assert not again.created and again.files == {}
    assert (again.revision, again.contract_major) == (1, 1)
    assert again.content == first.content


def test_compatible_change_keeps_the_major(build: Any) -> None:
    first = plan_revision(spec(build), "t1", None)
    extra = (build.field("note", "text", required=False),)
    second = plan_revision(spec(build, extra=extra), "t2", previous(first))
    assert (second.revision, second.contract_major, second.created) == (2, 1, True)
    assert [c.kind for c in second.changes] == ["compatible"]
    m = json.loads(second.files["manifest.json"])
    assert m["previous_revision"] == 1 and m["changes"][0]["path"] == "input.note"
    assert b"DemoInputV1" in second.files[INPUT_SCHEMA]


def test_breaking_change_bumps_the_major(build: Any) -> None:
    first = plan_revision(spec(build), "t1", None)
    second = plan_revision(spec(build, maximum=50), "t2", previous(first))
    assert (second.revision, second.contract_major) == (2, 2) and second.breaking
    assert [c.message for c in second.changes] == [
        "input.weight: maximum 70 → 50 (narrowed input constraint: breaking)"]
    assert b'"DemoInputV2"' in second.files[INPUT_SCHEMA]
    assert b'title="DemoOutputV2"' in second.files["models.py"]
    # unchanged again after the bump: same content hash at the new major
    third = plan_revision(spec(build, maximum=50), "t2", previous(second))
    assert not third.created and third.revision == 2 and third.contract_major == 2


def test_behaviour_only_change_is_a_new_revision_without_contract_change(build: Any) -> None:
    first = plan_revision(spec(build), "t1", None)
    second = plan_revision(spec(build, description="Decide better."), "t2", previous(first))
    assert (second.revision, second.contract_major, second.changes) == (2, 1, ())
    assert second.content["prompt.j2"] != first.content["prompt.j2"]
    assert second.content[INPUT_SCHEMA] == first.content[INPUT_SCHEMA]


def test_major_counts_from_the_latest(build: Any) -> None:
    first = plan_revision(spec(build), "t1", None)
    second = plan_revision(spec(build, maximum=50), "t2", previous(first))
    third = plan_revision(spec(build, maximum=40), "t3", previous(second))
    assert (third.revision, third.contract_major, third.previous_revision) == (3, 3, 2)
