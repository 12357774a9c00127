"""Child process of test_durability: writes runs forever from 16 concurrent tasks and prints
each run id as soon as ``write`` returns (that is: once the log acknowledged it).

    python durability_child.py sqlite|postgres LOCATION thread|process"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import cast

from specwright.runtime.logstore import LogStore, WriterMode, new_run_id
from specwright.runtime.records import Attempt, RunRecord


async def main(backend: str, location: str, writer_mode: str) -> None:
    store: LogStore
    mode = cast(WriterMode, writer_mode)  # the store refuses anything else
    if backend == "sqlite":
        from specwright.runtime.logstore.sqlite import SQLiteLogStore

        store = SQLiteLogStore(Path(location), writer=mode)
    else:
        from specwright.runtime.logstore.postgres import PostgresLogStore

        store = PostgresLogStore(location, writer=mode)
    await store.start()

    async def writer(worker: int) -> None:
        while True:
            now = time.time()
            run = RunRecord(
                id=new_run_id(now),
                spec=f"spec-{worker}",
                revision=1,
                major=1,
                created_at=now,
                status="ok",
                latency_ms=1.0,
                input={"worker": worker},
                output={"ok": True},
                attempts=(Attempt("fake", "m", "call", now, 1.0, "ok", 1, 1, None, 0.0),),
            )
            await store.write(run)
            sys.stdout.write(run.id + "\n")
            sys.stdout.flush()

    await asyncio.gather(*(writer(w) for w in range(16)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
