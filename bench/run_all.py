"""Run every benchmark, print each one's table, then one summary table of the targets.

Each benchmark runs in its own process, one after another (they would skew each other if run
together), with its baseline measured in the same run: see each script's docstring.

    python bench/run_all.py                 # everything, default sizes (about 15 minutes)
    python bench/run_all.py --quick         # fewer rounds and requests (a smoke run)
    python bench/run_all.py --only http_e2e rules_only_http
    SPECWRIGHT_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test python bench/run_all.py
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import BENCH, PY, machine, table, verdict  # noqa: E402

Row = list[Any]
WORKERS = "2"  # the runs with several server processes: as many as this machine's cores
# name -> (script, arguments, quick arguments)
BENCHES: dict[str, tuple[str, list[str], list[str]]] = {
    "pipeline_overhead": ("pipeline_overhead", [], ["--rounds", "3", "--calls", "512"]),
    "router_overhead": ("router_overhead", [], ["--rounds", "3", "--calls", "512"]),
    "http_e2e": ("http_e2e", [], ["--rounds", "2", "--requests", "1000"]),
    "rules_only_http": ("rules_only_http", ["--thread-writer"],
                        ["--rounds", "2", "--requests", "2000"]),
    "rules_only_http_workers": ("rules_only_http", ["--workers", WORKERS],
                                ["--workers", WORKERS, "--rounds", "2", "--requests", "2000"]),
    "many_in_flight": ("many_in_flight", [], ["--rounds", "1", "--rates", "50", "100", "200"]),
    "many_in_flight_workers": ("many_in_flight", ["--workers", WORKERS, "--rounds", "1"],
                               ["--workers", WORKERS, "--rounds", "1", "--rates", "100", "200"]),
    "compile_bench": ("compile_bench", [], ["--sizes", "200", "1000", "--rounds", "1"]),
    "logstore_bench": ("logstore_bench", [], ["--rounds", "2", "--seconds", "2"]),
    "table_shape_bench": ("table_shape_bench", [], ["--rounds", "2", "--calls", "1000"]),
}
MINE = {"pipeline_overhead", "http_e2e", "rules_only_http", "many_in_flight", "table_shape_bench"}


def run_bench(name: str, script: str, args: list[str], workdir: Path
              ) -> tuple[str, dict[str, Any] | None]:
    argv = [PY, str(BENCH / f"{script}.py"), *args]
    json_path = workdir / f"{name}.json"
    if script in MINE:
        argv += ["--json", str(json_path)]
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    out = proc.stdout.rstrip()
    if proc.returncode != 0:
        out += f"\n{name} FAILED (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    result = json.loads(json_path.read_text()) if json_path.exists() else None
    return f"{out}\n({name}: {took:.0f} s)", result


def several(res: dict[str, Any]) -> int:
    """The server processes of a run with ``--workers`` (its targets are for one process, so
    its rows are for reference); 1 otherwise."""
    return int(res.get("workers", 1))


def _num(pattern: str, text: str, group: int = 1) -> float | None:
    m = re.search(pattern, text, re.M)
    return float(m.group(group).replace(",", "")) if m else None


def rows_pipeline(out: str, res: dict[str, Any] | None) -> list[Row]:
    if not res:
        return [["1. pipeline vs raw SDK", "failed", "", ""]]
    rows = []
    for conc, r in sorted(res["rows"].items(), key=lambda kv: int(kv[0])):
        cpu = r["pipeline"][0] / r["raw"][0]
        thr = r["pipeline"][1] / r["raw"][1]
        rows.append([f"1. pipeline vs raw SDK, concurrency {conc}",
                     f"CPU {cpu:.2f}x, throughput {thr:.2f}x", "CPU <= 1.2x, thr. >= 0.8x",
                     verdict(cpu <= 1.2 and thr >= 0.8)])
    return rows


def rows_router(out: str, res: dict[str, Any] | None) -> list[Row]:
    rows = []
    for m in re.finditer(r"^\s*(\d+) \|\s*\d+ \|\s*\d+ \|\s*([\d.]+) \|\s*\d+ \|\s*\d+ \|\s*([\d.]+)",
                         out, re.M):
        cpu, thr = float(m.group(2)), float(m.group(3))
        rows.append([f"   router+provider vs raw SDK (model layer), concurrency {m.group(1)}",
                     f"CPU {cpu:.2f}x, throughput {thr:.2f}x", "CPU <= 1.2x, thr. >= 0.8x",
                     verdict(cpu <= 1.2 and thr >= 0.8)])
    return rows or [["   router_overhead", "see output", "", ""]]


def rows_e2e(out: str, res: dict[str, Any] | None) -> list[Row]:
    if not res:
        return [["2. HTTP end to end", "failed", "", ""]]
    m = res["medians"]
    ours, floor = m["specwright"], m["floor"]
    rows: list[Row] = [["2. HTTP e2e vs FastAPI + raw SDK, c=64",
                        f"{res['throughput_ratio']:.2f}x ({ours['rps']:.0f} vs "
                        f"{floor['rps']:.0f} req/s; p50 {ours['p50']:.0f}/{floor['p50']:.0f} ms, "
                        f"p99 {ours['p99']:.0f}/{floor['p99']:.0f} ms)", ">= 0.8x",
                        verdict(res["met"])]]
    fixed = m.get("floor, idle fix")
    if fixed:
        rows.append(["2. … vs the floor with the same idle-connection fix",
                     f"{ours['rps'] / fixed['rps']:.2f}x ({fixed['rps']:.0f} req/s)", "", ""])
    return rows


def rows_rules(out: str, res: dict[str, Any] | None) -> list[Row]:
    if not res:
        return [["3. rules-only over HTTP", "failed", "", ""]]
    m, rounds = res["medians"], res["round_ratios"]
    measured = (f"{res['throughput_ratio']:.2f}x, median of {len(rounds)} rounds "
                f"({min(rounds):.2f}x-{max(rounds):.2f}x; {m['specwright']['rps']:.0f} "
                f"vs {m['hello']['rps']:.0f} req/s)")
    if several(res) > 1:
        return [[f"3. the same, {several(res)} server processes each", measured, "(reference)",
                 ""]]
    rows: list[Row] = [["3. rules-only spec vs FastAPI hello-world, c=64", measured, ">= 0.8x",
                        verdict(res["met"])]]
    threaded = res.get("thread_writer_ratios")
    if threaded:
        rows.append(["   the same, log_writer = \"thread\"",
                     f"{statistics.median(threaded):.2f}x, median of {len(threaded)} rounds",
                     "", ""])
    return rows


def rows_inflight(out: str, res: dict[str, Any] | None) -> list[Row]:
    if not res:
        return [["4. many in flight", "failed", "", ""]]
    w = res["worst"]
    held = [[f"   steady load held by {name} (added p99 < 100 ms)",
             "no rate tried" if found is None else
             f"{found['rate']:.0f} req/s, {found['in_flight']:.0f} in flight", "", ""]
            for name, found in res.get("held", {}).items()]
    if several(res) > 1:
        return [[f"4. the same, {several(res)} server processes each: errors, peak RSS, "
                 "added p99", f"{int(w['errors'])}, {w['peak_rss_mb']:.0f} MB, "
                 f"{w['added_p99']:.0f} ms", "(reference)", ""], *held]
    return [["4. 2,000 in flight, 2 s model: errors", int(w["errors"]), "0",
             verdict(w["errors"] == 0)],
            ["   peak RSS", f"{w['peak_rss_mb']:.0f} MB", "< 500 MB",
             verdict(w["peak_rss_mb"] < 500)],
            ["   added p99 latency", f"{w['added_p99']:.0f} ms", "< 100 ms",
             verdict(w["added_p99"] < 100)],
            *held]


def rows_compile(out: str, res: dict[str, Any] | None) -> list[Row]:
    rows: list[Row] = []
    for label, target in (("cold `specwright compile`", 3.0),
                          ("no-change `specwright compile --check`", 0.5)):
        line = next((ln for ln in out.splitlines() if ln.startswith(label)), None)
        if line is None:
            rows.append([f"5. compile: {label}", "see output", "", ""])
            continue
        # one "wall" or "wall / CPU" figure per size
        values = [float(v) for v in re.findall(r"([\d.]+)(?:\s*/\s*[\d.]+)?", line[len(label):])]
        sizes = re.findall(r"(\d+) specs", out)
        text = ", ".join(f"{n} specs {v:.2f} s" for n, v in zip(sizes, values, strict=False))
        text += " (wall)"
        first = values[0] if values else float("inf")
        rows.append([f"5. compile: {label}", text, f"< {target:g} s at 200 specs",
                     verdict(first < target)])
    return rows


def rows_logstore(out: str, res: dict[str, Any] | None) -> list[Row]:
    rows: list[Row] = []
    for backend in ("sqlite", "postgres"):
        rate = _num(rf"^{backend}\s+store\.write, \d+ writers\s+([\d,]+)", out)
        if rate is None:
            continue
        target = ">= 5,000 runs/s" if backend == "sqlite" else "(none)"
        ok = verdict(rate >= 5000) if backend == "sqlite" else ""
        rows.append([f"6. execution log, {backend}, durable", f"{rate:,.0f} runs/s", target, ok])
    return rows or [["6. execution log", "see output", "", ""]]


def rows_table_shape(out: str, res: dict[str, Any] | None) -> list[Row]:
    if not res:
        return [["12. order-validation, one table vs three", "failed", "", ""]]
    rows: list[Row] = []
    for path, r in res["paths"].items():
        target, ok = ("< 1x", verdict(r["ratio"] < 1.0)) if path == "runtime" else ("", "")
        rows.append([f"12. order-validation decision, one table / three, {path}",
                     f"{r['ratio']:.2f}x ({r['one_us']:.0f} vs {r['three_us']:.0f} us)",
                     target, ok])
    return rows


SUMMARY: dict[str, Callable[[str, dict[str, Any] | None], list[Row]]] = {
    "pipeline_overhead": rows_pipeline, "router_overhead": rows_router, "http_e2e": rows_e2e,
    "rules_only_http": rows_rules, "rules_only_http_workers": rows_rules,
    "many_in_flight": rows_inflight, "many_in_flight_workers": rows_inflight,
    "compile_bench": rows_compile, "logstore_bench": rows_logstore,
    "table_shape_bench": rows_table_shape,
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer rounds and requests")
    p.add_argument("--only", nargs="+", choices=list(BENCHES), default=list(BENCHES))
    args = p.parse_args()
    print(f"machine: {machine()}; PostgreSQL: "
          f"{'yes' if os.environ.get('SPECWRIGHT_TEST_POSTGRES_URL') else 'not set (skipped)'}\n")
    summary: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="sw-bench-all-") as tmp:
        for name in args.only:
            script, full, quick = BENCHES[name]
            out, res = run_bench(name, script, quick if args.quick else full, Path(tmp))
            print(f"== {name}\n{out}\n", flush=True)
            summary += SUMMARY[name](out, res)
    print("== summary")
    print(table(["benchmark", "measured", "target", "verdict"], summary))


if __name__ == "__main__":
    main()
