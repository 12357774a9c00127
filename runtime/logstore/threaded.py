"""Group commit on a writer thread, reads on a reader thread: the machinery both backends share.

``write`` serializes the run on the caller's side, appends it to a bounded queue and awaits a
future. One writer thread, with its own connection, takes everything queued (up to
``max_batch``), inserts it in ONE transaction, commits, and resolves the batch's futures with a
single ``call_soon_threadsafe``. While it commits, new runs queue up and share the next commit:
under load many runs share one fsync. Nothing in here ever blocks the event loop.

Failures: a systemic error (I/O, lock timeout, lost connection) fails every waiter of the batch.
A data error in one run (duplicate id, a value the database rejects) would otherwise fail its
neighbours too, so the batch is then retried one run per transaction and only the bad run fails.
"""

from __future__ import annotations

import abc
import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from runtime.logstore.base import LogStore, LogStoreError, RunPage, RunQuery, WriterStats
from runtime.logstore.codec import AttemptRow, RunRow, run_to_rows
from runtime.records import RunRecord

T = TypeVar("T")
Outcome = BaseException | list[BaseException | None] | None  # all failed | per run | all ok


@dataclass(slots=True)
class _Item:
    future: asyncio.Future[None]
    row: RunRow
    attempts: list[AttemptRow]


class ThreadedLogStore(LogStore):
    def __init__(self, *, max_pending: int = 10_000, max_batch: int = 1_000) -> None:
        if max_pending < 1 or max_batch < 1:
            raise ValueError("max_pending and max_batch must be positive")
        self._max_pending = max_pending
        self._max_batch = max_batch
        self._cond = threading.Condition()
        self._queue: list[_Item] = []
        self._closing = False
        self._state = "new"  # new -> running -> closed
        self._stats = WriterStats()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: asyncio.Semaphore | None = None
        self._thread: threading.Thread | None = None
        self._reader: ThreadPoolExecutor | None = None
        self._wconn: Any = None  # touched by the writer thread only
        self._rconn: Any = None  # touched by the reader thread only

    # -- backend hooks: all run on the writer or reader thread --------------------------------
    db_errors: tuple[type[BaseException], ...] = ()

    @abc.abstractmethod
    def _connect_writer(self) -> Any: ...

    @abc.abstractmethod
    def _connect_reader(self) -> Any: ...

    @abc.abstractmethod
    def _migrate(self, conn: Any) -> None: ...

    @abc.abstractmethod
    def _insert(self, conn: Any, runs: list[RunRow], attempts: list[AttemptRow]) -> None:
        """One transaction: insert, commit; on error roll back (if possible) and raise."""

    @abc.abstractmethod
    def _is_systemic(self, exc: BaseException) -> bool:
        """True if ``exc`` is not about the data of one run (then no per-run retry)."""

    @abc.abstractmethod
    def _read_get(self, conn: Any, run_id: str) -> RunRecord | None: ...

    @abc.abstractmethod
    def _read_query(self, conn: Any, query: RunQuery) -> RunPage: ...

    def _healthy(self, conn: Any) -> bool:
        """False if ``conn`` is broken and must be replaced after a failure."""
        return True

    def _close_conn(self, conn: Any) -> None:
        conn.close()

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def stats(self) -> WriterStats:
        self._stats.pending = len(self._queue)
        return self._stats

    async def start(self) -> None:
        if self._state != "new":
            raise LogStoreError(f"the execution log at {self.location} was already started")
        loop = self._loop = asyncio.get_running_loop()
        self._slots = asyncio.Semaphore(self._max_pending)
        ready: asyncio.Future[None] = loop.create_future()
        self._thread = threading.Thread(
            target=self._writer_main,
            args=(ready,),
            name=f"logstore-{self.backend}-writer",
            daemon=True,
        )
        self._thread.start()
        try:
            await ready
        except BaseException:  # failed to open, or start() was cancelled: stop the thread
            with self._cond:
                self._closing = True
                self._cond.notify()
            await asyncio.shield(asyncio.to_thread(self._thread.join))
            self._state = "closed"
            raise
        self._reader = ThreadPoolExecutor(1, thread_name_prefix=f"logstore-{self.backend}-reader")
        self._state = "running"

    async def close(self) -> None:
        if self._state != "running":
            self._state = "closed"
            return
        self._state = "closed"
        with self._cond:
            self._closing = True
            self._cond.notify()
        assert self._thread is not None and self._reader is not None
        await asyncio.to_thread(self._thread.join)
        await asyncio.sleep(0)  # let the last batch's resolutions run
        reader = self._reader
        await asyncio.get_running_loop().run_in_executor(reader, self._close_reader)
        reader.shutdown(wait=False)

    def _close_reader(self) -> None:
        if self._rconn is not None:
            conn, self._rconn = self._rconn, None
            self._close_conn(conn)

    # -- writing --------------------------------------------------------------------------------
    async def write(self, run: RunRecord) -> None:
        if self._state != "running":
            raise LogStoreError(f"the execution log at {self.location} is not open")
        try:
            row, attempts = run_to_rows(run)
        except (TypeError, ValueError) as exc:
            raise LogStoreError(f"run {run.id} cannot be logged: {exc}") from exc
        assert self._slots is not None and self._loop is not None
        await self._slots.acquire()  # backpressure: at most max_pending runs in flight
        future: asyncio.Future[None] = self._loop.create_future()
        with self._cond:
            if self._closing:
                self._slots.release()
                raise LogStoreError(f"the execution log at {self.location} is closing")
            self._queue.append(_Item(future, row, attempts))
            self._cond.notify()
        # If the caller is cancelled here the run stays queued and is still written.
        await future

    def _writer_main(self, ready: asyncio.Future[None]) -> None:
        loop = ready.get_loop()
        try:
            self._wconn = self._connect_writer()
            self._migrate(self._wconn)
        except Exception as exc:  # noqa: BLE001 - handed to start(), which raises it
            if self._wconn is not None:
                self._close_quietly(self._wconn)
            loop.call_soon_threadsafe(_settle, ready, self._wrap(exc, "open"))
            return
        loop.call_soon_threadsafe(_settle, ready, None)
        batch: list[_Item] = []
        try:
            while True:
                with self._cond:
                    while not self._queue and not self._closing:
                        self._cond.wait()
                    if not self._queue:
                        return  # closing, and everything accepted has been resolved
                    batch = self._queue[: self._max_batch]
                    del self._queue[: self._max_batch]
                outcome = self._commit(batch)
                loop.call_soon_threadsafe(self._resolve, batch, outcome)
                batch = []
        except BaseException as exc:  # never leave a waiter hanging
            with self._cond:
                stranded, self._queue = batch + self._queue, []
                self._closing = True
            loop.call_soon_threadsafe(self._resolve, stranded, exc)
            raise
        finally:
            self._close_quietly(self._wconn)

    def _commit(self, batch: list[_Item]) -> Outcome:
        if self._wconn is None:  # lost after an earlier failure: reconnect first
            try:
                self._wconn = self._connect_writer()
            except Exception as exc:  # noqa: BLE001 - handed to every waiter of the batch
                self._stats.failed_runs += len(batch)
                return exc
        try:
            self._insert(
                self._wconn, [i.row for i in batch], [a for i in batch for a in i.attempts]
            )
        except Exception as exc:  # noqa: BLE001 - handed to the waiters, the thread lives on
            self._after_failure()
            if len(batch) == 1 or self._is_systemic(exc):
                self._stats.failed_runs += len(batch)
                return exc
            return self._commit_one_by_one(batch)
        self._stats.runs += len(batch)
        self._stats.batches += 1
        self._stats.max_batch = max(self._stats.max_batch, len(batch))
        return None

    def _commit_one_by_one(self, batch: list[_Item]) -> list[BaseException | None]:
        results: list[BaseException | None] = []
        for item in batch:
            try:
                self._insert(self._wconn, [item.row], item.attempts)
            except Exception as exc:  # noqa: BLE001 - handed to this run's waiter
                self._after_failure()
                self._stats.failed_runs += 1
                results.append(exc)
            else:
                self._stats.runs += 1
                self._stats.batches += 1
                results.append(None)
        return results

    def _after_failure(self) -> None:
        if self._healthy(self._wconn):
            return
        self._close_quietly(self._wconn)
        try:
            self._wconn = self._connect_writer()
        except Exception:  # noqa: BLE001 - still down: the next batch fails and retries
            self._wconn = None

    def _close_quietly(self, conn: Any) -> None:
        if conn is None:
            return
        try:
            self._close_conn(conn)
        except Exception:  # noqa: BLE001, S110 - closing a broken connection: nothing to do
            pass

    def _resolve(self, batch: list[_Item], outcome: Outcome) -> None:
        assert self._slots is not None
        for index, item in enumerate(batch):
            self._slots.release()
            if isinstance(outcome, BaseException):
                exc: BaseException | None = outcome
            else:
                exc = None if outcome is None else outcome[index]
            if item.future.done():  # the caller was cancelled; the run was still handled
                continue
            if exc is None:
                item.future.set_result(None)
            else:
                item.future.set_exception(self._wrap(exc, f"write run {item.row[0]} to"))

    # -- reading --------------------------------------------------------------------------------
    async def get(self, run_id: str) -> RunRecord | None:
        return await self._read(self._read_get, run_id)

    async def query(self, query: RunQuery) -> RunPage:
        return await self._read(self._read_query, query)

    async def _read(self, fn: Any, arg: Any) -> Any:
        if self._state != "running" or self._reader is None:
            raise LogStoreError(f"the execution log at {self.location} is not open")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reader, self._read_sync, fn, arg)

    def _read_sync(self, fn: Any, arg: Any) -> Any:
        try:
            if self._rconn is None:
                self._rconn = self._connect_reader()
            return fn(self._rconn, arg)
        except self.db_errors as exc:
            if self._rconn is not None and not self._healthy(self._rconn):
                conn, self._rconn = self._rconn, None
                self._close_quietly(conn)
            raise self._wrap(exc, "read") from exc

    def _wrap(self, exc: BaseException, action: str) -> LogStoreError:
        if isinstance(exc, LogStoreError):
            return exc
        err = LogStoreError(
            f"cannot {action} the execution log at {self.location}: "
            f"{type(exc).__name__}: {str(exc).strip() or 'no detail'}"
        )
        err.__cause__ = exc
        return err


def _settle(future: asyncio.Future[None], exc: BaseException | None) -> None:
    if future.done():  # start() was cancelled meanwhile
        return
    if exc is None:
        future.set_result(None)
    else:
        future.set_exception(exc)
