"""``bench/observe_overhead.py`` runs with its smallest sizes (it measures nothing here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_the_observe_bench_runs_and_writes_its_rows(tmp_path: Path) -> None:
    out = tmp_path / "observe.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "observe_overhead.py"), "--rounds", "1", "--runs", "64",
         "--json", str(out)],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(out.read_text())["rows"]
    assert set(rows) == {"plain", "plain, again", "metrics", "metrics + traces", "metrics + traces, 10% sampled",
                         "metrics + traces, 1% sampled"}
    assert rows["plain"]["ratio"] == 1.0 and all(r["cpu_us"] > 0 for r in rows.values())
