"""A rules-only spec over HTTP vs. a FastAPI hello-world returning the same Output model.

Child processes on 127.0.0.1, all running at once:

* ``specwright``: ``specwright serve``, ``POST /specs/order-validation/v1`` (every output field is
  decided by tables: validate, 3 decision tables, guardrails, durable SQLite log write, answer).
* ``hello``: ``bench/floor_apps.py hello``: ``POST /hello`` returns a constant instance of the same
  ``Output`` model (the body is not read): the floor of FastAPI + uvicorn itself.
* ``validate``: the same app's ``POST /validate``: validates the body with the same ``Input``
  model, then returns that constant (for reference).

Load from ``bench/loadgen.py`` (another process), concurrency 64, targets alternating within each
round; medians of requests/s, p50, p99 and server CPU per request. Target: specwright >= 0.8x
the hello-world's throughput; absolute requests/s are reported too.

The verdict is the median of the per-round ratios: in each round specwright and the hello-world
run back to back, so each round's ratio compares two measurements seconds apart, and the
machine's load drifting over minutes cancels out of it. The ratio of the medians (which can pair
one round's specwright with another round's hello-world) and every round's ratio are printed
beside it.

``--thread-writer`` adds a fourth target in the same rounds: the same server with
``log_writer = "thread"`` (its log committed by a thread rather than a writer process).

``--workers N`` serves both specwright and the hello-world with N processes (``specwright serve
--workers N``; uvicorn's supervisor for the hello-world). With as many workers as cores, the
servers, their log writers and the load generator share every core, so the ratio becomes one of
CPU per request; the target is for one process.

    python bench/rules_only_http.py [--rounds 5] [--requests 5000] [--concurrency 64]
                                    [--thread-writer] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (  # noqa: E402
    ORDER_IN,
    Service,
    bench_project,
    loadgen,
    median,
    start_floor,
    start_specwright,
    table,
    verdict,
    workers_note,
    write_json,
)

TARGET = 0.8


def post(url: str, body: Any) -> Any:
    req = urllib.request.Request(url, json.dumps(body).encode(),  # noqa: S310 - loopback
                                 {"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310
        return json.loads(r.read())


def measure(server: Service, url: str, args: argparse.Namespace, warmup: int
            ) -> dict[str, float]:
    cpu0 = server.cpu_s()
    out = loadgen(url, ORDER_IN, concurrency=args.concurrency, requests=args.requests,
                  warmup=warmup)
    cpu = server.cpu_s() - cpu0
    if out["requests"] != out["ok"]:
        raise RuntimeError(f"{server.name}: failures: {out}")
    return {"rps": out["rps"], "p50": out["latency_ms"]["p50"], "p99": out["latency_ms"]["p99"],
            "cpu_us": cpu / (args.requests + warmup) * 1e6}


def run(args: argparse.Namespace) -> dict[str, Any]:
    servers: list[Service] = []
    try:
        with tempfile.TemporaryDirectory(prefix="sw-bench-rules-") as tmp:
            project = bench_project(Path(tmp), "http://127.0.0.1:9", {"order-validation": []})
            ours = start_specwright(project, workers=args.workers)
            servers.append(ours)
            url = ours.url + "/specs/order-validation/v1"
            output = post(url, ORDER_IN)
            floor = start_floor("hello", project, "--output", json.dumps(output), workers=args.workers)
            servers.append(floor)
            if post(floor.url + "/hello", ORDER_IN) != output:
                raise RuntimeError("the hello-world does not return the same output")
            targets = [("specwright", ours, url), ("hello", floor, floor.url + "/hello"),
                       ("validate", floor, floor.url + "/validate")]
            if args.thread_writer:  # the same server, its log committed by a thread instead
                other = bench_project(Path(tmp) / "thread-writer", "http://127.0.0.1:9",
                                      {"order-validation": []}, 'log_writer = "thread"')
                threaded = start_specwright(other, workers=args.workers)
                servers.append(threaded)
                targets.insert(1, ("thread writer", threaded,
                                   threaded.url + "/specs/order-validation/v1"))
            samples: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in targets}
            for r in range(args.rounds):
                order = targets if r % 2 == 0 else targets[::-1]
                for name, server, target_url in order:
                    warmup = args.requests // 5 if r < 2 else 0
                    samples[name].append(measure(server, target_url, args, warmup))
    finally:
        for s in reversed(servers):
            s.stop()
    med = {name: {k: median(s[k] for s in rows) for k in rows[0]}
           for name, rows in samples.items()}
    round_ratios = [ours["rps"] / floor["rps"]
                    for ours, floor in zip(samples["specwright"], samples["hello"], strict=True)]
    thread_ratios = [t["rps"] / floor["rps"] for t, floor in
                     zip(samples.get("thread writer", []), samples["hello"], strict=False)]
    ratio = median(round_ratios)
    return {"medians": med, "throughput_ratio": ratio, "met": ratio >= TARGET,
            "round_ratios": round_ratios, "thread_writer_ratios": thread_ratios,
            "ratio_of_medians": med["specwright"]["rps"] / med["hello"]["rps"],
            "rounds": args.rounds, "requests": args.requests, "concurrency": args.concurrency,
            "workers": args.workers,
            "output": output}


def report(res: dict[str, Any]) -> str:
    med = res["medians"]
    hello = med["hello"]
    rows = [[name, m["rps"], f"{m['rps'] / hello['rps']:.2f}x", m["p50"], m["p99"], m["cpu_us"]]
            for name, m in med.items()]
    head = (f"Rules-only spec over HTTP (order-validation), concurrency {res['concurrency']}, "
            f"{res['requests']} requests x {res['rounds']} rounds, medians{workers_note(res)}")
    return "\n".join([
        head,
        table(["server", "requests/s", "vs hello", "p50 ms", "p99 ms", "server CPU us/req"],
              rows),
        "per-round ratios to the hello-world: "
        + " ".join(f"{r:.2f}x" for r in res["round_ratios"])
        + f"; ratio of the medians {res['ratio_of_medians']:.2f}x",
        *(["thread writer's per-round ratios: "
           + " ".join(f"{r:.2f}x" for r in res["thread_writer_ratios"])
           + f"; median {median(res['thread_writer_ratios']):.2f}x"]
          if res.get("thread_writer_ratios") else []),
        f"throughput ratio (median of the rounds) {res['throughput_ratio']:.2f}x of the "
        f"hello-world (target >= {TARGET}x): {verdict(res['met'])}; specwright "
        f"{med['specwright']['rps']:.0f} requests/s absolute",
    ])


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--requests", type=int, default=5000)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--thread-writer", action="store_true",
                   help="also measure a server whose log writer is a thread (log_writer)")
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
