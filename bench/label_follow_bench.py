"""How soon a running server serves a label move made by another process's connection.

A rules-only spec with two revisions in a temporary project; the app runs in this process with
its lifespan (httpx over ASGI, no network), 4 clients post to it continuously. Each round
promotes the other revision through a separate database connection (as ``specwright promote``
does) and measures the time until the first answer from the new revision. The label poll
interval (``label_follow.POLL_S``) bounds it; the baseline is that interval itself.

    python bench/label_follow_bench.py [--rounds 10] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "labels"))

from labels_support import compile_tiny, running  # noqa: E402

from specwright.runtime.config import Settings  # noqa: E402
from specwright.runtime.engine.labels import Places, promote  # noqa: E402
from specwright.runtime.http.app import create_app  # noqa: E402
from specwright.runtime.http.label_follow import POLL_S  # noqa: E402
from specwright.runtime.logstore.labels import open_label_db  # noqa: E402


def move(root: Path, settings: Settings, revision: int) -> None:
    db = open_label_db(settings, root)
    assert db is not None
    try:
        places = Places(root / "generated", root / ".specwright" / "revisions")
        promote(db, places, "tiny", revision, label="production", actor="bench", reason="")
    finally:
        db.close()


async def measure(root: Path, settings: Settings, rounds: int) -> tuple[list[float], int, int]:
    latest = [0]
    failed = [0]
    answered = [0]
    stop = asyncio.Event()

    async def load(c: httpx.AsyncClient) -> None:
        while not stop.is_set():
            r = await c.post("/specs/tiny/v1", json={"n": 1})
            answered[0] += 1
            if r.status_code != 200:
                failed[0] += 1
            latest[0] = int(r.headers.get("X-Specwright-Revision", 0))
            await asyncio.sleep(0.001)

    delays = []
    async with running(create_app(settings, root)) as c:
        workers = [asyncio.create_task(load(c)) for _ in range(4)]
        await asyncio.sleep(0.5)
        for i in range(rounds):
            target = 1 if i % 2 == 0 else 2
            t0 = time.perf_counter()
            await asyncio.to_thread(move, root, settings, target)
            while latest[0] != target:
                await asyncio.sleep(0.002)
            delays.append(time.perf_counter() - t0)
            await asyncio.sleep(0.2)
        stop.set()
        await asyncio.gather(*workers)
    return delays, answered[0], failed[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    settings = Settings(log_writer="thread", database_url=args.database_url)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "p"
        compile_tiny(root, "first", settings)
        compile_tiny(root, "second", settings)
        delays, answered, failed = asyncio.run(measure(root, settings, args.rounds))
    print(f"moves: {len(delays)}, requests answered: {answered}, failed: {failed}")
    print(f"move -> served: median {statistics.median(delays):.3f} s, max {max(delays):.3f} s "
          f"(poll interval {POLL_S} s; ratio max / poll interval {max(delays) / POLL_S:.2f})")


if __name__ == "__main__":
    main()
