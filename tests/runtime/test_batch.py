"""``specwright run``: a JSON-lines batch through the pipeline, every run logged."""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner
from rt_support import no_model

from specwright.runtime.cli import main
from specwright.runtime.config import Settings
from specwright.runtime.engine.batch import run_batch
from specwright.runtime.logstore import RunQuery, open_store

LINES = [
    json.dumps({"order_total": 10, "country": "US"}),
    "{not json",
    "",
    json.dumps({"order_total": -5}),
    json.dumps({"order_total": 2000, "country": "US"}),
]


async def test_batch_reports_bad_lines_and_logs_every_run(project: Path) -> None:
    src = project / "in.jsonl"
    src.write_text("\n".join(LINES) + "\n")
    out = io.StringIO()
    ticks: list[int] = []
    summary = await run_batch(Settings(), project, "triage", src, out, concurrency=2,
                              model_factory=no_model, progress=ticks.append)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 4, 5]
    assert [r["status"] for r in rows] == ["ok", "invalid_json", "invalid_input", "escalated"]
    assert rows[0]["output"] == {"action": "accept"} and rows[1]["run_id"] is None
    assert {tuple(d["loc"]) for d in rows[2]["error"]["details"]} == {
        ("body", "order_total"), ("body", "country")}
    assert summary.total == 4 and summary.ok == 2 and summary.failed == 2
    assert summary.exit_code == 1 and len(ticks) == 4
    assert summary.problems[0].startswith("line 2: invalid_json")
    store = open_store(Settings(), project)
    async with store:
        page = await store.query(RunQuery(spec="triage"))
    assert {r.id for r in page.runs} == {r["run_id"] for r in rows if r["run_id"]}


def test_run_cli_exit_codes(project: Path) -> None:
    runner = CliRunner()
    good = project / "good.jsonl"
    good.write_text(LINES[0] + "\n" + LINES[4] + "\n")
    out = project / "out.jsonl"
    args = ["run", "triage", "--input", str(good), "--output", str(out), "--project", str(project)]
    r = runner.invoke(main, args)
    assert r.exit_code == 0, r.output
    assert [json.loads(x)["status"] for x in out.read_text().splitlines()] == ["ok", "escalated"]
    bad = project / "bad.jsonl"
    bad.write_text("\n".join(LINES) + "\n")
    r = runner.invoke(main, ["run", "triage", "--input", str(bad), "--project", str(project)])
    assert r.exit_code == 1
    assert "line 2: invalid_json" in r.stderr and "line 4: invalid_input" in r.stderr
    assert "4 lines: 2 ok, 2 failed" in r.stderr
    assert len(r.stdout.strip().splitlines()) == 4
    r = runner.invoke(main, ["run", "nope", "--input", str(bad), "--project", str(project)])
    assert r.exit_code != 0 and "specwright compile" in r.output


def test_run_cli_unwritable_output_is_a_clear_error(project: Path) -> None:
    good = project / "good.jsonl"
    good.write_text(LINES[0] + "\n")
    missing_dir = project / "no-such-dir" / "out.jsonl"
    args = ["run", "triage", "--input", str(good), "--output", str(missing_dir),
            "--project", str(project)]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1
    assert isinstance(r.exception, SystemExit)
    assert "cannot open" in r.output and "no-such-dir" in r.output
