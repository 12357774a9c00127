"""``specwright run`` stopped part-way (Ctrl-C) and run again: the lines already logged are
skipped, every line is logged exactly once, and an edited file is a new job."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

from click.testing import CliRunner
from rt_support import no_model

from specwright.runtime.cli import main
from specwright.runtime.config import Settings
from specwright.runtime.engine.batch import LineResult, run_batch
from specwright.runtime.logstore import RunQuery, open_store
from specwright.runtime.logstore.bulk import job_id, open_bulk_db

LINES = 120
STOP_AFTER = 30


def write_input(path: Path, lines: int = LINES) -> None:
    rows = [json.dumps({"order_total": 10 + i, "country": "US"}) for i in range(lines)]
    if lines > 5:
        rows[5] = "{not json"  # a bad line is done too: it is not run again
    path.write_text("\n".join(rows) + "\n")


async def logged_run_ids(project: Path) -> list[str]:
    ids: list[str] = []
    async with open_store(Settings(), project) as store:
        cursor = None
        while True:
            page = await store.query(RunQuery(spec="triage", limit=500, cursor=cursor))
            ids += [r.id for r in page.runs]
            cursor = page.next_cursor
            if not cursor:
                return ids


async def test_a_stopped_run_resumes_after_the_lines_it_logged(project: Path) -> None:
    src = project / "in.jsonl"
    write_input(src)
    stop = asyncio.Event()
    first_out = io.StringIO()

    def tick(result: LineResult) -> None:
        if result.line >= STOP_AFTER:
            stop.set()

    first = await run_batch(Settings(), project, "triage", src, first_out, concurrency=4,
                            model_factory=no_model, stop=stop, progress=tick, resume=True)
    assert first.stopped and first.exit_code == 1
    assert STOP_AFTER <= first.total < LINES
    skipped: list[int] = []
    second_out = io.StringIO()
    second = await run_batch(Settings(), project, "triage", src, second_out, concurrency=4,
                             model_factory=no_model, resume=True, on_start=skipped.append)
    assert skipped == [first.total] and second.skipped == first.total
    assert not second.stopped and second.total == LINES - first.total
    lines = [json.loads(x)["line"] for x in (first_out.getvalue() + second_out.getvalue()
                                             ).splitlines()]
    assert sorted(lines) == list(range(1, LINES + 1))  # every line once, none twice
    ids = await logged_run_ids(project)
    assert len(ids) == len(set(ids)) == LINES - 1  # the line that is not JSON has no run
    db = open_bulk_db(Settings(), project)
    try:
        done = db.done(job_id("triage", 1, src))
    finally:
        db.close()
    assert sorted(done) == list(range(1, LINES + 1))
    assert done[6].run_id is None and done[6].status == "invalid_json"
    assert {d.run_id for d in done.values() if d.run_id} == set(ids)
    third = await run_batch(Settings(), project, "triage", src, io.StringIO(), concurrency=4,
                            model_factory=no_model, resume=True)
    assert third.total == 0 and third.skipped == LINES


async def test_an_edited_file_or_no_resume_runs_every_line(project: Path) -> None:
    src = project / "in.jsonl"
    write_input(src, 10)
    await run_batch(Settings(), project, "triage", src, io.StringIO(), concurrency=2,
                    model_factory=no_model, resume=True)
    again = await run_batch(Settings(), project, "triage", src, io.StringIO(), concurrency=2,
                            model_factory=no_model, resume=False)
    assert again.total == 10 and again.skipped == 0
    write_input(src, 11)
    edited = await run_batch(Settings(), project, "triage", src, io.StringIO(), concurrency=2,
                             model_factory=no_model, resume=True)
    assert edited.total == 11 and edited.skipped == 0


def test_the_cli_appends_to_the_output_of_the_run_it_resumes(project: Path) -> None:
    src = project / "in.jsonl"
    write_input(src, 4)
    out = project / "out.jsonl"
    args = ["run", "triage", "--input", str(src), "--output", str(out), "--project",
            str(project), "--no-progress"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0 and "4 lines: 4 ok, 0 failed" in r.stderr
    r = CliRunner().invoke(main, args)
    assert "0 lines: 0 ok, 0 failed (4 done by an earlier run, skipped)" in r.stderr
    assert r.exit_code == 0
    assert len(out.read_text().splitlines()) == 4  # kept, not truncated
