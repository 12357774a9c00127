"""Committing one batch of runs: what the writer thread and the writer process both do.

Synchronous and backend-agnostic: a ``Committer`` owns the writing connection and calls the
backend's hooks. A systemic error (I/O, lock timeout, lost connection) fails the whole batch; a
data error in one run (duplicate id, a value the database rejects) would otherwise fail its
neighbours too, so the batch is then retried one run per transaction and only the bad run fails.
"""

from __future__ import annotations

from typing import Any, Protocol

from specwright.runtime.errors import LogUnavailable
from specwright.runtime.logstore.base import WriterStats
from specwright.runtime.logstore.codec import AttemptRow, RunRow

Outcome = BaseException | list[BaseException | None] | None  # all failed | per run | all ok


class WriterHooks(Protocol):
    """What a backend provides; every method runs where the commits run (thread or process)."""

    def connect_writer(self) -> Any: ...
    def migrate(self, conn: Any) -> None: ...
    def insert(self, conn: Any, runs: list[RunRow], attempts: list[AttemptRow]) -> None: ...
    def is_systemic(self, exc: BaseException) -> bool: ...
    def healthy(self, conn: Any) -> bool: ...
    def close_quietly(self, conn: Any) -> None: ...
    def wrap(self, exc: BaseException, action: str) -> LogUnavailable: ...


class Committer:
    """The writing connection and the commit of each batch; counts into ``stats``."""

    def __init__(self, hooks: WriterHooks) -> None:
        self.hooks = hooks
        self.conn: Any = None
        self.stats = WriterStats()

    def open(self) -> None:
        """Connect and migrate; raises what the backend raised (the connection is closed)."""
        try:
            self.conn = self.hooks.connect_writer()
            self.hooks.migrate(self.conn)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        conn, self.conn = self.conn, None
        self.hooks.close_quietly(conn)

    def commit(self, runs: list[RunRow], attempts: list[list[AttemptRow]]) -> Outcome:
        """Insert ``runs`` (``attempts[i]`` are the attempts of ``runs[i]``) in one transaction."""
        hooks = self.hooks
        if self.conn is None:  # lost after an earlier failure: reconnect first
            try:
                self.conn = hooks.connect_writer()
            except Exception as exc:  # noqa: BLE001 - handed to every waiter of the batch
                self.stats.failed_runs += len(runs)
                return exc
        try:
            hooks.insert(self.conn, runs, [a for run_attempts in attempts for a in run_attempts])
        except Exception as exc:  # noqa: BLE001 - handed to the waiters; the writer lives on
            self._after_failure()
            if len(runs) > 1 and not hooks.is_systemic(exc):
                return self._commit_one_by_one(runs, attempts)
            self.stats.failed_runs += len(runs)
            return exc
        self.stats.runs += len(runs)
        self.stats.batches += 1
        self.stats.max_batch = max(self.stats.max_batch, len(runs))
        return None

    def _commit_one_by_one(
        self, runs: list[RunRow], attempts: list[list[AttemptRow]]
    ) -> list[BaseException | None]:
        results: list[BaseException | None] = []
        for row, run_attempts in zip(runs, attempts, strict=True):
            try:
                if self.conn is None:
                    self.conn = self.hooks.connect_writer()
                self.hooks.insert(self.conn, [row], run_attempts)
            except Exception as exc:  # noqa: BLE001 - handed to this run's waiter
                self._after_failure()
                self.stats.failed_runs += 1
                results.append(exc)
            else:
                self.stats.runs += 1
                self.stats.batches += 1
                results.append(None)
        return results

    def _after_failure(self) -> None:
        if not self.hooks.healthy(self.conn):
            self.close()  # the next batch reconnects
