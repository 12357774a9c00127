"""``specwright draft``, ``infer`` and ``suggest-tests`` on a temporary project."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from au_support import DATA, POLICY, access, broken_draft, good_draft, scripted
from click.testing import CliRunner, Result

from specwright.runtime.cli import author_cmd, main
from specwright.runtime.models.fake import ScriptedModel

ROOT = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: ScriptedModel | None,
        *args: str) -> Result:
    def fake_access(project: Path, ref: str | None) -> Any:
        return access(project, model) if model is not None else author_cmd_real(project, ref)

    author_cmd_real = author_cmd.model_access
    monkeypatch.setattr(author_cmd, "model_access", fake_access)
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_draft_writes_a_compiling_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(tmp_path, monkeypatch, scripted(broken_draft(), good_draft()),
                 "draft", str(POLICY), "--name", "return-request")
    assert result.exit_code == 0, result.output
    assert "round 1: 1 problem(s); asking for a repair (3 left)" in result.stderr
    assert result.stdout.startswith("wrote specs/return-request.md (it compiles; accepted on "
                                    "round 2)")
    assert (tmp_path / "specs/return-request.md").is_file()


def test_draft_that_never_compiles_exits_1_with_diagnostics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = run(tmp_path, monkeypatch, scripted(broken_draft(), broken_draft()),
                 "draft", str(POLICY), "--name", "return-request", "--rounds", "1")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[:2] == ["round 1: 1 problem(s); asking for a repair (1 left)",
                         "round 2: 1 problem(s)"]
    assert lines[2].startswith("specs/return-request.draft.md:70:53: error: guardrail")
    assert lines[-1] == ("error: the draft still has 1 problem(s) after 2 rounds; the best "
                         "attempt is in specs/return-request.draft.md for you to finish")
    assert not (tmp_path / "specs/return-request.md").exists()


def test_draft_without_a_model_says_how_to_configure_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = run(tmp_path, monkeypatch, None, "draft", str(POLICY), "--name", "return-request")
    assert result.exit_code == 1
    assert result.stderr == ("error: no model configured for drafting: pass --model "
                             "provider:model or set default_route in specwright.toml\n")


def test_draft_rejects_a_name_that_is_not_kebab_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = run(tmp_path, monkeypatch, scripted(), "draft", str(POLICY), "--name", "Returns_Policy")
    assert result.exit_code == 2 and '"returns-policy"' in result.stderr


def test_infer_and_suggest_tests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "specs").mkdir()
    shutil.copy(DATA / "listing-photos.md", tmp_path / "specs")
    fields = [{"name": "listing_id", "type": "text", "constraints": "", "description": "Number"},
              {"name": "title", "type": "text", "constraints": "", "description": "Title"},
              {"name": "photo_count", "type": "integer", "constraints": ">= 0",
               "description": "Photos"}]
    result = run(tmp_path, monkeypatch, scripted({"input": fields, "output": []}),
                 "infer", "listing-photos")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("rewrote specs/listing-photos.md")
    again = run(tmp_path, monkeypatch, scripted(), "infer", "specs/listing-photos.md")
    assert "nothing to do" in again.stdout
    two = {"title": "Two photos", "covers": "row 2", "rules": [1],
           "input": {"listing_id": "L-2", "title": "Mug", "photo_count": 2},
           "output": {"can_publish": True}}
    result = run(tmp_path, monkeypatch, scripted({"examples": [two]}),
                 "suggest-tests", "listing-photos")
    assert result.exit_code == 0, result.output
    before, after = result.stdout.split("wrote 1 suggested example(s)")
    assert "  -- Decision: can_publish row 2 (line 38): any input -> can_publish=yes  " \
           "[NOT covered]" in before
    assert "  ok Decision: can_publish row 2 (line 38): any input -> can_publish=yes  " \
           '[by "Suggested: Two photos (rule 1)"]' in after
    assert 'appended "Suggested: Two photos (rule 1)"' in result.stdout
    assert "rules: 1 of 1 covered" in result.stdout


def test_suggest_tests_on_a_spec_that_does_not_compile_prints_its_diagnostics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "specs").mkdir()
    shutil.copy(DATA / "listing-photos.md", tmp_path / "specs")
    result = run(tmp_path, monkeypatch, scripted(), "suggest-tests", "listing-photos")
    assert result.exit_code == 1
    assert result.stderr.startswith("specs/listing-photos.md:11:")
