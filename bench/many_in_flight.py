"""Many in flight: 2,000 requests at once against a model that takes 2 s to answer.

A fake model server (another process, ``--latency-ms 2000``) answers every call after 2 s. The
load generator opens 2,000 connections first, then sends one request on each at the same moment
(``bench/loadgen.py --connect-first``), so all 2,000 runs are in flight together. Measured:

* errors: any non-200 answer or transport error (target: none);
* the server's peak RSS (``VmHWM`` of the ``specwright serve`` process; target < 500 MB);
* added p99 latency: p99 of the answers minus the model's 2 s (target < 100 ms).

The server's CPU seconds over the round are reported too: a single server process needs
``requests x CPU per request`` of CPU before the last answer can leave, whatever the model's
latency, so that product bounds the added latency from below.

The same load against the FastAPI floor of ``http_e2e.py`` (raw ``openai`` SDK, default client)
is reported beside it for reference. Several rounds; the worst round counts for the targets.

    python bench/many_in_flight.py [--requests 2000] [--latency-ms 2000] [--rounds 2]
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
    write_json,
)

RSS_TARGET_MB, ADDED_P99_TARGET_MS = 500.0, 100.0


def one_round(server: Service, url: str, args: argparse.Namespace) -> dict[str, float]:
    cpu0 = server.cpu_s()
    out = loadgen(url, CARRIER_IN, concurrency=args.requests, requests=args.requests,
                  connect_first=True, timeout=args.latency_ms / 1000 + 60)
    cpu = server.cpu_s() - cpu0
    lat = out["latency_ms"]
    return {
        "errors": float(out["requests"] - out["ok"]), "p50": lat["p50"], "p99": lat["p99"],
        "max": lat["max"], "added_p99": lat["p99"] - args.latency_ms,
        "peak_rss_mb": server.memory_mb()[1], "cpu_s": cpu,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    fake = start_fake("--latency-ms", str(args.latency_ms))
    servers: list[Service] = [fake]
    results: dict[str, list[dict[str, float]]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="sw-bench-inflight-") as tmp:
            project = bench_project(Path(tmp), fake.url,
                                    {"carrier-selection": ["openai:gpt-4.1-mini"]})
            ours = start_specwright(project)
            servers.append(ours)
            targets = [("specwright", ours, ours.url + "/specs/carrier-selection/v1")]
            if not args.no_floor:
                floor = start_floor("e2e", project, "--fake-url", fake.url)
                servers.append(floor)
                targets.append(("floor", floor, floor.url + "/floor"))
            rss_at_start = ours.memory_mb()[0]
            for _ in range(args.rounds):
                for name, server, url in targets:
                    results.setdefault(name, []).append(one_round(server, url, args))
    finally:
        for s in reversed(servers):
            s.stop()
    ours_rounds = results["specwright"]
    worst = {k: max(r[k] for r in ours_rounds) for k in ours_rounds[0]}
    met = (worst["errors"] == 0 and worst["peak_rss_mb"] < RSS_TARGET_MB
           and worst["added_p99"] < ADDED_P99_TARGET_MS)
    return {"results": results, "worst": worst, "met": met, "rss_at_start_mb": rss_at_start,
            "requests": args.requests, "latency_ms": args.latency_ms, "rounds": args.rounds}


def report(res: dict[str, Any]) -> str:
    rows = []
    for name, rounds in res["results"].items():
        m = {k: median(r[k] for r in rounds) for k in rounds[0]}
        w = {k: max(r[k] for r in rounds) for k in rounds[0]}
        rows.append([name, int(w["errors"]), m["p50"], m["p99"], w["p99"], w["added_p99"],
                     w["peak_rss_mb"], m["cpu_s"], m["cpu_s"] / res["requests"] * 1e6])
    w = res["worst"]
    cpu_us = median(r["cpu_s"] for r in res["results"]["specwright"]) / res["requests"] * 1e6
    return "\n".join([
        f"Many in flight: {res['requests']} concurrent requests, model latency "
        f"{res['latency_ms']} ms, {res['rounds']} rounds (median, and worst round)",
        table(["server", "errors", "p50 ms", "p99 ms (median)", "p99 ms (worst)",
               "added p99 ms (worst)", "peak RSS MB", "server CPU s", "CPU us/req"], rows),
        f"specwright: errors {int(w['errors'])} (target 0), peak RSS {w['peak_rss_mb']:.0f} MB "
        f"(target < {RSS_TARGET_MB:.0f}; {res['rss_at_start_mb']:.0f} MB idle), added p99 "
        f"{w['added_p99']:.0f} ms (target < {ADDED_P99_TARGET_MS:.0f}): {verdict(res['met'])}",
        f"bound: one event loop spends {res['requests']} x {cpu_us:.0f} us = "
        f"{res['requests'] * cpu_us / 1000:.0f} ms of CPU before the last answer can leave; an "
        f"added p99 under {ADDED_P99_TARGET_MS:.0f} ms needs under "
        f"{ADDED_P99_TARGET_MS * 1000 / res['requests']:.0f} us of CPU per request",
    ])


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--latency-ms", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--no-floor", action="store_true", help="skip the floor for reference")
    p.add_argument("--json", default="", help="also write the results to this file as JSON")
    return p


def main() -> None:
    args = parser().parse_args()
    res = run(args)
    print(report(res))
    write_json(args.json, res)


if __name__ == "__main__":
    main()
