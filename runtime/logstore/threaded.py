"""What both backends share: writes through group commit (``writer.py``) on a writer thread,
reads on a reader thread with a connection of its own. Nothing here blocks the event loop."""

from __future__ import annotations

import abc
import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, get_args

from specwright.runtime.errors import LogUnavailable, RemoteError
from specwright.runtime.logstore.base import LogStore, RunPage, RunQuery, WriterMode, WriterStats
from specwright.runtime.logstore.codec import AttemptRow, RunRow, run_to_rows
from specwright.runtime.logstore.writer import GroupCommitWriter
from specwright.runtime.records import RunRecord

logger = logging.getLogger("specwright.logstore")

T = TypeVar("T")


class ThreadedLogStore(LogStore):
    """A ``LogStore`` over a blocking DB-API driver. Subclasses implement the hooks below."""

    db_errors: tuple[type[BaseException], ...] = ()

    def __init__(
        self,
        *,
        max_pending: int = 10_000,
        max_batch: int = 1_000,
        max_linger_s: float = 0.0005,
        writer: WriterMode = "thread",
    ) -> None:
        """``max_pending``: runs accepted and not yet committed before ``write`` waits for room;
        ``max_batch``: runs per transaction; ``max_linger_s``: the longest the writer waits under
        load for writers just released to come back and share the next commit (short enough
        that a server whose runs arrive spread out is not slowed; docs/performance.md has the
        measurements). ``writer``: where the commits
        run, a thread of this process or a process of its own (``writer.py`` says why the server
        uses a process)."""
        if max_pending < 1 or max_batch < 1 or max_linger_s < 0:
            raise ValueError("max_pending and max_batch must be positive, max_linger_s >= 0")
        if writer not in get_args(WriterMode):
            raise ValueError(f"unknown writer {writer!r}: use 'thread' or 'process'")
        self.writer_mode: WriterMode = writer
        self._max_pending, self._max_batch, self._max_linger_s = (
            max_pending,
            max_batch,
            max_linger_s,
        )
        self._state = "new"  # new -> running -> closed
        self._writer: GroupCommitWriter | None = None
        self._reader: ThreadPoolExecutor | None = None
        self._rconn: Any = None  # touched by the reader thread only

    # -- backend hooks (run on the writer or the reader thread) ---------------------------------
    @abc.abstractmethod
    def connect_writer(self) -> Any: ...

    @abc.abstractmethod
    def connect_reader(self) -> Any: ...

    @abc.abstractmethod
    def writer_args(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this store's writing side in the writer process
        (plain values: they cross a pipe)."""

    @abc.abstractmethod
    def migrate(self, conn: Any) -> None: ...

    @abc.abstractmethod
    def insert(self, conn: Any, runs: list[RunRow], attempts: list[AttemptRow]) -> None:
        """One transaction: insert, commit; on error roll back (if possible) and raise."""

    @abc.abstractmethod
    def is_systemic(self, exc: BaseException) -> bool:
        """True if ``exc`` is not about the data of one run (then no per-run retry)."""

    @abc.abstractmethod
    def read_get(self, conn: Any, run_id: str) -> RunRecord | None: ...

    @abc.abstractmethod
    def read_query(self, conn: Any, query: RunQuery) -> RunPage: ...

    def healthy(self, conn: Any) -> bool:
        """False if ``conn`` is broken and must be replaced after a failure."""
        return conn is not None

    def close_quietly(self, conn: Any) -> None:
        if conn is None:
            return
        try:
            conn.close()
        except Exception as exc:  # noqa: BLE001 - the connection is being dropped as broken anyway
            logger.debug("closing a broken log connection failed: %s", exc)

    def wrap(self, exc: BaseException, action: str) -> LogUnavailable:
        if isinstance(exc, LogUnavailable):
            return exc
        detail = " ".join(str(exc).split()) or "no detail"
        kind = exc.kind if isinstance(exc, RemoteError) else type(exc).__name__
        err = LogUnavailable(f"cannot {action} the execution log at {self.location}: {kind}: {detail}")
        err.__cause__ = exc
        return err

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def stats(self) -> WriterStats:
        if self._writer is None:
            return WriterStats()
        self._writer.stats.pending = self._writer.pending
        return self._writer.stats

    async def start(self) -> None:
        if self._state != "new":
            raise LogUnavailable(f"the execution log at {self.location} was already started")
        self._state = "closed"  # until the writer is up
        link = None
        if self.writer_mode == "process":
            from specwright.runtime.logstore.writer_process import ProcessLink, store_spec

            link = ProcessLink(store_spec(self, self.writer_args()))
        writer = GroupCommitWriter(
            self,
            name=f"logstore-{self.backend}-writer",
            max_pending=self._max_pending,
            max_batch=self._max_batch,
            max_linger_s=self._max_linger_s,
            link=link,
            on_committed=self._tell_listeners,
        )
        await writer.start()
        self._writer = writer
        self._reader = ThreadPoolExecutor(1, thread_name_prefix=f"logstore-{self.backend}-reader")
        self._state = "running"

    async def close(self) -> None:
        if self._state != "running":
            self._state = "closed"
            return
        self._state = "closed"
        assert self._writer is not None and self._reader is not None
        await self._writer.close()
        reader, self._reader = self._reader, None
        await asyncio.get_running_loop().run_in_executor(reader, self._close_reader)
        reader.shutdown(wait=False)

    def _close_reader(self) -> None:
        conn, self._rconn = self._rconn, None
        self.close_quietly(conn)

    async def write(self, run: RunRecord) -> None:
        if self._state != "running" or self._writer is None:
            raise LogUnavailable(f"the execution log at {self.location} is not open")
        try:
            row, attempts = run_to_rows(run)
        except (TypeError, ValueError) as exc:
            raise LogUnavailable(f"run {run.id} cannot be logged: {exc}") from exc
        await self._writer.submit(row, attempts, self.location, run)

    # -- reading --------------------------------------------------------------------------------
    async def get(self, run_id: str) -> RunRecord | None:
        return await self._read(self.read_get, run_id)

    async def query(self, query: RunQuery) -> RunPage:
        return await self._read(self.read_query, query)

    async def _read(self, fn: Any, arg: Any) -> Any:
        if self._state != "running" or self._reader is None:
            raise LogUnavailable(f"the execution log at {self.location} is not open")
        return await asyncio.get_running_loop().run_in_executor(
            self._reader, self._read_sync, fn, arg
        )

    def _read_sync(self, fn: Any, arg: Any) -> Any:
        try:
            if self._rconn is None:
                self._rconn = self.connect_reader()
            return fn(self._rconn, arg)
        except self.db_errors as exc:
            if not self.healthy(self._rconn):
                self._close_reader()
            raise self.wrap(exc, "read") from exc
