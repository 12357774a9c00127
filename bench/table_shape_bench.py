"""Decision time of order-validation in-process: three one-output tables vs one three-output table.

order-validation's tables were rewritten from three tables that repeat the same conditions (one
per output: decision, reason_code, needs_review) into one table with three result columns. Both
forms decide every input the same (``specwright diff`` proves it with z3); this measures what
the rewrite is worth per decision. The three-table text is ``bench/fixtures/
order-validation-three-tables.md`` (the spec as it was before the rewrite); the one-table text is
``specs/order-validation.md``.

For each form, in the same process, interleaved round by round, over the same 8 inputs (every
row of the table is hit by one of them):

* ``runtime``: ``RunPlan.decide_tables`` as a run calls it (one combined program for every row
  condition, the single-hit fast path), with the remembered decisions cleared before each call,
  so every call evaluates the conditions;
* ``reference``: ``specwright.compiler.evaluate.evaluate_table`` for every table, the one
  evaluator the runtime falls back to (and the compiler checks examples with).

Microseconds per decision, medians over the rounds; the ratio is one table / three tables
(below 1: the one table is faster). Target: ratio < 1 for the runtime path.

    python bench/table_shape_bench.py [--rounds 7] [--calls 4000] [--json out.json]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import BENCH, ORDER_IN, REPO, median, table, verdict, write_json  # noqa: E402

from specwright.compiler import compile_spec  # noqa: E402
from specwright.compiler.evaluate import evaluate_table, to_cel_values  # noqa: E402
from specwright.compiler.ir import CompiledSpec  # noqa: E402
from specwright.runtime.engine.run_plan import RunPlan, build_plan  # noqa: E402

SOURCE = "specs/order-validation.md"
THREE = BENCH / "fixtures" / "order-validation-three-tables.md"
ONE = REPO / "specs" / "order-validation.md"
INPUTS: list[dict[str, Any]] = [
    ORDER_IN,
    {**ORDER_IN, "payment_status": "declined"},
    {**ORDER_IN, "item_count": 0},
    {**ORDER_IN, "shipping_country": "KP"},
    {**ORDER_IN, "fraud_score": 85},
    {**ORDER_IN, "payment_status": "pending"},
    {**ORDER_IN, "address_verified": False},
    {**ORDER_IN, "first_order": True, "order_total": 1500.0},
    {**ORDER_IN, "fraud_score": 60},
]
Decide = Callable[[dict[str, Any]], dict[str, Any]]


def runtime_path(compiled: CompiledSpec) -> Decide:
    plan: RunPlan = build_plan(compiled)

    def decide(values: dict[str, Any]) -> dict[str, Any]:
        plan.memo.clear()
        return plan.decide_tables(plan.cel.scope(values), values, []).results

    return decide


def reference_path(compiled: CompiledSpec) -> Decide:
    required = [f.name for f in compiled.spec.outputs if f.required]

    def decide(values: dict[str, Any]) -> dict[str, Any]:
        results: dict[str, Any] = {}
        for t in compiled.tables:
            results.update(evaluate_table(t, values, required=required).results)
        return results

    return decide


def per_call_us(decide: Decide, inputs: list[dict[str, Any]], calls: int) -> float:
    start = time.perf_counter()
    for i in range(calls):
        decide(inputs[i % len(inputs)])
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--calls", type=int, default=4000)
    p.add_argument("--json", default="")
    args = p.parse_args()
    specs = {
        "three tables": compile_spec(THREE.read_text(encoding="utf-8"), SOURCE),
        "one table": compile_spec(ONE.read_text(encoding="utf-8"), SOURCE),
    }
    values = [to_cel_values(specs["one table"].spec.inputs, data) for data in INPUTS]
    paths = {"runtime": runtime_path, "reference": reference_path}
    deciders = {(path, form): make(c) for path, make in paths.items() for form, c in specs.items()}
    for path in paths:  # both forms decide every input alike (the diff proves it for all inputs)
        for v in values:
            assert deciders[(path, "three tables")](v) == deciders[(path, "one table")](v)
    for decide in deciders.values():  # warm-up: CEL programs compiled, caches filled
        per_call_us(decide, values, 200)
    samples: dict[tuple[str, str], list[float]] = {key: [] for key in deciders}
    for _ in range(args.rounds):
        for key, decide in deciders.items():
            samples[key].append(per_call_us(decide, values, args.calls))
    result: dict[str, Any] = {"rounds": args.rounds, "calls": args.calls, "paths": {}}
    rows = []
    for path in paths:
        three = median(samples[(path, "three tables")])
        one = median(samples[(path, "one table")])
        ratio = one / three
        result["paths"][path] = {"three_us": three, "one_us": one, "ratio": ratio}
        rows.append([path, f"{three:.1f}", f"{one:.1f}", f"{ratio:.2f}x"])
    result["met"] = result["paths"]["runtime"]["ratio"] < 1.0
    print(table(["path", "three tables, us", "one table, us", "one / three"], rows))
    print(f"one table faster on the runtime path: {verdict(result['met'])}")
    write_json(args.json, result)


if __name__ == "__main__":
    main()
