"""Metrics and traces on the rules-only path: CPU per run with them vs. without, same process.

order-validation (every output decided by tables, no model) runs through
``specwright.runtime.engine.pipeline.execute`` with a durable SQLite log whose commits run in a
writer process, as in the server (so the ratios are of the event loop's process alone: the
writer's CPU is not in the denominator, which makes them stricter). 16 callers at once. Modes:

* ``plain``: the run alone (no metrics, tracing off): the baseline; ``plain, again`` is the
  same thing measured as if it were another mode (an A/A control: how far from 1.000 the
  measurement itself wanders);
* ``metrics``: plus ``observe_runs`` listening to the log store, as in the server: each
  commit's runs counted together, before their callers resume;
* ``metrics + traces``: plus every run traced, into an OpenTelemetry SDK ``BatchSpanProcessor``
  with an exporter that drops the spans (the batching thread's CPU is counted, the export's
  network and encoding are not: they depend on the collector);
* ``metrics + traces, N% sampled``: the same, one run in 100/N traced (what
  ``OTEL_TRACES_SAMPLER=parentbased_traceidratio`` with ``OTEL_TRACES_SAMPLER_ARG`` sets).

CPU is ``time.process_time()`` of this process (every thread). A shared machine has slow spells
of a second or more in which every run costs up to 1.5x; so the modes take turns in many
short rounds (a shuffled order each round), and each mode's ratio is its CPU summed over all
rounds over ``plain``'s, with the median of the per-round ratios beside it. Target: metrics and
traces together <= 1.05 (docs/performance.md has what each row measured).

The observing work is also measured alone, in a loop over the last logged run
(``observe_runs`` of as many copies of it as the bench's commits held on average; a tracer's
per-run decision and, when sampled, its spans, with the batch processor flushed in the loop so
its export work is counted), and reported as a share of ``plain``. Alone is a lower bound: in
a hot loop the same few objects stay in the CPU's caches, which between two runs they do not.
The verdict is the whole-run ratio's.

    python bench/observe_overhead.py [--rounds 301] [--runs 128] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import median, table, verdict, write_json  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TARGET = 1.05
ORDER = {"order_id": "A-1", "order_total": 120.0, "item_count": 2, "shipping_country": "US",
         "payment_status": "authorized", "address_verified": True, "fraud_score": 5}
MODES = ("plain", "plain, again", "metrics", "metrics + traces", "metrics + traces, 10% sampled",
         "metrics + traces, 1% sampled")
OBSERVED = MODES[2:]


def tracers() -> dict[str, Any]:
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    from specwright.runtime.observe.sampling import Sampling
    from specwright.runtime.observe.tracing import RunTracer

    class Drop(SpanExporter):
        def export(self, spans: Sequence[Any]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    found = {"metrics + traces": RunTracer(BatchSpanProcessor(Drop()))}
    for share in (10, 1):
        found[f"metrics + traces, {share}% sampled"] = RunTracer(
            BatchSpanProcessor(Drop()), sampling=Sampling(ratio=share / 100))
    return found


async def bench(args: argparse.Namespace, tmp: Path) -> dict[str, list[float]]:
    from specwright.runtime.engine.catalog import load_catalog
    from specwright.runtime.engine.pipeline import execute
    from specwright.runtime.http.app import tune_gc_for_serving
    from specwright.runtime.logstore.sqlite import SQLiteLogStore
    from specwright.runtime.observe import tracing
    from specwright.runtime.observe.metrics import observe_runs

    revision = load_catalog(REPO / "generated").resolve("order-validation", 1)
    store = SQLiteLogStore(tmp / "runs.sqlite3", writer="process")  # as the server does
    await store.start()
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 1:
        # This process on one core, the writer process (started above) on the others: the
        # runs' CPU caches are not shared with the commits'.
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    traced = tracers()

    async def measure(mode: str, runs: int) -> float:
        tracing.ACTIVE = traced.get(mode)
        stop = store.listen(observe_runs) if mode.startswith("metrics") else None
        per_worker = runs // 16

        async def worker() -> None:
            for _ in range(per_worker):
                await execute(revision, ORDER, model=_no_model, store=store)

        cpu0 = time.process_time()
        await asyncio.gather(*(worker() for _ in range(16)))
        cpu = time.process_time() - cpu0
        tracing.uninstall()
        if stop is not None:
            stop()
        return cpu / (per_worker * 16) * 1e6

    ratios: dict[str, list[float]] = {}
    last: list[Any] = []
    try:
        for mode in MODES:
            await measure(mode, 1024)  # warm up
        tune_gc_for_serving()
        for r in range(args.rounds):
            order = list(MODES)
            random.Random(r).shuffle(order)  # no mode always next to a WAL checkpoint or GC
            cpu = {mode: await measure(mode, args.runs) for mode in order}
            for mode in MODES:
                ratios.setdefault(mode, []).append(cpu[mode] / cpu["plain"])
                ratios.setdefault(f"{mode} us", []).append(cpu[mode])
        last.append((await execute(revision, ORDER, model=_no_model, store=store)).run)
        batch = max(1, round(store.stats.mean_batch))
        ratios["mean batch"] = [store.stats.mean_batch]
        for mode in OBSERVED:
            ratios[f"{mode} alone"] = [alone(last[0], batch, observe_runs, traced.get(mode))]
    finally:
        await store.close()
        for tracer in traced.values():
            tracer.shutdown()
    return ratios


def alone(run: Any, batch: int, observe: Callable[[Any], None], tracer: Any,
          loops: int = 20_000) -> float:
    """CPU us per run of ``observe_runs`` (``batch`` copies of the run, as one commit) and (when
    given) the tracer's work, without a run."""
    steps = [("validate", 1, 2), ("tables", 2, 3), ("guardrails", 3, 4), ("log.write", 4, 5)]
    best = float("inf")
    group = [run] * batch
    for _ in range(5):
        cpu0 = time.process_time()
        for i in range(loops):
            if i % batch == 0:
                observe(group)
            if tracer is not None:
                marks = tracer.begin(None)
                if marks is not None:
                    marks.steps.extend(steps)
                    tracer.record(run, marks, 6)
                if i % 256 == 0:
                    tracer.processor.force_flush()
        best = min(best, time.process_time() - cpu0)
    return best / loops * 1e6


def quartiles(values: Sequence[float]) -> tuple[float, float]:
    """The first and third quartiles (both the value itself for one round)."""
    if len(values) < 2:
        return values[0], values[0]
    cuts = statistics.quantiles(values, n=4)
    return cuts[0], cuts[2]


def _no_model() -> Any:
    raise AssertionError("order-validation is rules-only")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=301)
    parser.add_argument("--runs", type=int, default=128)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sw-bench-observe-") as tmp:
        raw = asyncio.run(bench(args, Path(tmp)))
    total = {mode: sum(raw[f"{mode} us"]) for mode in MODES}
    ratio = {mode: total[mode] / total["plain"] for mode in MODES}
    rows = [(mode, f"{total[mode] / len(raw[f'{mode} us']):.1f}", f"{ratio[mode]:.3f}",
             f"{median(raw[mode]):.3f}", "{:.3f}-{:.3f}".format(*quartiles(raw[mode])))
            for mode in MODES]
    print(table(("mode", "CPU us/run", "ratio to plain", "median round", "middle half"), rows))
    print(f"runs per commit (mean): {median(raw['mean batch']):.1f}")
    plain = total["plain"] / len(raw["plain us"])
    share = {m: median(raw[f"{m} alone"]) / plain for m in OBSERVED}
    print(table(("measured alone", "CPU us/run", "share of a plain run"),
                [(m, f"{median(raw[f'{m} alone']):.2f}", f"{share[m]:.1%}") for m in OBSERVED]))
    met = {mode: ratio[mode] <= TARGET for mode in OBSERVED}
    for mode in OBSERVED:
        print(f"{mode}: {ratio[mode]:.3f} x plain (target <= {TARGET}): "
              f"{verdict(met[mode])}; measured alone {share[mode]:.1%} of a plain run")
    if args.json:
        write_json(args.json, {"rows": {m: {"cpu_us": total[m] / len(raw[f"{m} us"]),
                                            "ratio": ratio[m], "median_round": median(raw[m]),
                                            "quartiles": quartiles(raw[m])} for m in MODES},
                               "alone_us": {m: median(raw[f"{m} alone"]) for m in OBSERVED},
                               "met": met, "rounds": args.rounds, "runs": args.runs,
                               "mean_batch": median(raw["mean batch"])})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
