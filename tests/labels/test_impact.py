"""Impact preview on a known edit: order-validation with ``> 1000`` changed to ``> 500``.

A batch of runs is logged through the real pipeline and SQLite log; the impact of the edit over
them must be exactly the runs of first orders with 500 < order_total <= 1000 that reach that
row, and nothing else. ``--max-changed`` gates CI by exit code; the same report over HTTP.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from labels_support import running

from specwright.runtime.cli import main
from specwright.runtime.config import Settings
from specwright.runtime.engine.catalog import load_catalog
from specwright.runtime.engine.pipeline import execute
from specwright.runtime.http.app import create_app
from specwright.runtime.logstore import open_store
from specwright.runtime.project.compile_all import compile_project

REPO = Path(__file__).resolve().parents[2]
# order-validation in its three-table form: the incident these tests replay happened in it
SPEC = REPO / "bench" / "fixtures" / "order-validation-three-tables.md"
SPEC_FILE = "order-validation.md"


def inputs(n: int) -> list[dict[str, Any]]:
    rnd = random.Random(7)
    out = []
    for i in range(n):
        clean = i % 5 != 0  # one in five is declined, pending, unverified or fraudulent
        out.append({
            "order_id": f"T-{i}",
            "order_total": rnd.choice([0, 400, 500, 500.01, 700, 999.99, 1000, 1000.01, 2500])
            if i % 3 else round(rnd.uniform(0, 1500), 2),
            "item_count": 1 + i % 4,
            "payment_status": "authorized" if clean else rnd.choice(
                ["declined", "pending", "authorized"]),
            "shipping_country": "US",
            "address_verified": clean or rnd.random() < 0.5,
            "fraud_score": 10 if clean else rnd.choice([10, 60, 90]),
            "first_order": rnd.random() < 0.6,
        })
    return out


def reaches_the_row(x: dict[str, Any]) -> bool:
    """The input reaches the first-order row (no earlier row of the tables matched)."""
    return (x["payment_status"] == "authorized" and x["item_count"] >= 1
            and x["fraud_score"] < 80 and x["address_verified"] and x["first_order"])


@pytest.fixture
def logged(tmp_path: Path, settings: Settings) -> tuple[Path, dict[str, dict[str, Any]]]:
    """A project with order-validation r1 and 300 runs of it logged; run id -> input."""
    root = tmp_path / "p"
    (root / "specs").mkdir(parents=True)
    shutil.copy(SPEC, root / "specs" / SPEC_FILE)
    assert compile_project(root, settings).ok
    revision = load_catalog(root / "generated").resolve("order-validation", 1)
    by_id: dict[str, dict[str, Any]] = {}

    async def log_runs() -> None:
        store = open_store(settings, root)
        await store.start()
        try:
            for x in inputs(300):
                result = await execute(revision, x, model=_no_model, store=store)
                by_id[result.run.id] = x
        finally:
            await store.close()

    asyncio.run(log_runs())
    return root, by_id


def _no_model() -> Any:
    raise AssertionError("a rules-only spec never builds a model")


def edit(root: Path, settings: Settings, *, tables: int) -> None:
    """Change ``> 1000`` to ``> 500`` in the first ``tables`` tables, and compile."""
    path = root / "specs" / SPEC_FILE
    text = path.read_text()
    path.write_text(text.replace("> 1000 ", "> 500  ", tables))
    assert compile_project(root, settings).ok


def impact(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(main, ["impact", "order-validation", "--from-log", "--json",
                                       *args, "--project", str(root)])
    return result.exit_code, json.loads(result.output)


def test_impact_of_a_known_edit_is_exact(logged: tuple[Path, dict[str, dict[str, Any]]],
                                         settings: Settings) -> None:
    root, by_id = logged
    edit(root, settings, tables=3)
    code, report = impact(root)
    assert code == 0
    expected = {rid for rid, x in by_id.items()
                if reaches_the_row(x) and 500 < x["order_total"] <= 1000}
    assert 10 < len(expected) < 200  # the batch covers both sides of both boundaries
    assert report["runs"] == 300 and report["candidate_revision"] == 2
    assert report["changed"] == len(expected)
    by_field = {(t["field"], t["before"], t["after"]): t for t in report["transitions"]}
    assert set(by_field) == {("decision", "accept", "hold"),
                             ("reason_code", "ok", "large_first_order"),
                             ("needs_review", "false", "true"),
                             ("status", "ok", "escalated")}  # review when: output.needs_review
    assert by_field[("decision", "accept", "hold")]["runs"] == len(expected)
    for t in report["transitions"]:
        assert set(t["run_ids"]) <= expected
        assert all(500 < x["order_total"] <= 1000 for x in t["examples"])
    assert report["not_replayed"] == []
    # the CI gate
    assert impact(root, "--max-changed", str(len(expected)))[0] == 0
    assert impact(root, "--max-changed", str(len(expected) - 1))[0] == 1
    # the served revision against itself changes nothing
    assert impact(root, "--revision", "1")[1]["changed"] == 0


def test_impact_shows_an_edit_that_breaks_a_guardrail(
        logged: tuple[Path, dict[str, dict[str, Any]]], settings: Settings) -> None:
    """The incident (the threshold changed in one of the three parallel tables only) no longer
    compiles: the analysis finds the guardrail the tables break. A guardrail the analysis cannot
    read (``size()``) compiles with a warning; impact shows every run it would refuse."""
    root, by_id = logged
    path = root / "specs" / SPEC_FILE
    original = path.read_text()
    path.write_text(original.replace("> 1000 ", "> 500  ", 1))
    refused = compile_project(root, settings)
    assert not refused.ok
    assert "the tables can break guardrail" in str(refused.all_diagnostics)
    path.write_text(original.replace(
        "- A refused order always says why:",
        "- Held orders up to 2,000 only: "
        "`output.decision != \"hold\" || input.order_total < 2000 || size(input.order_id) > 99`\n"
        "- A refused order always says why:"))
    assert compile_project(root, settings).ok
    code, report = impact(root, "--max-changed", "0")
    assert code == 1
    held = {rid for rid, x in by_id.items() if x["first_order"] and reaches_the_row(x)
            and x["order_total"] == 2500}
    by_field = {(t["field"], t["before"], t["after"]): t for t in report["transitions"]}
    refused = [t for (f, _, after), t in by_field.items()
               if f == "status" and after == "guardrail_failed"]  # held runs were escalated
    assert held and sum(t["runs"] for t in refused) >= len(held)
    assert {rid for t in refused for rid in t["run_ids"]} <= {
        rid for rid, x in by_id.items() if x["order_total"] == 2500}


def test_impact_of_an_input_file_against_the_served_revision(
        logged: tuple[Path, dict[str, dict[str, Any]]], settings: Settings,
        tmp_path: Path) -> None:
    root, _ = logged
    edit(root, settings, tables=3)
    batch = inputs(40)
    path = tmp_path / "inputs.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in batch))
    result = CliRunner().invoke(main, ["impact", "order-validation", "--input", str(path),
                                       "--project", str(root)])
    expected = [i for i, x in enumerate(batch, 1)
                if reaches_the_row(x) and 500 < x["order_total"] <= 1000]
    assert result.exit_code == 0, result.output
    assert "r2 against r2 (served now): 0 of 40" in result.output  # production follows r2
    promoted = CliRunner().invoke(main, ["promote", "order-validation", "1",
                                         "--project", str(root)])
    assert promoted.exit_code == 0, promoted.output
    result = CliRunner().invoke(main, ["impact", "order-validation", "--input", str(path),
                                       "--json", "--project", str(root)])
    report = json.loads(result.output)
    assert report["baseline"] == "r1" and report["changed"] == len(expected)
    decision = next(t for t in report["transitions"] if t["field"] == "decision")
    assert decision["lines"] == expected[:20]


async def test_impact_over_http(logged: tuple[Path, dict[str, dict[str, Any]]],
                                settings: Settings) -> None:
    root, by_id = logged
    edit(root, settings, tables=3)
    expected = {rid for rid, x in by_id.items()
                if reaches_the_row(x) and 500 < x["order_total"] <= 1000}
    async with running(create_app(settings, root)) as c:
        r = await c.post("/specs/order-validation/impact", json={"max_changed": 0})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["changed"] == len(expected) and body["over_limit"] is True
        r = await c.post("/specs/order-validation/impact",
                         json={"revision": 1, "inputs": inputs(10)})
        assert r.status_code == 200 and r.json()["baseline"] == "r2"
        r = await c.post("/specs/order-validation/impact", json={"since": "yesterday"})
        assert r.status_code == 422 and r.json()["details"][0]["loc"][:2] == ["body", "since"]
        r = await c.post("/specs/order-validation/impact",
                         json={"since": "2026-01-01T00:00:00Z", "max_changed": 0})
        assert r.status_code == 200 and r.json()["changed"] == len(expected)
        r = await c.post("/specs/order-validation/impact", json={"revision": 1, "label": "x"})
        assert r.status_code == 409  # each is valid alone: together they conflict
