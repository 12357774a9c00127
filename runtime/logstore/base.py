"""The execution-log interface: what the app, the CLI and the tests program against.

A ``LogStore`` records every run with its attempts and answers queries about them. Writes go
through group commit (see ``docs/execution-log.md``): ``write`` returns only once the run is
committed durably, and many concurrent runs share one transaction and one fsync.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

from specwright.runtime.errors import InvalidQuery
from specwright.runtime.logstore.ulid import is_run_id
from specwright.runtime.records import RunRecord, RunStatus

RUN_STATUSES: tuple[str, ...] = get_args(RunStatus)
MAX_PAGE = 1000
MAX_REVISION = 2_147_483_647  # the revision column is a 32-bit integer in PostgreSQL
RunsCommitted = Callable[[list[RunRecord]], None]  # a listener: runs just committed together

logger = logging.getLogger("specwright.logstore")


@dataclass(frozen=True, slots=True)
class RunQuery:
    """Filters combine with AND. ``since`` is inclusive, ``until`` exclusive (epoch seconds,
    compared with ``RunRecord.created_at``). ``cursor`` is the ``next_cursor`` of the page
    before; pages are newest first."""

    spec: str | None = None
    revision: int | None = None
    status: str | None = None
    since: float | None = None
    until: float | None = None
    limit: int = 50
    cursor: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE:
            raise InvalidQuery(f"limit must be between 1 and {MAX_PAGE}, not {self.limit}")
        if self.cursor is not None and not is_run_id(self.cursor):
            raise InvalidQuery(f"cursor {self.cursor!r} is not a run id; pass next_cursor back")
        if self.status is not None and self.status not in RUN_STATUSES:
            raise InvalidQuery(f"unknown status {self.status!r}; one of: {', '.join(RUN_STATUSES)}")
        if self.revision is not None and not 1 <= self.revision <= MAX_REVISION:
            raise InvalidQuery(f"revision must be between 1 and {MAX_REVISION}")
        if self.spec is not None and not self.spec.isprintable():
            # A NUL byte cannot be stored in PostgreSQL text: refused here, not by the database.
            raise InvalidQuery("spec must be a spec name, without control characters")
        if self.since is not None and self.until is not None and self.since > self.until:
            raise InvalidQuery("since must not be after until")


@dataclass(frozen=True, slots=True)
class RunPage:
    runs: tuple[RunRecord, ...]
    next_cursor: str | None  # None: this is the last page


WriterMode = Literal["thread", "process"]  # where a store's commits run


@dataclass(slots=True)
class WriterStats:
    """Counters of the group-commit writer (for benchmarks and health checks)."""

    runs: int = 0  # runs committed
    batches: int = 0  # transactions committed
    failed_runs: int = 0  # runs whose waiter got an error
    max_batch: int = 0
    pending: int = 0  # runs queued and not yet resolved

    @property
    def mean_batch(self) -> float:
        return self.runs / self.batches if self.batches else 0.0


class LogStore(abc.ABC):
    """The execution log. Methods are coroutines and never block the event loop."""

    backend: str  # "sqlite" or "postgres"
    _listeners: tuple[RunsCommitted, ...] = ()

    def listen(self, listener: RunsCommitted) -> Callable[[], None]:
        """Call ``listener`` on the event loop with each group of runs committed together, after
        their commit and before any of their ``write`` calls returns: what it counts is there
        before a caller can learn of the run. Returns the function that stops it.

        Why per group: the server's metrics count a whole commit's runs in one pass, with
        prometheus-client's objects hot in the CPU's caches, instead of one run at a time
        between two requests (docs/performance.md, "Metrics and traces")."""
        self._listeners = (*self._listeners, listener)

        def stop() -> None:
            self._listeners = tuple(known for known in self._listeners if known is not listener)

        return stop

    def _tell_listeners(self, runs: list[RunRecord]) -> None:
        """A failing listener is logged; it neither fails the writes nor stops the others."""
        for listener in self._listeners:
            try:
                listener(runs)
            except Exception:  # noqa: BLE001 - the runs are committed whatever a listener does
                logger.exception("a listener of committed runs failed (%d runs)", len(runs))

    @abc.abstractmethod
    async def start(self) -> None:
        """Open connections, apply pending migrations, start the writer."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Commit everything already accepted by ``write``, then release connections."""

    @abc.abstractmethod
    async def write(self, run: RunRecord) -> None:
        """Return once ``run`` and its attempts are durably committed; else raise LogUnavailable."""

    @abc.abstractmethod
    async def get(self, run_id: str) -> RunRecord | None:
        """One run with its attempts in order, or None."""

    @abc.abstractmethod
    async def query(self, query: RunQuery) -> RunPage:
        """Runs matching ``query``, newest first, with their attempts."""

    @property
    @abc.abstractmethod
    def stats(self) -> WriterStats: ...

    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the log lives, for messages (a path, or a URL without its password)."""

    async def __aenter__(self) -> LogStore:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
