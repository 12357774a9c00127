"""Benchmark ``specwright compile``: cold compile and the no-change ``--check``.

Generates N synthetic specs (variations of the carrier-selection form: different field names,
bounds, enum values, decision tables and guardrails; two guardrails read table-decided outputs, so
the exact analysis runs its solver on every spec) into a temporary project, then per round:

* cold compile, in-process (``specwright.runtime.project.compile_all.compile_project``, empty ``generated/``);
* cold compile, ``specwright compile`` in a subprocess (interpreter start and imports included);
* no-change check, in-process (``specwright.runtime.project.check.check_project``) and as a subprocess
  (``specwright compile --check``).

Prints a table of medians. Targets: 200 specs cold < 3 s, no-change ``--check`` < 0.5 s.

    python bench/compile_bench.py [--sizes 200 1000] [--rounds 3] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

NOUNS = ("carrier", "warehouse", "refund", "listing", "payment", "address", "order", "return")
CHANNELS = (("web", "store", "phone"), ("app", "web"), ("b2b", "b2c", "marketplace", "phone"))


def synthetic_spec(i: int) -> str:
    """One valid spec; ``i`` varies names, bounds, enums, table rows and optional sections."""
    noun = NOUNS[i % len(NOUNS)]
    p = f"{noun[:4]}{i % 97}"
    w, d, r, v = 20 + i % 80, 5 + i % 25, 80 + i % 300, 100 + (i * 37) % 5000
    a = 1 + i % 3
    channels = CHANNELS[i % len(CHANNELS)]
    extra_inputs = ""
    if i % 3 == 0:
        extra_inputs += f"| {p}_note | text | optional, max {50 + i % 200} characters | A note |\n"
    if i % 4 == 0:
        extra_inputs += f"| {p}_since | date | optional | Customer since |\n"
    extra_rows = "".join(f'| {a + 2 + k}..{a + 2 + k} | - | mid |\n' for k in range(i % 4))
    example_in = {f"{p}_id": f"C-{i}", f"{p}_weight": 1.5, f"{p}_days": 1, f"{p}_value": 10,
                  f"{p}_channel": channels[0]}
    return f"""---
name: spec-{i:04d}
title: Synthetic {noun} decision {i}
owner: bench
models:
  - openai:gpt-4.1-mini
  - anthropic:claude-haiku-4-5
routing: fallback
---

# Synthetic {noun} decision {i}

Decide the {noun} handling for case {i}. We want the cheapest handling that still keeps the
promise we made. A lead reads the reason, so keep it short and concrete.

## Input

| field | type | constraints | description |
|---|---|---|---|
| {p}_id | text | 1..40 characters | Our case number |
| {p}_weight | number | > 0, <= {w} | Weight in kilograms |
| {p}_days | integer | 1..{d} | Days promised |
| {p}_value | money | >= 0 | Declared value in USD |
| {p}_region | text | optional | Region code |
| {p}_flag | yes/no | default no | Needs special care |
| {p}_channel | one of: {", ".join(channels)} | | Sales channel |
{extra_inputs}
## Output

| field | type | description |
|---|---|---|
| tier | one of: low, mid, high | Handling tier |
| insured | yes/no | Buy extra insurance |
| handler | one of: alpha, beta, gamma | Who handles it |
| reason | text, max {r} characters | One sentence for the lead |

## Rules

1. Never give flagged cases to alpha.
2. Prefer the cheapest handler that keeps the promise of {d} days.
3. Explain the choice in one plain sentence in `reason`.

## Decision: tier

| {p}_days | {p}_channel | tier |
|---|---|---|
| <= {a} | - | high |
| {a + 1}..{a + 1} | "{channels[0]}" | mid |
{extra_rows}| - | - | low |

## Decision: insured

| {p}_value | insured |
|---|---|
| > {v} | yes |
| - | no |

## Guardrails

- Flagged cases never go to alpha: `!(input.{p}_flag && output.handler == "alpha")`
- Valuable cases are insured: `input.{p}_value <= {v} || output.insured`
- Urgent cases are handled first: `input.{p}_days > {a} || output.tier == "high"`

## Examples

### Urgent case

```json
{json.dumps({"input": example_in, "output": {"tier": "high", "insured": False}})}
```
"""


def make_project(n: int, base: str | None = None) -> Path:
    root = Path(tempfile.mkdtemp(prefix=f"specwright-bench-{n}-", dir=base))
    (root / "specs").mkdir()
    for i in range(n):
        (root / "specs" / f"spec-{i:04d}.md").write_text(synthetic_spec(i), encoding="utf-8")
    return root


def _cpu() -> float:
    """CPU seconds of this process and its finished children (load-independent)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one call."""
    wall, cpu = time.perf_counter(), _cpu()
    fn()
    return time.perf_counter() - wall, _cpu() - cpu


def cli(root: Path, *args: str) -> Callable[[], None]:
    exe = Path(sys.executable).with_name("specwright")

    def run() -> None:
        proc = subprocess.run([str(exe), *args, "--project", str(root)], capture_output=True,
                              text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"specwright {' '.join(args)} failed:\n{proc.stderr[-2000:]}")

    return run


def bench(n: int, rounds: int, base: str | None = None) -> dict[str, tuple[float, float]]:
    from specwright.runtime.config import load_settings
    from specwright.runtime.project.check import check_project
    from specwright.runtime.project.compile_all import compile_project

    root = make_project(n, base)
    settings = load_settings(root)
    samples: dict[str, list[tuple[float, float]]] = {}

    def record(label: str, seconds: tuple[float, float]) -> None:
        samples.setdefault(label, []).append(seconds)

    def compile_in_process() -> None:
        result = compile_project(root, settings)
        if not result.ok:
            raise SystemExit("\n".join(str(d) for d in result.all_diagnostics[:20]))

    try:
        for _ in range(rounds):
            shutil.rmtree(root / "generated", ignore_errors=True)
            record("cold compile, in-process", timed(compile_in_process))
            record("no-change check, in-process", timed(lambda: check_project(root, settings)))
            shutil.rmtree(root / "generated", ignore_errors=True)
            record("cold `specwright compile`", timed(cli(root, "compile")))
            record("no-change `specwright compile`", timed(cli(root, "compile")))
            record("no-change `specwright compile --check`", timed(cli(root, "compile", "--check")))
            record("full `specwright compile --check --full`",
                   timed(cli(root, "compile", "--check", "--full")))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {
        label: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
        for label, values in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", default=None,
                        help="where to create the temporary projects (default: the system temp "
                             "directory; file creation speed there dominates a cold compile)")
    args = parser.parse_args()
    results = {n: bench(n, args.rounds, args.dir) for n in args.sizes}
    labels = list(next(iter(results.values())))
    width = max(len(label) for label in labels)
    print(f"median of {args.rounds} rounds, seconds: wall / CPU (CPU = user + system, "
          "children included)")
    print(f"{'':<{width}}" + "".join(f"  {f'{n} specs':>15}" for n in results))
    for label in labels:
        cells = "".join(f"  {results[n][label][0]:>6.2f} / {results[n][label][1]:>5.2f}"
                        for n in results)
        print(f"{label:<{width}}{cells}")


if __name__ == "__main__":
    main()
