"""Metrics and traces on the rules-only path: CPU per run with them vs. without, same process.

order-validation (every output decided by tables, no model) runs through
``specwright.runtime.engine.pipeline.execute`` with a durable SQLite log (writer thread), in
interleaved rounds:

* ``plain``: the run alone (no metrics, tracing off): the baseline;
* ``metrics``: plus ``observe_run`` of every run (what ``/specs/...`` does in the server);
* ``metrics + traces``: plus tracing on, into an OpenTelemetry SDK ``TracerProvider`` with a
  ``BatchSpanProcessor`` and an exporter that drops the spans (the export itself happens off
  the event loop, in the processor's thread, and is not what is measured);
* ``metrics + traces, N% sampled``: the same with ``ParentBased(TraceIdRatioBased(N/100))``
  (what ``OTEL_TRACES_SAMPLER=parentbased_traceidratio`` with ``OTEL_TRACES_SAMPLER_ARG`` sets).

CPU per run is ``time.process_time()`` of this process (every thread) over the runs; the ratio
of each row to ``plain`` of the same round, median over rounds. Target: metrics and traces
together <= 1.05 (docs/performance.md has what each row measured).

    python bench/observe_overhead.py [--rounds 7] [--runs 4000] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import median, table, verdict, write_json  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TARGET = 1.05
ORDER = {"order_id": "A-1", "order_total": 120.0, "item_count": 2, "shipping_country": "US",
         "payment_status": "authorized", "address_verified": True, "fraud_score": 5}
MODES = ("plain", "metrics", "metrics + traces", "metrics + traces, 10% sampled",
         "metrics + traces, 1% sampled")


def providers() -> dict[str, Any]:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    class Drop(SpanExporter):
        def export(self, spans: Sequence[Any]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    every = TracerProvider()
    every.add_span_processor(BatchSpanProcessor(Drop()))
    found = {"metrics + traces": every}
    for share in (10, 1):
        sampled = TracerProvider(sampler=ParentBased(TraceIdRatioBased(share / 100)))
        sampled.add_span_processor(BatchSpanProcessor(Drop()))
        found[f"metrics + traces, {share}% sampled"] = sampled
    return found


async def bench(args: argparse.Namespace, tmp: Path) -> dict[str, list[float]]:
    from specwright.runtime.engine.catalog import load_catalog
    from specwright.runtime.engine.pipeline import execute
    from specwright.runtime.http.app import tune_gc_for_serving
    from specwright.runtime.logstore.sqlite import SQLiteLogStore
    from specwright.runtime.observe import tracing
    from specwright.runtime.observe.metrics import observe_run

    revision = load_catalog(REPO / "generated").resolve("order-validation", 1)
    store = SQLiteLogStore(tmp / "runs.sqlite3")
    await store.start()
    traced = providers()

    def run_with(observe: bool) -> Callable[[], Awaitable[None]]:
        async def call() -> None:
            result = await execute(revision, ORDER, model=_no_model, store=store)
            if observe:
                observe_run(result.run)

        return call

    async def measure(mode: str, runs: int) -> float:
        tracing.uninstall()
        if mode in traced:
            tracing.install(traced[mode])
        call = run_with(mode != "plain")
        per_worker = runs // 16

        async def worker() -> None:
            for _ in range(per_worker):
                await call()

        cpu0 = time.process_time()
        await asyncio.gather(*(worker() for _ in range(16)))
        cpu = time.process_time() - cpu0
        tracing.uninstall()
        return cpu / (per_worker * 16) * 1e6

    ratios: dict[str, list[float]] = {}
    try:
        for mode in MODES:
            await measure(mode, 512)  # warm up
        tune_gc_for_serving()
        for r in range(args.rounds):
            order = list(MODES) if r % 2 == 0 else list(MODES)[::-1]
            cpu = {mode: await measure(mode, args.runs) for mode in order}
            for mode in MODES:
                ratios.setdefault(mode, []).append(cpu[mode] / cpu["plain"])
                ratios.setdefault(f"{mode} us", []).append(cpu[mode])
    finally:
        await store.close()
        for provider in traced.values():
            provider.shutdown()
    return ratios


def _no_model() -> Any:
    raise AssertionError("order-validation is rules-only")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--runs", type=int, default=4000)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sw-bench-observe-") as tmp:
        raw = asyncio.run(bench(args, Path(tmp)))
    rows = [(mode, f"{median(raw[f'{mode} us']):.1f}", f"{median(raw[mode]):.3f}")
            for mode in MODES]
    both = median(raw["metrics + traces"])
    print(table(("mode", "CPU us/run", "ratio to plain"), rows))
    print(f"metrics + traces: {both:.3f} x plain (target <= {TARGET}): {verdict(both <= TARGET)}")
    if args.json:
        write_json(args.json, {"rows": {m: {"cpu_us": median(raw[f"{m} us"]),
                                            "ratio": median(raw[m])} for m in MODES},
                               "met": both <= TARGET, "rounds": args.rounds, "runs": args.runs})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
