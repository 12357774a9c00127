"""Impact preview speed: replaying 10,000 logged rules-only runs (``specwright impact``).

Setup (not timed): order-validation compiled into a temporary project, N runs of varied inputs
executed and logged into its SQLite log, then the ``> 1000`` threshold edited to ``> 500`` and
compiled as r2 (the candidate). Timed, in this process, interleaved over the rounds:

* ``baseline``: the same N inputs executed through the pipeline (``engine.pipeline.execute``)
  on r1 with a store that writes nothing: what serving them costs without the log;
* ``impact``: reading the N runs back from the log (``logstore.scan.scan_runs``) and replaying
  them through r2 with the comparison (``engine.impact.compare``): what ``specwright impact``
  does after start-up.

Once, end to end: ``specwright impact order-validation --from-log --json`` as a child process
(start-up, imports, log read, replay, report). Ratio impact / baseline, medians over the rounds.

    python bench/impact_bench.py [--runs 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import REPO, SPECWRIGHT, median  # noqa: E402

from specwright.runtime.config import Settings  # noqa: E402
from specwright.runtime.engine.catalog import load_catalog  # noqa: E402
from specwright.runtime.engine.impact import case_of_run, compare  # noqa: E402
from specwright.runtime.engine.pipeline import execute  # noqa: E402
from specwright.runtime.logstore import open_store  # noqa: E402
from specwright.runtime.logstore.scan import scan_runs  # noqa: E402
from specwright.runtime.project.compile_all import compile_project  # noqa: E402

SPEC = "order-validation"


class NullStore:
    async def write(self, run: Any) -> None:
        return None


def no_model() -> Any:
    raise AssertionError("rules-only: no model")


def inputs(n: int) -> list[dict[str, Any]]:
    rnd = random.Random(1)
    return [{
        "order_id": f"B-{i}", "order_total": round(rnd.uniform(0, 2000), 2),
        "item_count": rnd.randint(0, 5),
        "payment_status": rnd.choice(["authorized"] * 6 + ["pending", "declined"]),
        "shipping_country": rnd.choice(["US", "CA", "DE", "IR"]),
        "address_verified": rnd.random() < 0.9, "fraud_score": rnd.randint(0, 100),
        "first_order": rnd.random() < 0.3,
    } for i in range(n)]


async def setup(root: Path, batch: list[dict[str, Any]], settings: Settings) -> None:
    (root / "specs").mkdir(parents=True)
    shutil.copy(REPO / "specs" / f"{SPEC}.md", root / "specs")
    assert compile_project(root, settings).ok
    r1 = load_catalog(root / "generated").resolve(SPEC, 1)
    store = open_store(settings, root)
    await store.start()
    try:
        for chunk in range(0, len(batch), 256):  # concurrent, as a server logs them
            await asyncio.gather(*(execute(r1, x, model=no_model, store=store)
                                   for x in batch[chunk:chunk + 256]))
    finally:
        await store.close()
    path = root / "specs" / f"{SPEC}.md"
    path.write_text(path.read_text().replace("> 1000 ", "> 500  "))
    assert compile_project(root, settings).ok


async def baseline(root: Path, batch: list[dict[str, Any]]) -> float:
    r1 = load_catalog(root / "generated").resolve(SPEC, 1, 1)
    null = NullStore()
    t0 = time.perf_counter()
    for x in batch:
        await execute(r1, x, model=no_model, store=null)
    return time.perf_counter() - t0


async def impact(root: Path, settings: Settings, n: int) -> tuple[float, int]:
    r2 = load_catalog(root / "generated").resolve(SPEC, 1, 2)
    t0 = time.perf_counter()
    store = open_store(settings, root, writer="thread")
    await store.start()
    try:
        runs = await scan_runs(store, SPEC, limit=n)
    finally:
        await store.close()
    report = compare(r2, (case_of_run(r) for r in runs), baseline="log")
    return time.perf_counter() - t0, report.changed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = Settings(log_writer="thread")
    batch = inputs(args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "p"
        asyncio.run(setup(root, batch, settings))
        base, imp, changed = [], [], 0
        for _ in range(args.rounds):
            base.append(asyncio.run(baseline(root, batch)))
            seconds, changed = asyncio.run(impact(root, settings, args.runs))
            imp.append(seconds)
        t0 = time.perf_counter()
        out = subprocess.run([SPECWRIGHT, "impact", SPEC, "--from-log", "--json", "--limit",
                              str(args.runs), "--project", str(root)],
                             check=True, capture_output=True, text=True)
        cli = time.perf_counter() - t0
        report = json.loads(out.stdout)
    b, i = median(base), median(imp)
    print(f"runs replayed:                  {report['runs']} ({changed} change)")
    print(f"baseline (pipeline, no log):    {b:.2f} s  ({b / args.runs * 1e6:.0f} us/run)")
    print(f"impact (log read + replay):     {i:.2f} s  ({i / args.runs * 1e6:.0f} us/run)")
    print(f"ratio impact / baseline:        {i / b:.2f}")
    print(f"specwright impact, end to end:  {cli:.2f} s")


if __name__ == "__main__":
    main()
