"""Every benchmark behind a claim in the README runs, and ``bench/run_all.py`` can read it.

Each script runs once with the smallest sizes it takes, in a child process on loopback, and its
output goes through the same summary function ``run_all.py`` builds its table with: a script
whose output the summary cannot read shows up here, not on the day someone re-measures. Nothing
here checks a speed (those are the benchmarks' business, on a quiet machine); it checks that
every command still measures what its table says.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SMOKE_ARGS: dict[str, list[str]] = {
    "rules_only_http": ["--rounds", "2", "--requests", "200", "--thread-writer"],
    "http_e2e": ["--rounds", "1", "--requests", "100"],
    "rules_only_http_workers": ["--rounds", "1", "--requests", "200", "--workers", "2"],
    "many_in_flight": ["--rounds", "1", "--requests", "50", "--latency-ms", "200",
                       "--rates", "20", "40", "--duration", "1"],
    "many_in_flight_workers": ["--rounds", "1", "--requests", "50", "--latency-ms", "200",
                               "--rates", "20", "--duration", "1", "--workers", "2",
                               "--no-floor"],
    "pipeline_overhead": ["--rounds", "1", "--calls", "64"],
    "router_overhead": ["--rounds", "1", "--calls", "64"],
    "compile_bench": ["--sizes", "3", "--rounds", "1"],
    "logstore_bench": ["--rounds", "1", "--seconds", "0.2"],
    "table_shape_bench": ["--rounds", "1", "--calls", "50"],
}


def _load(script: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{script}", BENCH / f"{script}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RUN_ALL = _load("run_all")


def run_script(name: str, tmp_path: Path) -> tuple[str, dict[str, Any] | None]:
    script = RUN_ALL.BENCHES[name][0]
    argv = [sys.executable, str(BENCH / f"{script}.py"), *SMOKE_ARGS[name]]
    json_path = tmp_path / f"{name}.json"
    if script in RUN_ALL.MINE:
        argv += ["--json", str(json_path)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=240, check=False,
                          cwd=tmp_path, env={**os.environ, "PYTHONWARNINGS": "error"})
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    result = json.loads(json_path.read_text()) if json_path.exists() else None
    return proc.stdout, result


def test_every_benchmark_of_run_all_has_a_smoke_run() -> None:
    assert set(SMOKE_ARGS) == set(RUN_ALL.BENCHES)


@pytest.mark.parametrize("name", sorted(SMOKE_ARGS))
def test_the_benchmark_runs_and_its_summary_reads_it(name: str, tmp_path: Path) -> None:
    out, result = run_script(name, tmp_path)
    rows = RUN_ALL.SUMMARY[name](out, result)
    assert rows, f"run_all found no result in {name}'s output:\n{out}"
    for label, measured, _target, verdict in rows:
        assert measured not in {"failed", "see output"}, f"{name}: {label}: {measured}\n{out}"
        assert verdict in {"met", "MISSED", ""}, (label, verdict)
    if name == "rules_only_http":
        assert result is not None
        # the verdict is the median of the per-round ratios, each pairing adjacent runs
        assert len(result["round_ratios"]) == 2
        assert result["throughput_ratio"] == pytest.approx(
            statistics.median(result["round_ratios"]))
        assert result["met"] == (result["throughput_ratio"] >= 0.8)
        assert len(result["thread_writer_ratios"]) == 2  # the other writer, in the same rounds
        assert any("thread" in str(row[0]) for row in rows)
    if name.endswith("_workers"):
        assert result is not None and result["workers"] == 2
        assert all(row[2] in {"(reference)", ""} for row in rows), rows
        assert "2 server processes each" in out
    if name == "many_in_flight":
        assert result is not None
        for runs in result["steady"].values():
            assert [r["rate"] for r in runs][:1] == [20]
            assert all(r["in_flight"] >= 1 for r in runs)


def test_a_rate_is_held_when_its_own_run_met_the_target() -> None:
    held_rate = _load("many_in_flight").held_rate

    def row(rate: float, added: float, errors: float = 0.0) -> dict[str, float]:
        return {"rate": rate, "added_p99": added, "errors": errors, "in_flight": rate * 2}

    # one spoiled run below does not undo a rate held above it; past capacity nothing is held
    rows = [row(50, 20), row(100, 250), row(200, 60), row(300, 4000)]
    assert held_rate(rows) == row(200, 60)
    assert held_rate([row(50, 20), row(100, 30, errors=1)]) == row(50, 20)
    assert held_rate([row(50, 100)]) is None  # the target is "under 100 ms"
    assert held_rate([]) is None
