"""Progress of bulk runs in the log database (migration 0007): an interrupted ``specwright run``
resumes where it stopped, and a provider batch it submitted is collected after a restart.

A *job* is one input file's bytes run through one spec major (a CSV file: with its column
mapping): its id is the sha256 of them, so an edited file is a new job (its line numbers may mean other inputs), and the same file
run again is the same job. A line is done once its run is in the log; it is marked right after
(``mark``, batched by the caller), so a crash between the two re-runs at most the lines in
flight, and a clean stop (Ctrl-C) loses nothing.

Synchronous and short, like ``labels.py``: the CLI calls it from a worker thread.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specwright.runtime.logstore.labels import LabelDB, open_label_db

if TYPE_CHECKING:
    from specwright.runtime.config import Settings


def job_id(spec: str, major: int, input_path: Path, variant: str = "") -> str:
    """The job of running ``input_path``'s current bytes through ``spec`` v``major``; a
    ``variant`` (a CSV file's column mapping) makes another job of the same bytes."""
    digest = hashlib.sha256(f"{spec}\0{major}\0".encode())
    if variant:
        digest.update(f"{variant}\0".encode())
    with input_path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class DoneLine:
    line: int
    run_id: str | None
    status: str


@dataclass(frozen=True, slots=True)
class BatchState:
    """A provider batch a job submitted: enough to poll and collect it after a restart."""

    provider: str
    batch_id: str
    state: dict[str, Any]


class BulkDB:
    """The bulk tables over one connection of the log database (``open_bulk_db``)."""

    def __init__(self, db: LabelDB) -> None:
        self._db = db

    def close(self) -> None:
        self._db.close()

    def start(self, job: str, spec: str, input_path: str, lines: int) -> None:
        """Record the job (once; a resumed job keeps its first record)."""
        now = time.time()
        sql = ("INSERT INTO bulk_jobs (job, spec, input_path, lines, created_at, updated_at) "
               "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (job) DO NOTHING")
        with self._db._transaction():
            self._db._exec(sql, (job, spec, input_path, lines, now, now))

    def done(self, job: str) -> dict[int, DoneLine]:
        rows = self._db._rows("SELECT line, run_id, status FROM bulk_lines WHERE job = ?", (job,))
        return {int(n): DoneLine(int(n), rid, str(st)) for n, rid, st in rows}

    def mark(self, job: str, lines: Iterable[DoneLine]) -> None:
        """Record lines as done (a line done again keeps its latest run)."""
        now = time.time()
        sql = ("INSERT INTO bulk_lines (job, line, run_id, status, done_at) VALUES (?, ?, ?, ?, ?) "
               "ON CONFLICT (job, line) DO UPDATE SET run_id = excluded.run_id, "
               "status = excluded.status, done_at = excluded.done_at")
        with self._db._transaction():
            for d in lines:
                self._db._exec(sql, (job, d.line, d.run_id, d.status, now))

    def batch(self, job: str) -> BatchState | None:
        rows = self._db._rows(
            "SELECT batch_provider, batch_id, batch_state FROM bulk_jobs WHERE job = ?", (job,))
        if not rows or rows[0][1] is None:
            return None
        provider, batch_id, state = rows[0]
        return BatchState(str(provider), str(batch_id), json.loads(state or "{}"))

    def set_batch(self, job: str, batch: BatchState | None) -> None:
        values = (None, None, None) if batch is None else (
            batch.provider, batch.batch_id, json.dumps(batch.state, separators=(",", ":")))
        with self._db._transaction():
            self._db._exec("UPDATE bulk_jobs SET batch_provider = ?, batch_id = ?, "
                           "batch_state = ?, updated_at = ? WHERE job = ?",
                           (*values, time.time(), job))


def open_bulk_db(settings: Settings, root: Path) -> BulkDB:
    """The project's log database, migrated (created if need be)."""
    db = open_label_db(settings, root, create=True)
    assert db is not None  # create=True always opens one
    return BulkDB(db)


__all__ = ["BatchState", "BulkDB", "DoneLine", "job_id", "open_bulk_db"]
