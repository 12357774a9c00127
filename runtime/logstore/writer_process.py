"""The log writer as a process of its own.

Why a process: see ``writer.py`` (a writer thread and the event loop fight over the GIL).

The server starts one child per store (``_BOOT``, below), with pipes for stdin and stdout. Every message, either
way, is a 4-byte little-endian length and a ``marshal``-ed payload (rows are tuples of
``str``/``int``/``float``/``bool``/``None``, which marshal writes and reads fastest):

* server -> child: first the store to build (its class and the arguments of its writing side),
  then one ``(runs, attempts)`` per batch; closing stdin asks the child to finish and exit.
* child -> server: ``("ready",)`` or ``("error", message)`` once, then one ``(outcome, stats)``
  per batch: ``None`` (all committed), ``(kind, message)`` (all failed) or a list of those per
  run, and the child's counters after the commit.

Durability is the thread's: a run is acknowledged only after the child has answered for the
transaction holding it. The child ignores SIGINT and SIGTERM (a Ctrl-C in the terminal reaches
the whole process group) and exits when its stdin closes, after the commit in progress: when the
server exits, is killed, or crashes. If the child dies, the batch it held fails (503) and the
next batch starts a new one.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import marshal
import signal
import struct
import sys
from pathlib import Path
from typing import Any, BinaryIO

from specwright.runtime.errors import LogUnavailable, RemoteError
from specwright.runtime.logstore.base import WriterStats
from specwright.runtime.logstore.codec import AttemptRow, RunRow
from specwright.runtime.logstore.commit import Committer, Outcome, WriterHooks
from specwright.runtime.logstore.writer import Died, Done

logger = logging.getLogger("specwright.logstore")

_HEADER = struct.Struct("<I")
_MAX_MESSAGE = 1 << 30
StoreSpec = tuple[str, str, dict[str, Any]]  # module, class name, constructor arguments


class ProcessLink:
    """Commits in a child process (see the module docstring)."""

    def __init__(self, store: StoreSpec) -> None:
        self._store = store
        self.stats = WriterStats()
        self._base = WriterStats()  # what children before the current one counted
        self._proc: asyncio.subprocess.Process | None = None
        self._reading: asyncio.Task[None] | None = None
        self._respawning: asyncio.Task[None] | None = None
        self._in_flight = False
        self._closing = False
        self._done: Done
        self._loop: asyncio.AbstractEventLoop

    async def start(self, loop: asyncio.AbstractEventLoop, done: Done, died: Died) -> None:
        # ``died`` is for a writer that can commit no more; a dead child is replaced instead.
        self._loop, self._done = loop, done
        await self._spawn()

    def send(self, runs: list[RunRow], attempts: list[list[AttemptRow]]) -> None:
        self._in_flight = True
        message = _frame(marshal.dumps((runs, attempts)))
        proc = self._proc
        if proc is not None and proc.stdin is not None and not proc.stdin.is_closing():
            proc.stdin.write(message)  # a batch at a time: the pipe's buffer stays bounded
        else:
            self._respawning = self._loop.create_task(self._respawn(message))

    async def close(self) -> None:
        self._closing = True
        if self._respawning is not None:
            await asyncio.gather(self._respawning, return_exceptions=True)
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()  # the child commits what it holds, then exits
        try:
            await asyncio.wait_for(proc.wait(), timeout=30)
        except TimeoutError:
            logger.error("the log writer process %s did not exit; killing it", proc.pid)
            proc.kill()
            await proc.wait()
        if self._reading is not None:
            await asyncio.gather(self._reading, return_exceptions=True)

    async def _spawn(self) -> None:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-P", "-c", _BOOT, _PACKAGE_ROOT,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(_frame(marshal.dumps(self._store)))
        try:
            reply = marshal.loads(await _read_message(proc.stdout))
        except (asyncio.IncompleteReadError, ValueError, EOFError):
            reply = ("error", f"the log writer process exited (code {await proc.wait()})")
        if reply[0] != "ready":
            proc.stdin.close()
            await proc.wait()
            raise LogUnavailable(str(reply[1]))
        self._proc = proc
        self._reading = self._loop.create_task(self._read_outcomes(proc, proc.stdout))

    async def _respawn(self, message: bytes) -> None:
        try:
            await self._spawn()
        except (LogUnavailable, OSError) as exc:
            self._finish(LogUnavailable(f"cannot start the log writer process: {exc}"))
            return
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(message)

    async def _read_outcomes(
        self, proc: asyncio.subprocess.Process, stdout: asyncio.StreamReader
    ) -> None:
        child = WriterStats()
        ended: BaseException | None = None  # why the pipe ended, unless the child closed it
        try:
            while True:
                encoded, counts = marshal.loads(await _read_message(stdout))
                child = WriterStats(*counts)
                self.stats = self._sum(child)
                self._finish(_decode(encoded))
        except asyncio.IncompleteReadError as exc:
            ended = exc if exc.partial else None  # cut mid-message, or closed between two
        except (ConnectionError, ValueError, EOFError) as exc:  # a broken pipe, or garbage
            ended = exc
        code = await proc.wait()
        if self._proc is proc:
            self._proc = None
        self._base = self._sum(child)
        if self._closing and code == 0 and ended is None:
            return
        logger.error("the log writer process %s exited with code %s%s", proc.pid, code,
                     f" ({type(ended).__name__}: {ended})" if ended else "")
        if self._in_flight:
            self._finish(LogUnavailable(
                f"the log writer process exited (code {code}) before committing; "
                "a new one takes the next batch"
            ))  # fmt: skip

    def _finish(self, outcome: Outcome) -> None:
        self._in_flight = False
        self._done(outcome)

    def _sum(self, child: WriterStats) -> WriterStats:
        base = self._base
        return WriterStats(
            runs=base.runs + child.runs,
            batches=base.batches + child.batches,
            failed_runs=base.failed_runs + child.failed_runs,
            max_batch=max(base.max_batch, child.max_batch),
        )


def store_spec(store: WriterHooks, writer_args: dict[str, Any]) -> StoreSpec:
    """What the child needs to build ``store``'s writing side: its class and arguments."""
    cls = type(store)
    return cls.__module__, cls.__qualname__, writer_args


def _frame(payload: bytes) -> bytes:
    return _HEADER.pack(len(payload)) + payload


async def _read_message(stream: asyncio.StreamReader) -> bytes:
    (size,) = _HEADER.unpack(await stream.readexactly(_HEADER.size))
    if size > _MAX_MESSAGE:
        raise ValueError(f"message of {size} bytes")
    return await stream.readexactly(size)


# The child: ``python -P -c _BOOT <dir>``. ``-P``: the working directory is not put first on
# the path (a project's own modules must not shadow ours); the directory that holds the
# ``specwright`` package is appended, for a server that runs from a checkout not installed.
_PACKAGE_ROOT = str(Path(__file__).parents[3])
_BOOT = (
    "import sys; sys.path.append(sys.argv[1]); "
    "from specwright.runtime.logstore.writer_process import main; sys.exit(main())"
)


def _encode_error(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, RemoteError):
        return exc.kind, exc.message
    return type(exc).__name__, str(exc)


def _encode(outcome: Outcome) -> Any:
    if outcome is None:
        return None
    if isinstance(outcome, BaseException):
        return _encode_error(outcome)
    return [None if e is None else _encode_error(e) for e in outcome]


def _decode(encoded: Any) -> Outcome:
    if encoded is None:
        return None
    if isinstance(encoded, tuple):
        return RemoteError(*encoded)
    return [None if e is None else RemoteError(*e) for e in encoded]


# -- the child ---------------------------------------------------------------------------------
def _read(stream: BinaryIO) -> bytes | None:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(head)
    payload = stream.read(size)
    return payload if len(payload) == size else None


def _write(stream: BinaryIO, value: Any) -> None:
    stream.write(_frame(marshal.dumps(value)))
    stream.flush()


_HOOKS = tuple(name for name in vars(WriterHooks) if not name.startswith("_"))


def _build(spec: StoreSpec) -> WriterHooks:
    module, name, args = spec
    if not module.startswith("specwright.runtime.logstore."):
        raise TypeError(f"{module}.{name} is not one of Specwright's log stores")
    cls = getattr(importlib.import_module(module), name)
    if not (isinstance(cls, type) and all(callable(getattr(cls, h, None)) for h in _HOOKS)):
        raise TypeError(f"{module}.{name} is not a log store")
    store: WriterHooks = cls(**args)
    return store


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but messages on the pipe
    first = _read(stdin)
    if first is None:
        return 0
    try:
        hooks = _build(marshal.loads(first))
    except Exception as exc:  # noqa: BLE001 - reported to the server, which raises it
        _write(stdout, ("error", f"cannot start the log writer: {type(exc).__name__}: {exc}"))
        return 1
    committer = Committer(hooks)
    try:
        committer.open()
    except Exception as exc:  # noqa: BLE001 - reported to the server, which raises it
        _write(stdout, ("error", hooks.wrap(exc, "open").message))
        return 1
    _write(stdout, ("ready",))
    try:
        while (payload := _read(stdin)) is not None:
            runs, attempts = marshal.loads(payload)
            outcome = committer.commit(runs, attempts)
            s = committer.stats
            _write(stdout, (_encode(outcome), (s.runs, s.batches, s.failed_runs, s.max_batch)))
    except BrokenPipeError:
        return 0  # the server is gone; what was committed is committed
    finally:
        committer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
