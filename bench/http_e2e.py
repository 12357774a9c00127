"""HTTP end to end: ``specwright serve`` in front of a fake model vs. a minimal FastAPI floor.

The servers run at once as child processes on 127.0.0.1 and call the same fake model server
(``python -m specwright.runtime.fakeserver``, another process, 0 ms latency, no faults):

* ``specwright``: ``POST /specs/carrier-selection/v1`` (route: ``openai:gpt-4.1-mini`` only):
  validate, 2 decision tables, prompt, router + OpenAI adapter, parse, check, guardrails,
  durable SQLite log write, answer.
* ``floor``: ``bench/floor_apps.py e2e``: FastAPI validates the same ``Input`` model and calls the
  raw ``openai`` SDK with the same prompt and schema (no tables, guardrails or log).
* ``floor, idle fix``: the same floor with the SDK client's idle-connection check made as cheap
  as Specwright's (``specwright.runtime.models.idle_check``): how much of the difference that fix is.

Load comes from ``bench/loadgen.py`` in a third process: concurrency 64, a fixed number of
requests per round; the targets alternate within each round. Reported: medians over the
rounds of requests/s, p50 and p99 latency, and server CPU per request (from /proc).
Target: specwright throughput >= 0.8x the floor's.

    python bench/http_e2e.py [--rounds 3] [--requests 3000] [--concurrency 64] [--workers N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (  # noqa: E402
    CARRIER_IN,
    Service,
    bench_project,
    loadgen,
    median,
    start_fake,
    start_floor,
    start_specwright,
    table,
    verdict,
    workers_note,
    write_json,
)

TARGET = 0.8


def measure(server: Service, url: str, body: Any, args: argparse.Namespace,
            warmup: int) -> dict[str, float]:
    cpu0 = server.cpu_s()
    out = loadgen(url, body, concurrency=args.concurrency, requests=args.requests,
                  warmup=warmup)
    cpu = server.cpu_s() - cpu0
    total = args.requests + warmup
    bad = out["requests"] - out["ok"]
    if bad:
        raise RuntimeError(f"{server.name}: {bad} of {out['requests']} requests failed: {out}")
    return {"rps": out["rps"], "p50": out["latency_ms"]["p50"], "p99": out["latency_ms"]["p99"],
            "cpu_us": cpu / total * 1e6}


FIXED = "floor, idle fix"  # the floor with Specwright's idle-connection check (for attribution)


def run(args: argparse.Namespace) -> dict[str, Any]:
    fake = start_fake()
    servers: list[Service] = [fake]
    try:
        with tempfile.TemporaryDirectory(prefix="sw-bench-e2e-") as tmp:
            project = bench_project(Path(tmp), fake.url,
                                    {"carrier-selection": ["openai:gpt-4.1-mini"]})
            ours = start_specwright(project, workers=args.workers)
            servers.append(ours)
            floor = start_floor("e2e", project, "--fake-url", fake.url, workers=args.workers)
            servers.append(floor)
            fixed = start_floor("e2e", project, "--fake-url", fake.url, "--idle-fix", workers=args.workers)
            servers.append(fixed)
            targets = [("specwright", ours, ours.url + "/specs/carrier-selection/v1"),
                       ("floor", floor, floor.url + "/floor"),
                       (FIXED, fixed, fixed.url + "/floor")]
            samples: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in targets}
            for r in range(args.rounds):
                order = targets if r % 2 == 0 else targets[::-1]
                for name, server, url in order:
                    warmup = args.requests // 5 if r < 2 else 0
                    samples[name].append(measure(server, url, CARRIER_IN, args, warmup))
            rss = ours.memory_mb()[1]
    finally:
        for s in reversed(servers):
            s.stop()
    med = {name: {k: median(s[k] for s in rows) for k in rows[0]}
           for name, rows in samples.items()}
    ratio = med["specwright"]["rps"] / med["floor"]["rps"]
    return {"medians": med, "throughput_ratio": ratio, "met": ratio >= TARGET,
            "peak_rss_mb": rss, "rounds": args.rounds, "requests": args.requests,
            "concurrency": args.concurrency, "workers": args.workers}


def report(res: dict[str, Any]) -> str:
    med = res["medians"]
    ours, floor = med["specwright"], med["floor"]
    rows = [[name, m["rps"], m["p50"], m["p99"], m["cpu_us"]] for name, m in med.items()]
    for name, base in (("floor", floor), (FIXED, med[FIXED])):
        rows.append([f"ratio specwright/{name}", f"{ours['rps'] / base['rps']:.2f}x",
                     f"{ours['p50'] / base['p50']:.2f}x", f"{ours['p99'] / base['p99']:.2f}x",
                     f"{ours['cpu_us'] / base['cpu_us']:.2f}x"])
    head = (f"HTTP end to end, concurrency {res['concurrency']}, {res['requests']} requests x "
            f"{res['rounds']} rounds, medians{workers_note(res)}")
    return "\n".join([
        head, table(["server", "requests/s", "p50 ms", "p99 ms", "server CPU us/req"], rows),
        f"throughput ratio {res['throughput_ratio']:.2f}x (target >= {TARGET}x): "
        f"{verdict(res['met'])}; specwright peak RSS {res['peak_rss_mb']:.0f} MB",
    ])


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--requests", type=int, default=3000)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--workers", type=int, default=1,
                   help="server processes, for specwright and its floor alike")
    p.add_argument("--json", default="", help="also write the results to this file as JSON")
    return p


def main() -> None:
    args = parser().parse_args()
    res = run(args)
    print(report(res))
    write_json(args.json, res)


if __name__ == "__main__":
    main()
