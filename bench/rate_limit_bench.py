"""A bulk run under a provider's rate limit: how close ``specwright run`` gets to the limit's
ideal time, and how many calls the provider refuses.

The fake model server (a child process) enforces ``--rpm`` per model with OpenAI's and
Anthropic's headers and 429s (a one-second burst, as providers enforce per-minute limits over
shorter windows). ``specwright run`` (a child process, the real command) runs ``--lines`` lines
of carrier-selection, routed to Anthropic on the fake. The limit is learned from the headers, or
configured with ``--configured``.

The ideal is ``(lines - 1) / rpm`` minutes: every call exactly at the limit. Reported: the
command's whole time (start-up, log, compile check included) and the span from the first run to
the last in the log, each as a ratio to the ideal; 429s the fake sent; runs that met more than
one 429.

    python bench/rate_limit_bench.py [--lines 10000] [--rpm 6000] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
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
from specwright.runtime.logstore.scan import scan_runs  # noqa: E402
from specwright.runtime.models.rate_limits import ideal_seconds  # noqa: E402


async def logged(project: Path) -> tuple[int, float, int, int]:
    """(runs, seconds from the first run to the last, runs with 429s, most 429s in one run)."""
    created: list[float] = []
    met = most = 0
    async with open_store(load_settings(project), project) as store:
        for run in await scan_runs(store, "carrier-selection", limit=10**9):
            created.append(run.created_at)
            n = sum(a.error_class == "RateLimited" for a in run.attempts)
            met += n > 0
            most = max(most, n)
    span = max(created) - min(created) if created else 0.0
    return len(created), span, met, most


def measure(args: argparse.Namespace) -> dict[str, Any]:
    fake = start_fake("--rpm", str(args.rpm), "--latency-ms", str(args.latency_ms))
    fake.wait_ready()
    try:
        with tempfile.TemporaryDirectory(prefix="sw-ratelimit-") as tmp:
            root = bench_project(Path(tmp), fake.url, {"carrier-selection":
                                                       ["anthropic:claude-haiku-4-5"]})
            if args.configured:
                toml = root / "specwright.toml"
                toml.write_text(toml.read_text().replace(
                    'api_key_env = "BENCH_ANTHROPIC_KEY"\n',
                    f'api_key_env = "BENCH_ANTHROPIC_KEY"\nrequests_per_minute = {args.rpm}\n'))
            src = root / "in.jsonl"
            src.write_text("".join(json.dumps({**CARRIER_IN, "order_id": f"B-{i}"}) + "\n"
                                   for i in range(args.lines)))
            argv = [SPECWRIGHT, "run", "carrier-selection", "--input", str(src), "--output",
                    str(root / "out.jsonl"), "--project", str(root), "--no-progress"]
            start = time.perf_counter()
            proc = subprocess.run(argv, capture_output=True, text=True, check=False,
                                  env={**os.environ, **KEY_ENV})
            elapsed = time.perf_counter() - start
            if proc.returncode != 0:
                raise SystemExit(f"specwright run failed:\n{proc.stderr[-3000:]}")
            with urllib.request.urlopen(f"{fake.url}/_fake/stats") as r:  # noqa: S310 - loopback
                stats = json.loads(r.read())
            runs, span, met, most = asyncio.run(logged(root))
    finally:
        fake.stop()
    ideal = ideal_seconds(args.lines, args.rpm)
    return {
        "lines": args.lines, "rpm": args.rpm, "latency_ms": args.latency_ms,
        "limit": "configured" if args.configured else "learned from headers",
        "ideal_s": ideal, "command_s": elapsed, "span_s": span,
        "command_ratio": elapsed / ideal, "span_ratio": span / ideal,
        "runs_logged": runs, "calls": stats["requests"],
        "refused_429": stats["outcomes"].get("over_limit", 0),
        "runs_with_429": met, "most_429_in_a_run": most, "machine": machine(),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lines", type=int, default=10_000)
    p.add_argument("--rpm", type=float, default=6000)
    p.add_argument("--latency-ms", type=float, default=20.0)
    p.add_argument("--configured", action="store_true",
                   help="configure the limit (default: learned from the fake's headers)")
    p.add_argument("--json", default="")
    args = p.parse_args()
    res = measure(args)
    print(f"{res['lines']} lines under {res['rpm']:g} requests/minute ({res['limit']}), "
          f"fake latency {res['latency_ms']:g} ms; {res['machine']}")
    print(table(
        ["ideal s", "command s", "ratio", "first-to-last run s", "ratio", "429s",
         "runs with a 429", "most 429s in a run"],
        [[f"{res['ideal_s']:.1f}", f"{res['command_s']:.1f}", f"{res['command_ratio']:.3f}",
          f"{res['span_s']:.1f}", f"{res['span_ratio']:.3f}", res["refused_429"],
          res["runs_with_429"], res["most_429_in_a_run"]]]))
    ok = res["command_ratio"] <= 1.10 and res["most_429_in_a_run"] <= 1
    print(f"within 10% of the ideal time, no 429 retried more than once: {verdict(ok)}")
    write_json(args.json, res)


if __name__ == "__main__":
    main()
