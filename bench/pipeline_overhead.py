"""Pipeline overhead: the full execution pipeline in-process vs. a raw ``openai`` SDK call.

A fake model server (``python -m specwright.runtime.fakeserver``) runs in another process on 127.0.0.1, so its
CPU is not counted. In this process, for each round and each concurrency (1 and 64), these make
the same model call against it, interleaved:

* ``raw``: ``openai.AsyncOpenAI(max_retries=0).chat.completions.create(...)`` with the same
  messages and strict ``response_format`` as the pipeline sends, then ``json.loads`` of the answer;
* ``pipeline``: ``specwright.runtime.engine.pipeline.execute`` on carrier-selection (route ``openai:gpt-4.1-mini``):
  validate the input, 2 decision tables, render the prompt, router + OpenAI adapter, parse,
  validate the merged output, guardrails, build the run record, durable SQLite log write;
* ``pipeline, no log``: the same with a store whose ``write`` does nothing (where the log's cost
  shows);
* ``instant model`` rows: the pipeline with a model that answers at once without any I/O (through
  the router): the pipeline's own CPU, with and without the log.

After the warm-up, the process's garbage collector is set as ``specwright serve`` sets its own
(``specwright.runtime.http.app.tune_gc_for_serving``), for every client alike.

CPU per call is ``time.process_time()`` of this process (every thread, so the log writer thread
is counted) over the calls; throughput is calls per wall-clock second. Medians over the rounds.
Targets: CPU ratio <= 1.2, throughput ratio >= 0.8 (pipeline vs raw).

    python bench/pipeline_overhead.py [--rounds 5] [--calls 2048] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (  # noqa: E402
    CARRIER_IN,
    KEY_ENV,
    bench_project,
    median,
    start_fake,
    table,
    verdict,
    write_json,
)

CPU_TARGET, THROUGHPUT_TARGET = 1.2, 0.8
Call = Callable[[], Awaitable[Any]]


async def measure(call: Call, calls: int, concurrency: int) -> tuple[float, float]:
    """(CPU microseconds per call, calls per second)."""
    per_worker = max(1, calls // concurrency)

    async def worker() -> None:
        for _ in range(per_worker):
            await call()

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    done = per_worker * concurrency
    return cpu / done * 1e6, done / wall


class NullStore:
    async def write(self, run: Any) -> None:
        return None


class InstantModel:
    """Answers every request at once with a fixed, valid answer (no I/O)."""

    name = "fake:instant"

    async def complete(self, request: Any) -> Any:
        from specwright.runtime.models.base import Completion, Usage

        data = {"carrier": "ups", "reason": "Cheapest carrier that meets the promise."}
        return Completion(data=data, model=self.name, text=json.dumps(data),
                          usage=Usage(300, 20))


async def bench(project: Path, fake_url: str, args: argparse.Namespace
                ) -> dict[str, list[tuple[float, float]]]:
    import openai

    from specwright.compiler.ir import Route, RouteModel
    from specwright.runtime.config import load_settings
    from specwright.runtime.engine.catalog import load_catalog
    from specwright.runtime.engine.pipeline import execute
    from specwright.runtime.engine.prompting import render_messages, schema_name
    from specwright.runtime.http.app import tune_gc_for_serving
    from specwright.runtime.logstore.sqlite import SQLiteLogStore
    from specwright.runtime.models.lowering import lower
    from specwright.runtime.models.registry import ClientPool, build_route
    from specwright.runtime.models.router import Router

    settings = load_settings(project, {})
    revision = load_catalog(project / "generated").resolve("carrier-selection", 1)
    pool = ClientPool()
    router = build_route(Route(models=(RouteModel(ref="openai:gpt-4.1-mini"),)), settings,
                         KEY_ENV, pool=pool)
    store = SQLiteLogStore(project / "runs.sqlite3")
    await store.start()
    instant = Router.of([InstantModel()])

    def pipeline_with(model: Any, log: Any) -> Call:
        async def call() -> None:
            result = await execute(revision, CARRIER_IN, model=lambda: model, store=log,
                                   deadline_s=60.0)
            if result.status_code != 200:
                raise RuntimeError(f"pipeline answered {result.status_code}: {result.body}")

        return call

    validated = revision.input_model.model_validate(CARRIER_IN).model_dump(mode="json")
    decided = {"service": "ground", "insured": False}
    messages: Any = [{"role": m.role, "content": m.content}
                     for m in render_messages(revision, validated, decided)]
    response_format: Any = {"type": "json_schema", "json_schema": {
        "name": schema_name(revision.name), "strict": True,
        "schema": lower(dict(revision.model_output_schema), "openai").schema}}
    client = openai.AsyncOpenAI(api_key=KEY_ENV["BENCH_OPENAI_KEY"], base_url=f"{fake_url}/v1",
                                max_retries=0)

    async def raw() -> None:
        r = await client.chat.completions.create(
            model="gpt-4.1-mini", messages=messages, response_format=response_format,
            timeout=30.0)
        json.loads(r.choices[0].message.content or "")

    calls: dict[str, Call] = {
        "raw": raw, "pipeline": pipeline_with(router, store),
        "pipeline, no log": pipeline_with(router, NullStore()),
        "instant model": pipeline_with(instant, store),
        "instant model, no log": pipeline_with(instant, NullStore()),
    }
    results: dict[str, list[tuple[float, float]]] = {}
    try:
        for fn in calls.values():  # warm up: connections, imports, caches
            await measure(fn, 256, 64)
        # The collector as `specwright serve` sets it once start-up is done; every client below
        # (the raw SDK included) runs under the same settings.
        tune_gc_for_serving()
        if args.profile:
            await profile(calls["pipeline"], args.calls, args.concurrency)
            return {}
        for r in range(args.rounds):
            names = list(calls) if r % 2 == 0 else list(calls)[::-1]
            for conc, n in ((1, max(args.calls // 4, 1)), (args.concurrency, args.calls)):
                for name in names:
                    results.setdefault(f"{name}@{conc}", []).append(
                        await measure(calls[name], n, conc))
    finally:
        await client.close()
        await pool.aclose()
        await store.close()
    results["mean runs per log commit"] = [(store.stats.mean_batch, 0.0)]
    return results


async def profile(call: Call, calls: int, concurrency: int) -> None:
    prof = cProfile.Profile()
    prof.enable()
    await measure(call, calls, concurrency)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(30)
    print(out.getvalue())


def run(args: argparse.Namespace) -> dict[str, Any]:
    fake = start_fake()
    try:
        with tempfile.TemporaryDirectory(prefix="sw-bench-pipeline-") as tmp:
            project = bench_project(Path(tmp), fake.url,
                                    {"carrier-selection": ["openai:gpt-4.1-mini"]})
            raw = asyncio.run(bench(project, fake.url, args))
    finally:
        fake.stop()
    batch = raw.pop("mean runs per log commit", [(0.0, 0.0)])[0][0]
    rows: dict[int, dict[str, tuple[float, float]]] = {}
    for key, samples in raw.items():
        name, conc = key.rsplit("@", 1)
        rows.setdefault(int(conc), {})[name] = (median(c for c, _ in samples),
                                                 median(t for _, t in samples))
    met = all(r["pipeline"][0] / r["raw"][0] <= CPU_TARGET
              and r["pipeline"][1] / r["raw"][1] >= THROUGHPUT_TARGET for r in rows.values())
    return {"rows": rows, "met": met, "rounds": args.rounds, "calls": args.calls,
            "mean_batch": batch}


def report(res: dict[str, Any]) -> str:
    lines = [f"Pipeline overhead vs raw openai SDK, {res['calls']} calls/round at concurrency "
             f"(1/4 of that sequential), {res['rounds']} rounds, medians; CPU = this process"]
    body = []
    for conc, r in sorted(res["rows"].items()):
        raw_cpu, raw_thr = r["raw"]
        for name, (cpu, thr) in r.items():
            body.append([conc, name, cpu, f"{cpu / raw_cpu:.2f}x", thr, f"{thr / raw_thr:.2f}x"])
    lines.append(table(["concurrency", "client", "CPU us/call", "CPU vs raw", "calls/s",
                        "throughput vs raw"], body))
    lines.append(f"targets CPU <= {CPU_TARGET}x and throughput >= {THROUGHPUT_TARGET}x of raw: "
                 f"{verdict(res['met'])}; SQLite log: {res['mean_batch']:.1f} runs per commit")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--calls", type=int, default=2048, help="calls per round at concurrency")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--profile", action="store_true",
                   help="cProfile the pipeline at concurrency instead (top 30 by own time)")
    p.add_argument("--json", default="", help="also write the results to this file as JSON")
    return p


def main() -> None:
    args = parser().parse_args()
    res = run(args)
    if not args.profile:
        print(report(res))
        write_json(args.json, res)


if __name__ == "__main__":
    main()
