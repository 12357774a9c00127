"""Execution-log write throughput: sustained runs/s through ``LogStore.write`` (group commit,
durable: SQLite WAL + synchronous=FULL, PostgreSQL synchronous_commit=on), with N concurrent
writers, several rounds, medians. Baselines measured in the same process on the same schema:

* ``raw``: the same runs built, serialized and inserted with the store's executemany in ONE
  transaction, no queue, no futures, no event loop: the ceiling; ``store / raw`` is what the
  queue, the futures and the writer (a process by default, `--writer thread` for a thread)
  cost.
* ``commit per run``: one transaction (one fsync) per run, sequential: what group commit saves.

    python bench/logstore_bench.py                       # SQLite only
    python bench/logstore_bench.py --pg-url postgresql://postgres@127.0.0.1:5432/test
    (or set SPECWRIGHT_TEST_POSTGRES_URL)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from specwright.runtime.logstore import LogStore, new_run_id
from specwright.runtime.logstore.codec import run_to_rows
from specwright.runtime.records import Attempt, RunRecord


def make_run(i: int) -> RunRecord:
    now = time.time()
    return RunRecord(
        id=new_run_id(now),
        spec=f"spec-{i % 6}",
        revision=1 + i % 3,
        major=1,
        created_at=now,
        status="ok" if i % 10 else "model_error",
        latency_ms=840.5,
        input={
            "order_id": f"ord-{i}",
            "weight_kg": 2.5,
            "destination": {"country": "US", "state": "AK", "zip": "99501"},
            "items": [{"sku": "A-1", "qty": 2}],
            "rush": False,
        },
        output={
            "carrier": "ups",
            "service": "2day",
            "reason": "Alaska ships 2-day; UPS is cheapest",
        },
        model="openai:gpt-4o-mini",
        rule_trace=({"table": "service", "rows": [3], "line": 41},),
        guardrails=(
            {"label": "carrier allowed", "passed": True, "line": 60},
            {"label": "cost positive", "passed": True, "line": 61},
        ),
        attempts=(
            Attempt("openai", "gpt-4o-mini", "call", now - 0.8, 812.0, "ok", 812, 41, 0, 0.000147),
        ),
    )


async def sustained(
    factory: Callable[[], LogStore], writers: int, seconds: float
) -> tuple[float, float]:
    """runs/s and mean runs per transaction over ``seconds`` of ``writers`` writing in a loop."""
    store = factory()
    await store.start()
    stop = time.perf_counter() + seconds
    count = 0

    async def writer(w: int) -> None:
        nonlocal count
        i = w
        while time.perf_counter() < stop:
            await store.write(make_run(i))
            count += 1
            i += writers

    t0 = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    elapsed = time.perf_counter() - t0
    mean_batch = store.stats.mean_batch
    await store.close()
    return count / elapsed, mean_batch


def raw_executemany(store: Any, n: int) -> float:
    """The same work minus the queue: build n runs, serialize them, and insert them with the
    store's own statement (executemany) in ONE transaction on this thread: runs/s."""
    conn = store.connect_writer()
    try:
        store.migrate(conn)
        t0 = time.perf_counter()
        rows = [run_to_rows(make_run(i)) for i in range(n)]
        store.insert(conn, [r for r, _ in rows], [a for _, att in rows for a in att])
        return n / (time.perf_counter() - t0)
    finally:
        conn.close()


def commit_per_run(store: Any, seconds: float) -> float:
    conn = store.connect_writer()
    try:
        store.migrate(conn)
        n, stop, t0 = 0, time.perf_counter() + seconds, time.perf_counter()
        while time.perf_counter() < stop:
            row, attempts = run_to_rows(make_run(n))
            store.insert(conn, [row], attempts)
            n += 1
        return n / (time.perf_counter() - t0)
    finally:
        conn.close()


def bench_backend(
    name: str, factory: Callable[[], LogStore], args: argparse.Namespace
) -> list[str]:
    rates, batches, raws, singles = [], [], [], []
    for _ in range(args.rounds):
        rate, batch = asyncio.run(sustained(factory, args.writers, args.seconds))
        rates.append(rate)
        batches.append(batch)
        raws.append(raw_executemany(factory(), max(1000, int(rate))))
        singles.append(commit_per_run(factory(), min(1.0, args.seconds)))
    store, raw = statistics.median(rates), statistics.median(raws)
    return [
        f"{name:<9} {'store.write, ' + str(args.writers) + ' writers':<26} {store:>10,.0f} "
        f"{statistics.median(batches):>10.1f}   {store / raw:>5.2f}x raw",
        f"{name:<9} {'raw: same rows, 1 txn':<26} {raw:>10,.0f} {'':>10}",
        f"{name:<9} {'commit per run':<26} {statistics.median(singles):>10,.0f} {1.0:>10.1f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--writers", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=3.0, help="per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pg-url", default=os.environ.get("SPECWRIGHT_TEST_POSTGRES_URL"))
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--writer", choices=["process", "thread"], default="process",
                        help="where the store commits (the server's default: process)")
    args = parser.parse_args()
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="logstore-bench-") as tmp:
        if not args.skip_sqlite:
            from specwright.runtime.logstore.sqlite import SQLiteLogStore

            counter = iter(range(10**9))
            lines += bench_backend(
                "sqlite",
                lambda: SQLiteLogStore(Path(tmp) / f"r{next(counter)}.db", writer=args.writer),
                args,
            )
    if args.pg_url:
        import psycopg

        from specwright.runtime.logstore.postgres import PostgresLogStore

        schema = f"sw_bench_{uuid.uuid4().hex[:10]}"
        url = f"{args.pg_url}{'&' if '?' in args.pg_url else '?'}options=-csearch_path%3D{schema}"
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f'CREATE SCHEMA "{schema}"')
            try:
                lines += bench_backend(
                    "postgres", lambda: PostgresLogStore(url, writer=args.writer), args
                )
            finally:
                admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    print(f"{args.rounds} rounds x {args.seconds:g}s, medians; cores: {os.cpu_count()}; "
          f"writer: {args.writer}")
    print(f"{'backend':<9} {'mode':<26} {'runs/s':>10} {'runs/txn':>10}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
