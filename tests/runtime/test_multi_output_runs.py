"""Runs of a spec with a collect-sum table, an output-order table with two outputs and a computed
result (``tests/data/scorecard.md``): the answer, the rule trace (every row used, per table, in
the policy's order) and the remembered decisions, which computed results must not reuse."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from specwright.runtime.cli import main
from specwright.runtime.engine.catalog import LoadedRevision, load_catalog
from specwright.runtime.engine.pipeline import RunResult, execute
from specwright.runtime.models.mock import MockModel
from specwright.runtime.records import RunRecord

DATA = Path(__file__).resolve().parents[1] / "data"


class Keep:
    record: RunRecord | None = None

    async def write(self, run: RunRecord) -> None:
        self.record = run


def revision(tmp_path: Path) -> LoadedRevision:
    (tmp_path / "specs").mkdir()
    shutil.copy(DATA / "scorecard.md", tmp_path / "specs" / "scorecard.md")
    result = CliRunner().invoke(main, ["compile", "--project", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (found,) = load_catalog(tmp_path / "generated").routes().values()
    return found


def run(found: LoadedRevision, data: dict[str, Any]) -> tuple[RunResult, RunRecord]:
    keep = Keep()
    mock = MockModel.from_spec(found.compiled)  # never called: every output is table-decided
    result = asyncio.run(execute(found, data, model=lambda: mock, store=keep))
    assert keep.record is not None
    return result, keep.record


def test_every_policy_answers_and_traces_its_rows(tmp_path: Path) -> None:
    found = revision(tmp_path)
    assert found.compiled.rules_only
    data = {"age": 19, "income": 20000.10, "risk": "high", "dept_review": True, "years_client": 12}
    result, record = run(found, data)
    assert result.status_code == 200, result.body
    assert record.output == {
        "points": 35,
        "routing": ["decline", "refer", "refer", "accept"],
        "review_level": ["none", "level_2", "level_1", "none"],
        "bonus": 200.0,  # round(200.001, 2)
    }
    assert [(t["table"], t["rows"]) for t in record.rule_trace] == [
        ("Decision: points", [1, 2, 3]),
        ("Decision: routing, review_level", [2, 4, 3, 1]),  # output order
        ("Decision: bonus", [1]),
    ]
    assert [t["row_lines"] for t in record.rule_trace][1] == [46, 48, 47, 45]


def test_a_computed_result_is_computed_on_every_run(tmp_path: Path) -> None:
    found = revision(tmp_path)
    base = {"age": 40, "risk": "low", "years_client": 20}
    # the same rows match both inputs: a remembered decision would repeat the first bonus
    first, _ = run(found, {**base, "income": 1000})
    second, _ = run(found, {**base, "income": 1234.56})
    assert (first.body["bonus"], second.body["bonus"]) == (10.0, 12.35)  # 12.3456 half up
    capped, _ = run(found, {**base, "income": 10_000_000})
    assert capped.body["bonus"] == 500.0
