"""``bench/cel_engines.py`` runs, and what docs/cel-engines.md rests on still holds: both engines
agree on every CEL expression the compiler generates for the example specs, and the type checker
refuses none of them. (No speed is checked here.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_the_engines_agree_on_generated_cel(tmp_path: Path) -> None:
    out = tmp_path / "cel.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "cel_engines.py"), "--repeat", "20", "--json", str(out)],
        capture_output=True, text=True, timeout=240, check=False, cwd=tmp_path,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(out.read_text())
    total, differ = result["agreement"]["counts"]["generated"]
    assert total > 500 and differ == 0, result["agreement"]["disagreements"]
    assert result["agreement"]["checker_refused_generated"] == []
    assert {row[0] for row in result["messages"]} >= {"misspelled field", "wrong function"}
    assert len(result["revisions"]) == len(list((BENCH.parent / "specs").glob("*.md")))
