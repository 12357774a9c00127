"""The parent of ``specwright serve --workers N``: N workers on one port, one socket each.

Why not uvicorn's own supervisor, which hands one listening socket to every worker: whichever
worker's loop wakes first accepts every connection waiting in the queue, so connections that
arrive together (a proxy's or a client's pool of keep-alive connections) can all land on one
worker while the others idle (docs/performance.md, round 7). Here each worker gets a socket of its own,
bound to the same port with ``SO_REUSEPORT``, and the kernel spreads new connections over the
sockets by a hash of their addresses. The parent keeps every socket open, so a connection that
arrives while its worker is being replaced waits in that socket's queue for the replacement
instead of being refused; the other side of that: a connection hashed to a worker that hangs
waits until the health check has replaced it. Elsewhere than on Linux (where ``SO_REUSEPORT`` does not spread
connections, or does not exist), every worker shares one socket.

The workers are uvicorn's (``uvicorn.supervisors.multiprocess.Process``: spawned, answering a
health check over a pipe). This class decides when to start, replace and stop them:

* a worker that dies, or does not answer its health check within
  ``config.timeout_worker_healthcheck``, is replaced (one that failed to *start*, exit status
  3, stops the server instead: its replacement would fail the same way);
* SIGHUP replaces the workers one at a time, each replacement serving before the worker it
  replaces is stopped;
* SIGINT or SIGTERM stops them all (each a graceful uvicorn shutdown) and returns.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from types import FrameType

from uvicorn import Config
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Process

log = logging.getLogger("specwright.server")
CHECK_INTERVAL_S = 0.5
SLOT_ENV = "SPECWRIGHT_WORKER_SLOT"  # which socket a worker serves: 0, 1, ...
HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def bind_sockets(host: str, port: int, count: int, backlog: int) -> list[socket.socket]:
    """``count`` listening sockets on one port (``port`` 0: the port the first one was given);
    ``count`` times the same socket where the platform has no ``SO_REUSEPORT``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Linux spreads connections over a port's SO_REUSEPORT sockets; macOS gives them all to one
    reuse_port = getattr(socket, "SO_REUSEPORT", None) if sys.platform == "linux" else None
    if reuse_port is not None:
        # SO_REUSEPORT would also let these sockets join another server's on the port (one of
        # the same user, e.g. a second `serve --workers` by mistake) and split its traffic:
        # a plain bind first fails if anything listens there.
        with socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host.strip("[]"), port))
            port = probe.getsockname()[1]
    found: list[socket.socket] = []
    for _ in range(count if reuse_port is not None else 1):
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP,
        # and accepted sockets inherit it (without it, Nagle held every response body until
        # the client's delayed ACK: 40 ms each)
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port is not None:
                sock.setsockopt(socket.SOL_SOCKET, reuse_port, 1)
            sock.bind((host.strip("[]"), port))
            sock.listen(backlog)  # queue connections before the worker is up
        except OSError:
            sock.close()
            for other in found:
                other.close()
            raise
        sock.set_inheritable(True)
        port = sock.getsockname()[1]
        found.append(sock)
    return found if len(found) == count else found * count


class Supervisor:
    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        self.config = config
        self.sockets = sockets  # one per worker slot
        self.processes: list[Process] = []
        self.should_exit = threading.Event()
        self.failed_to_start = False
        self._signals: list[int] = []

    def run(self) -> int:
        """Serve until SIGINT or SIGTERM; 3 if a worker could not start, else 0."""
        previous = {sig: signal.signal(sig, self._queue_signal) for sig in HANDLED}
        try:
            for slot in range(len(self.sockets)):  # one at a time: stopped below if one fails
                self.processes.append(self._start(slot))
            while not self.should_exit.wait(CHECK_INTERVAL_S):
                self._handle_signals()
                self._replace_dead()
        finally:
            for process in self.processes:
                process.terminate()
            for process in self.processes:
                process.join()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return STARTUP_FAILURE if self.failed_to_start else 0

    def _start(self, slot: int) -> Process:
        os.environ[SLOT_ENV] = str(slot)  # a spawned process starts with this environment
        process = Process(self.config, [self.sockets[slot]])
        process.start()
        return process

    def _queue_signal(self, sig: int, frame: FrameType | None) -> None:
        self._signals.append(sig)  # handled by the loop, not inside the signal handler

    def _handle_signals(self) -> None:
        while self._signals:
            sig = self._signals.pop(0)
            if sig == signal.SIGHUP:
                log.info("SIGHUP: replacing the workers one at a time")
                self._replace_all()
            else:
                log.info("%s: stopping the workers", signal.Signals(sig).name)
                self.should_exit.set()
                return

    def _replace_dead(self) -> None:
        for slot, process in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # dead already, or hung: it did not answer the health check
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                log.error("worker [%s] could not start (its error is above): stopping the "
                          "server", process.pid)
                self.failed_to_start = True
                self.should_exit.set()
                return
            log.warning("worker [%s] died (exit status %s): starting another", process.pid,
                        process.exitcode)
            self.processes[slot] = self._start(slot)

    def _replace_all(self) -> None:
        for slot, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._start(slot)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck * 6,
                                        self.should_exit):
                new.kill()
                new.join()
                if not self.should_exit.is_set():
                    log.error("the new worker [%s] was not ready in time: keeping worker [%s] "
                              "and the rest", new.pid, old.pid)
                return
            old.terminate()
            old.join()
            self.processes[slot] = new
            log.info("worker [%s] replaced by [%s]", old.pid, new.pid)


__all__ = ["Supervisor", "bind_sockets"]
