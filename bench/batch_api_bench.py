"""``specwright run --batch-api`` against the fake server's batch endpoints: how long a job of
``--lines`` lines takes to submit and collect, and a restart in the middle.

The fake model server (a child process) serves OpenAI's or Anthropic's batch API; a batch ends
``--batch-s`` seconds after it was created. ``specwright run`` (a child process, the real
command) runs carrier-selection routed to the chosen provider, cut into batches of at most
``--per-batch`` requests. Two jobs:

* uninterrupted: the command's whole time (start-up, compile check, log included), the time to
  its first batch being recorded (every line of the first chunk through the pipeline, the
  upload, the record), and per line;
* restarted: the command is killed (SIGKILL) once its second batch is recorded, then run again.
  Reported: batches the fake created (no batch submitted twice), runs logged, lines logged more
  than once (must be 0), first attempts not marked with their batch (must be 0).

    python bench/batch_api_bench.py [--lines 1000] [--per-batch 250] [--batch-s 1]
        [--provider anthropic]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (  # noqa: E402
    CARRIER_IN,
    KEY_ENV,
    SPECWRIGHT,
    bench_project,
    machine,
    start_fake,
    table,
    verdict,
    write_json,
)

from specwright.runtime.config import load_settings  # noqa: E402
from specwright.runtime.logstore import open_store  # noqa: E402
from specwright.runtime.logstore.bulk import BatchState, job_id, open_bulk_db  # noqa: E402
from specwright.runtime.logstore.scan import scan_runs  # noqa: E402

ROUTES = {"openai": "openai:gpt-4.1-mini", "anthropic": "anthropic:claude-haiku-4-5"}


async def logged(project: Path) -> tuple[int, int, int]:
    """(runs, lines logged more than once, first attempts without a batch id)."""
    orders: Counter[str] = Counter()
    unmarked = 0
    async with open_store(load_settings(project), project) as store:
        for run in await scan_runs(store, "carrier-selection", limit=10**9):
            orders[str((run.input or {}).get("order_id"))] += 1
            unmarked += not run.attempts or run.attempts[0].batch_id is None
    return sum(orders.values()), sum(1 for n in orders.values() if n > 1), unmarked


def recorded(project: Path, src: Path) -> BatchState | None:
    if not (project / ".specwright" / "runs.sqlite3").exists():
        return None
    db = open_bulk_db(load_settings(project), project)
    try:
        return db.batch(job_id("carrier-selection", 1, src))
    finally:
        db.close()


def batches_of(state: BatchState | None) -> int:
    if state is None:
        return 0
    return len(state.state.get("history", ())) + len(state.state.get("batches", ()))


def job(root: Path, fake_url: str, args: argparse.Namespace) -> tuple[Path, list[str]]:
    project = bench_project(root, fake_url, {"carrier-selection": [ROUTES[args.provider]]})
    src = project / "in.jsonl"
    src.write_text("".join(json.dumps({**CARRIER_IN, "order_id": f"B-{i}"}) + "\n"
                           for i in range(args.lines)))
    argv = [SPECWRIGHT, "run", "carrier-selection", "--input", str(src), "--output",
            str(project / "out.jsonl"), "--project", str(project), "--no-progress",
            "--batch-api", "--batch-poll-s", "0.05", "--batch-max-requests",
            str(args.per_batch)]
    return src, argv


def run_until(argv: list[str], project: Path, src: Path, batches: int | None
              ) -> tuple[float, float | None, int]:
    """Run the command; kill it once ``batches`` batches are recorded (None: let it finish).
    (seconds, seconds until the first batch was recorded, exit code)."""
    env = {**os.environ, **KEY_ENV}
    start = time.perf_counter()
    first: float | None = None
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while proc.poll() is None:
        count = batches_of(recorded(project, src))
        if count and first is None:
            first = time.perf_counter() - start
        if batches is not None and count >= batches:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    _, err = proc.communicate(timeout=600)
    if batches is None and proc.returncode != 0:
        raise SystemExit(f"specwright run failed:\n{err.decode()[-3000:]}")
    return time.perf_counter() - start, first, proc.returncode


def stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/_fake/stats") as r:  # noqa: S310 - loopback
        return dict(json.loads(r.read()))


def measure(args: argparse.Namespace) -> dict[str, Any]:
    fake = start_fake()
    fake.wait_ready()
    request = urllib.request.Request(f"{fake.url}/_fake/config", method="POST",
                                     data=json.dumps({"batch_s": args.batch_s}).encode())
    urllib.request.urlopen(request).close()  # noqa: S310 - loopback
    expected = -(-args.lines // args.per_batch)
    try:
        with tempfile.TemporaryDirectory(prefix="sw-batchapi-") as tmp:
            root = Path(tmp) / "straight"
            src, argv = job(root, fake.url, args)
            whole, first, _ = run_until(argv, root, src, None)
            straight = asyncio.run(logged(root))
            created_straight = stats(fake.url)["batches_created"]
            root = Path(tmp) / "restarted"
            src, argv = job(root, fake.url, args)
            killed_s, _, code = run_until(argv, root, src, min(2, expected))
            before = asyncio.run(logged(root))[0]
            resumed_s, _, _ = run_until(argv, root, src, None)
            runs, twice, unmarked = asyncio.run(logged(root))
            created = stats(fake.url)["batches_created"] - created_straight
    finally:
        fake.stop()
    return {
        "lines": args.lines, "per_batch": args.per_batch, "batch_s": args.batch_s,
        "provider": args.provider, "expected_batches": expected,
        "command_s": whole, "first_batch_recorded_s": first,
        "ms_per_line": whole / args.lines * 1000, "straight_runs": straight[0],
        "straight_batches": created_straight, "killed_after_s": killed_s,
        "killed_exit": code, "logged_before_restart": before, "resumed_s": resumed_s,
        "runs_logged": runs, "logged_twice": twice + straight[1],
        "unmarked": unmarked + straight[2], "batches_created": created, "machine": machine(),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lines", type=int, default=1000)
    p.add_argument("--per-batch", type=int, default=250)
    p.add_argument("--batch-s", type=float, default=1.0)
    p.add_argument("--provider", choices=sorted(ROUTES), default="anthropic")
    p.add_argument("--json", default="")
    args = p.parse_args()
    res = measure(args)
    print(f"{res['lines']} lines, batches of at most {res['per_batch']} ({res['provider']}), "
          f"a fake batch ends after {res['batch_s']:g} s; {res['machine']}")
    print(table(
        ["job", "command s", "first batch recorded s", "ms per line", "batches", "runs logged"],
        [["uninterrupted", f"{res['command_s']:.1f}", f"{res['first_batch_recorded_s']:.1f}",
          f"{res['ms_per_line']:.1f}", res["straight_batches"], res["straight_runs"]],
         ["killed at batch 2", f"{res['killed_after_s']:.1f}", "", "", "",
          res["logged_before_restart"]],
         ["... resumed", f"{res['resumed_s']:.1f}", "", "", res["batches_created"],
          res["runs_logged"]]]))
    ok = (res["runs_logged"] == res["straight_runs"] == res["lines"]
          and res["logged_twice"] == 0 and res["unmarked"] == 0
          and res["batches_created"] == res["straight_batches"] == res["expected_batches"])
    print(f"every line logged once, from its batch, no batch submitted twice: {verdict(ok)}")
    write_json(args.json, res)


if __name__ == "__main__":
    main()
