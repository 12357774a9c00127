"""``specwright run --batch-api`` against both providers' batch endpoints on the fake server:
a restart between submit and collect resumes the recorded batch, and every line is logged once,
priced at the batch rate; items the batch answered wrongly go through the normal route."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from rel_support import CARRIER_DOMESTIC, KEYS, compile_here, make_project

from specwright.runtime.config import Settings, load_settings
from specwright.runtime.engine.batch_api_run import run_batch_api
from specwright.runtime.fakeserver import FakeConfig, FakeServer, FakeServerThread, FaultMix
from specwright.runtime.logstore import RunQuery, open_store
from specwright.runtime.logstore.bulk import BatchState, job_id, open_bulk_db
from specwright.runtime.models.pricing import PriceBook
from specwright.runtime.models.rate_limits import LIMITERS
from specwright.runtime.records import RunRecord

ROUTING = {"max_retries": 2, "retry_after_cap_s": 0.05, "deadline_s": 60.0,
           "request_timeout_s": 10.0, "backoff_base_s": 0.01, "backoff_max_s": 0.05}


class Crash(Exception):
    """Stands for the process dying right after the batch was submitted and recorded."""


def project_for(tmp_path: Path, url: str, lines: int, route: str) -> tuple[Path, Path]:
    root = make_project(tmp_path / "proj", url, routing=ROUTING)
    spec = root / "specs" / "carrier-selection.md"
    text = spec.read_text()
    spec.write_text(text.replace("  - anthropic:claude-haiku-4-5\n  - openai:gpt-4.1-mini\n",
                                 f"  - {route}\n"), encoding="utf-8")
    compile_here(root)  # recompiled with the one-model route
    src = root / "in.jsonl"
    src.write_text("".join(json.dumps({**CARRIER_DOMESTIC, "order_id": f"B-{i}"}) + "\n"
                           for i in range(lines)))
    return root, src


async def all_runs(settings: Settings, root: Path) -> list[RunRecord]:
    runs: list[RunRecord] = []
    async with open_store(settings, root) as store:
        cursor = None
        while True:
            page = await store.query(RunQuery(spec="carrier-selection", limit=500,
                                              cursor=cursor))
            runs += [r for r in page.runs]
            cursor = page.next_cursor
            if not cursor:
                return runs


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    LIMITERS.clear()


@pytest.mark.parametrize("route", ["openai:gpt-4.1-mini", "anthropic:claude-haiku-4-5"])
async def test_a_crash_after_submit_resumes_the_recorded_batch_and_logs_each_line_once(
        tmp_path: Path, route: str) -> None:
    lines = 1000
    with FakeServerThread(FakeConfig(faults=FaultMix({"schema_invalid": 0.03}), seed=7)) as fake:
        root, src = project_for(tmp_path, fake.url, lines, route)
        settings = load_settings(root)
        submitted: list[BatchState] = []

        def crash(state: BatchState) -> None:
            submitted.append(state)
            raise Crash

        with pytest.raises(Crash):
            await run_batch_api(settings, root, "carrier-selection", src, io.StringIO(),
                                on_submitted=crash, poll_s=0.01)
        assert await all_runs(settings, root) == []  # nothing logged before the crash
        db = open_bulk_db(settings, root)
        try:
            recorded = db.batch(job_id("carrier-selection", 1, src))
        finally:
            db.close()
        assert recorded == submitted[0] and len(recorded.state["batches"][0]["lines"]) == lines
        assert recorded.batch_id == recorded.state["batches"][0]["id"]
        out = io.StringIO()
        summary = await run_batch_api(settings, root, "carrier-selection", src, out,
                                      poll_s=0.01)
        stats = fake.stats()
    assert stats["batches_created"] == 1  # the restart collected the recorded batch
    assert summary.ok == lines and summary.failed == 0 and summary.skipped == 0
    runs = await all_runs(settings, root)
    assert len(runs) == len({r.id for r in runs}) == lines
    assert sorted(json.loads(x)["line"] for x in out.getvalue().splitlines()) == list(
        range(1, lines + 1))
    price = PriceBook(settings).price(route)
    assert price is not None
    repaired = 0
    for run in runs:
        first = run.attempts[0]
        assert f"{first.provider}:{first.model}" == route and first.purpose == "call"
        assert first.batch_id == recorded.batch_id  # marked: served by that provider batch
        assert all(a.batch_id is None for a in run.attempts[1:])  # repairs are live calls
        full = (first.input_tokens or 0) * price.input / 1e6 + (
            first.output_tokens or 0) * price.output / 1e6
        assert first.cost_usd == pytest.approx(full / 2)  # the batch rate
        if first.status == "error":  # an invalid batch answer: repaired on the normal route
            repaired += 1
            assert first.error_class == "OutputInvalid" and len(run.attempts) >= 2
            assert run.attempts[-1].status == "ok"
    assert repaired == stats["outcomes"].get("schema_invalid", 0) > 0
    # the live endpoint got exactly the repairs: every other answer came from the batch
    assert stats["requests"] == lines + sum(len(r.attempts) - 1 for r in runs)
    again = await run_batch_api(settings, root, "carrier-selection", src, io.StringIO(),
                                poll_s=0.01)
    assert again.total == 0 and again.skipped == lines


def test_a_killed_batch_run_is_resumed_by_the_same_command(tmp_path: Path) -> None:
    """The real command, killed (SIGKILL) while its batch is still processing."""
    lines = 200
    with FakeServerThread(FakeConfig(batch_s=600)) as fake:
        root, src = project_for(tmp_path, fake.url, lines, "anthropic:claude-haiku-4-5")
        settings = load_settings(root)
        out = root / "out.jsonl"
        argv = [str(Path(sys.executable).with_name("specwright")), "run", "carrier-selection",
                "--input", str(src), "--output", str(out), "--project", str(root),
                "--batch-api", "--batch-poll-s", "0.05", "--no-progress"]
        env = {**os.environ, **KEYS}
        log = root / "first.log"
        with log.open("wb") as sink:
            first = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=sink)
        job = job_id("carrier-selection", 1, src)
        try:
            recorded = None
            for _ in range(600):  # until the batch is recorded (at most about a minute)
                if first.poll() is not None:
                    break
                if (root / ".specwright" / "runs.sqlite3").exists():
                    db = open_bulk_db(settings, root)
                    try:
                        recorded = db.batch(job)
                    finally:
                        db.close()
                    if recorded is not None:
                        break
                time.sleep(0.1)
            assert recorded is not None, log.read_text()
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        fake.configure(batch_s=0)
        second = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300,
                                check=False)
        stats = fake.stats()
    assert second.returncode == 0, second.stderr
    assert f"{lines} lines: {lines} ok, 0 failed" in second.stderr
    assert stats["batches_created"] == 1
    runs = asyncio.run(all_runs(settings, root))
    assert len(runs) == lines
    assert Counter(json.loads(x)["line"] for x in out.read_text().splitlines()) == Counter(
        range(1, lines + 1))


async def test_the_fakes_batch_endpoints_speak_each_vendors_wire_format() -> None:
    chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}],
            "response_format": {"type": "json_schema", "json_schema": {
                "name": "o", "schema": {"type": "object", "properties": {
                    "a": {"type": "string"}}, "required": ["a"]}}}}
    async with FakeServer(FakeConfig()) as fake, httpx.AsyncClient(base_url=fake.url) as http:
        line = {"custom_id": "line-1", "method": "POST", "url": "/v1/chat/completions",
                "body": chat}
        upload = await http.post("/v1/files", data={"purpose": "batch"},
                                 files={"file": ("b.jsonl", json.dumps(line) + "\n")})
        batch = (await http.post("/v1/batches", json={
            "input_file_id": upload.json()["id"], "endpoint": "/v1/chat/completions",
            "completion_window": "24h"})).json()
        assert batch["object"] == "batch" and batch["status"] == "completed"
        assert batch["request_counts"] == {"total": 1, "completed": 1, "failed": 0}
        output = (await http.get(f"/v1/files/{batch['output_file_id']}/content")).text
        row = json.loads(output)
        assert row["custom_id"] == "line-1" and row["error"] is None
        assert row["response"]["status_code"] == 200
        assert row["response"]["body"]["object"] == "chat.completion"

        params = {"model": "m", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}],
                  "tools": [{"name": "answer", "input_schema": {"type": "object"}}],
                  "tool_choice": {"type": "tool", "name": "answer"}}
        created = (await http.post("/v1/messages/batches", json={
            "requests": [{"custom_id": "line-2", "params": params}]})).json()
        assert created["type"] == "message_batch"
        got = (await http.get(f"/v1/messages/batches/{created['id']}")).json()
        assert got["processing_status"] == "ended"
        assert set(got["request_counts"]) == {"processing", "succeeded", "errored", "canceled",
                                              "expired"}
        assert got["results_url"] == f"{fake.url}/v1/messages/batches/{created['id']}/results"
        result = json.loads((await http.get(got["results_url"])).text)
        assert result["custom_id"] == "line-2" and result["result"]["type"] == "succeeded"
        assert result["result"]["message"]["type"] == "message"
