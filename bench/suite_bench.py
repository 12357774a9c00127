"""Benchmark ``specwright test`` over the example specs, as a ratio against a baseline.

The test suite asserts no wall time (a loaded machine made a 60 s limit fail at 70 s); how long
the README's test command takes is measured here instead. Per round, in one temporary project
holding every spec of ``specs/``, compiled once:

* the baseline: ``specwright compile --check`` in a subprocess (interpreter start, imports and a
  pass over every spec: what any command of the CLI pays);
* ``specwright test`` in a subprocess (every generated suite, model-decided examples skipped).

Prints the medians and their ratio; the ratio is what to compare between machines.

    python bench/suite_bench.py [--rounds 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SPECWRIGHT = str(Path(sys.executable).with_name("specwright"))
PYTEST_CONFIG = """[tool.pytest.ini_options]
addopts = "--import-mode=importlib -p no:cacheprovider"
asyncio_default_fixture_loop_scope = "function"
"""


def _timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sw-test-bench-") as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "specs", root / "specs")
        (root / "specwright.toml").write_text("", encoding="utf-8")
        (root / "pyproject.toml").write_text(PYTEST_CONFIG, encoding="utf-8")
        _timed([SPECWRIGHT, "compile"], root)
        base, test = [], []
        for _ in range(args.rounds):
            base.append(_timed([SPECWRIGHT, "compile", "--check"], root))
            test.append(_timed([SPECWRIGHT, "test"], root))
    b, t = statistics.median(base), statistics.median(test)
    print(f"{'command':<28} | median s")
    print(f"{'specwright compile --check':<28} | {b:8.2f}")
    print(f"{'specwright test':<28} | {t:8.2f}")
    print(f"ratio test / compile --check: {t / b:.1f}x over {args.rounds} rounds")
    if args.json:
        args.json.write_text(json.dumps({"baseline_s": b, "test_s": t, "ratio": t / b}))


if __name__ == "__main__":
    main()
