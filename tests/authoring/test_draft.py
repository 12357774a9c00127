"""``specwright.runtime.authoring.commands.draft`` with the scripted fake model: rounds, repairs, the log."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from au_support import GOLDEN, POLICY, access, broken_draft, good_draft, logged_runs, scripted

from specwright.compiler import compile_spec
from specwright.runtime.authoring.commands import draft
from specwright.runtime.authoring.session import ModelNotConfigured
from specwright.runtime.errors import AuthoringError
from specwright.runtime.models.fake import server_error


async def test_a_draft_that_compiles_on_the_first_answer_is_written(tmp_path: Path) -> None:
    model = scripted(good_draft())
    outcome = await draft(access(tmp_path, model), POLICY, "return-request")
    target = tmp_path / "specs/return-request.md"
    assert outcome.ok and outcome.written == target and outcome.rounds == 1
    assert target.read_text(encoding="utf-8") == GOLDEN.read_text(encoding="utf-8")
    assert not (tmp_path / "specs/return-request.draft.md").exists()
    (request,) = model.requests
    assert request.schema_name == "specwright_draft" and request.spec == "draft:return-request"
    assert "Cite the policy for every rule" in request.messages[0].content
    assert " 6| A return requested more than 60 days" in request.messages[1].content
    assert request.output_schema["title"] == "DraftSpec"
    (run,) = await logged_runs(tmp_path)
    assert (run.spec, run.status, run.revision, run.model) == (
        "draft:return-request", "ok", 0, "fake:scripted")
    assert run.input is not None and run.input["round"] == 1 and run.input["policy_lines"] == 16  # 16 lines, the last ending in a newline
    assert run.output == good_draft() and len(run.attempts) == 1


async def test_compile_errors_go_back_to_the_model_which_repairs_the_draft(tmp_path: Path) -> None:
    model = scripted(broken_draft(), good_draft())
    said: list[str] = []
    outcome = await draft(access(tmp_path, model), POLICY, "return-request", progress=said.append)
    assert outcome.ok and outcome.rounds == 2
    compile_spec((tmp_path / "specs/return-request.md").read_text(encoding="utf-8"),
                 "specs/return-request.md")
    repair = model.requests[1].messages
    assert [m.role for m in repair] == ["system", "user", "assistant", "user"]
    assert '"output.refund <= input.item_price"' in repair[2].content
    feedback = repair[3].content
    assert "- specs/return-request.draft.md:70:53: error: guardrail 'The refund is never above the " \
           "item price': output.refund is not an Output field" in feedback
    assert '70| - The refund is never above the item price: `output.refund' in feedback
    assert said == ["round 1: 1 problem(s); asking for a repair (3 left)"]
    runs = await logged_runs(tmp_path, "draft:return-request")
    assert [r.status for r in runs] == ["model_error", "ok"]
    assert runs[0].error is not None and runs[0].error["type"] == "output_invalid"
    # the log names the file an answer with problems is written to, as the CLI does
    assert runs[0].error["details"][0].startswith("specs/return-request.draft.md:70:53: error:")


async def test_a_model_that_never_repairs_fails_cleanly_and_keeps_the_best_draft(
    tmp_path: Path,
) -> None:
    worse = copy.deepcopy(broken_draft())
    worse["tables"][0]["input_columns"][0] = "final_sales"
    model = scripted(worse, broken_draft(), broken_draft())
    outcome = await draft(access(tmp_path, model), POLICY, "return-request", repairs=2)
    spare = tmp_path / "specs/return-request.draft.md"
    assert not outcome.ok and outcome.written == spare and outcome.rounds == 3
    assert not (tmp_path / "specs/return-request.md").exists()
    assert model.remaining == 0 and len(model.requests) == 3
    (problem,) = outcome.problems  # the best (fewest problems) of the three answers
    assert problem.startswith("specs/return-request.draft.md:70:53: error: guardrail")
    line = spare.read_text(encoding="utf-8").split("\n")[69]
    assert line.startswith("- The refund is never above the item price: `output.refund <=")
    runs = await logged_runs(tmp_path)
    assert [r.status for r in runs] == ["model_error"] * 3


async def test_a_quote_not_in_the_policy_is_sent_back_like_a_compile_error(tmp_path: Path) -> None:
    invented = good_draft()
    invented["rules"][0]["source_quote"] = "Opened items are refunded at half price."
    model = scripted(invented, good_draft())
    outcome = await draft(access(tmp_path, model), POLICY, "return-request")
    assert outcome.ok and outcome.rounds == 2
    assert "- rule 1 quotes \"Opened items are refunded at half price.\", which is not in " \
           "the policy" in model.requests[1].messages[-1].content


async def test_an_answer_that_is_not_a_draft_is_repaired_by_the_router(tmp_path: Path) -> None:
    model = scripted({"title": "Returns"}, good_draft())
    outcome = await draft(access(tmp_path, model), POLICY, "return-request")
    assert outcome.ok and outcome.rounds == 1
    assert "purpose: Field required" in model.requests[1].messages[-1].content
    (run,) = await logged_runs(tmp_path)
    assert [a.purpose for a in run.attempts] == ["call", "repair"]


async def test_transport_retries_are_the_router_s_and_are_logged(tmp_path: Path) -> None:
    model = scripted(server_error(503), good_draft())
    outcome = await draft(access(tmp_path, model), POLICY, "return-request")
    assert outcome.ok
    (run,) = await logged_runs(tmp_path)
    assert [(a.purpose, a.status) for a in run.attempts] == [("call", "error"), ("retry", "ok")]


async def test_a_route_that_fails_before_any_draft_fails_with_its_message(tmp_path: Path) -> None:
    model = scripted(*[server_error(500)] * 4)
    outcome = await draft(access(tmp_path, model), POLICY, "return-request")
    assert not outcome.ok and outcome.written is None
    assert outcome.failure is not None and "every model of the route failed" in outcome.failure
    (run,) = await logged_runs(tmp_path)
    assert run.status == "model_error" and len(run.attempts) >= 2
    assert {a.status for a in run.attempts} == {"error"}


async def test_no_model_configured_fails_with_the_fix_and_calls_nothing(tmp_path: Path) -> None:
    with pytest.raises(ModelNotConfigured) as info:
        await draft(access(tmp_path), POLICY, "return-request")
    assert info.value.message == (
        "no model configured for drafting: pass --model provider:model or set default_route "
        "in specwright.toml")
    assert not (tmp_path / ".specwright").exists()


async def test_the_default_route_is_used_when_no_model_is_given(tmp_path: Path) -> None:
    model = scripted(good_draft())
    project = access(tmp_path, model, ref=None,
                     settings={"default_route": {"models": ["fake:scripted"]}})
    assert (await draft(project, POLICY, "return-request")).ok


async def test_a_missing_key_is_a_clear_failure(tmp_path: Path) -> None:
    project = access(tmp_path, ref="openai:gpt-4.1-mini", env={})
    outcome = await draft(project, POLICY, "return-request")
    assert outcome.failure == "no key for openai: set OPENAI_API_KEY or route this spec to " \
                              "another model"
    (run,) = await logged_runs(tmp_path)
    assert run.status == "model_not_configured"


async def test_an_existing_spec_is_not_replaced_without_force(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs/return-request.md").write_text("mine", encoding="utf-8")
    with pytest.raises(AuthoringError, match="already exists: pass --force"):
        await draft(access(tmp_path, scripted()), POLICY, "return-request")
    outcome = await draft(access(tmp_path, scripted(good_draft())), POLICY, "return-request",
                          force=True)
    assert outcome.ok
