"""``specwright run`` spends the same answer cache and budgets as a served run: a repeated line
is answered from the cache, and once a budget refuses a line the batch stops starting new ones
(every later line would be refused too); the refused line is not logged, so a resume runs it."""

from __future__ import annotations

import io
import json
from pathlib import Path

from cost_support import quote_project
from rt_support import ScriptedStandIn

from specwright.runtime.config import Settings
from specwright.runtime.engine.batch import run_batch

NOTE = {"note": "a fine quote"}


def _rows(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


async def test_a_bulk_run_uses_the_cache_and_stops_at_a_spent_budget(tmp_path: Path) -> None:
    root = quote_project(tmp_path / "p")  # answer cache: 1h
    src = root / "in.jsonl"
    src.write_text("".join(json.dumps({"amount": a}) + "\n" for a in (1, 1, 2, 3, 4, 5)))
    model = ScriptedStandIn([NOTE])  # 10 + 5 tokens a call
    tight = Settings(budgets={"specs": {"quote": {"tokens_per_day": 40}}})
    out = io.StringIO()
    first = await run_batch(tight, root, "quote", src, out, concurrency=1,
                            model_factory=lambda rev: model, resume=True)
    rows = _rows(out)
    assert [r["status"] for r in rows] == ["ok", "ok", "ok", "budget_exceeded"]
    assert rows[3]["run_id"] is None
    assert rows[3]["error"]["details"]["budget"] == "spec:quote"  # type: ignore[index]
    assert len(model.requests) == 2  # line 2 repeats line 1: answered from the cache
    assert first.stopped and first.exit_code == 1
    assert first.budget_spent is not None and "quote" in first.budget_spent
    assert first.total == 4  # lines 5 and 6 were never started
    out = io.StringIO()
    second = await run_batch(Settings(), root, "quote", src, out, concurrency=1,
                             model_factory=lambda rev: model, resume=True)
    assert [r["line"] for r in _rows(out)] == [4, 5, 6]  # the refused line runs again
    assert second.skipped == 3 and second.exit_code == 0
