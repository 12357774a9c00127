"""``specwright serve`` in a child process, for tests that need the real server over HTTP.

Kill -9, restarts on the same database, two servers on one database and hot reload can only be
tested against a real process. The child listens on a free 127.0.0.1 port and does not inherit
provider keys or the log/data location from the caller's environment (pass them in ``env``), so
a test's server never reaches a provider or writes to the developer's own log by accident.

    server = ServeProcess(project).wait_ready()
    try:
        httpx.post(server.url + "/specs/order-validation/v1", json={...})
    finally:
        server.stop()
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

_NOT_INHERITED = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "SPECWRIGHT_DATABASE_URL",
                  "SPECWRIGHT_DATA_DIR")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (children first), read from ``/proc`` (Linux)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        if fields[0] != "Z":  # a zombie has exited; only its exit status is left to collect
            parents[int(stat.parent.name)] = int(fields[1])
    found = [pid]
    for parent in found:
        found += [child for child, its_parent in parents.items() if its_parent == parent]
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (an exited one not yet collected is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class ServeProcess:
    """``specwright serve --port <free> --project <project> *args``; always ``stop()`` it."""

    def __init__(self, project: Path, *args: str, env: Mapping[str, str] | None = None) -> None:
        self.project = project
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = project / f"server-{self.port}.log"
        exe = Path(sys.executable).with_name("specwright")
        child_env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
        child_env.update(env or {})
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [str(exe), "serve", "--port", str(self.port), "--project", str(project), *args],
            stdout=self._log, stderr=subprocess.STDOUT, env=child_env, cwd=project,
        )

    def wait_ready(self, timeout: float = 30.0) -> ServeProcess:
        """Return once ``/healthz`` answers 200; fail with the server's output otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited early:\n{self.output()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)  # not listening yet
                continue
            time.sleep(0.05)
        raise AssertionError(f"server not ready in {timeout}s:\n{self.output()}")

    def pids(self) -> list[int]:
        """The server process and its descendants: workers, log writer processes."""
        return descendants(self.proc.pid)

    def output(self) -> str:
        """Everything the server printed so far."""
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def kill9(self) -> None:
        """SIGKILL: no shutdown code runs (what a crash or an OOM kill does)."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._log.close()

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (a graceful shutdown), SIGKILL if it does not end in ``timeout``."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        self._log.close()
        return self.proc.returncode
