"""Shared helpers of the benchmarks: child processes on loopback, projects, load, tables.

Every server a benchmark starts is a child process listening on 127.0.0.1 and is stopped in a
``finally``; CPU and peak memory of a child are read from ``/proc/<pid>``.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from specwright.runtime.testing.server import descendants

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
PY = sys.executable
SPECWRIGHT = str(Path(sys.executable).with_name("specwright"))
KEY_ENV = {"BENCH_OPENAI_KEY": "sk-bench-openai-0000", "BENCH_ANTHROPIC_KEY": "sk-bench-ant-0000"}
CARRIER_IN: dict[str, Any] = {
    "order_id": "A-1001", "weight_kg": 1.2, "destination_country": "US",
    "destination_region": "OR", "promised_days": 5, "declared_value": 40,
}
ORDER_IN: dict[str, Any] = {
    "order_id": "A-1001", "order_total": 120.0, "item_count": 2, "shipping_country": "US",
    "payment_status": "authorized", "address_verified": True, "fraud_score": 5,
}


def median(values: Iterable[float]) -> float:
    return float(statistics.median(list(values)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Service:
    """A child process serving HTTP on 127.0.0.1:``port``."""

    def __init__(self, name: str, argv: Sequence[str], *, port: int | None = None,
                 env: dict[str, str] | None = None, cwd: Path | None = None,
                 log: Path | None = None) -> None:
        self.name = name
        self.port = port or 0
        self._log = (log or Path(os.devnull)).open("ab")
        self.proc = subprocess.Popen(
            list(argv), stdout=subprocess.PIPE if port is None else self._log,
            stderr=self._log, env={**os.environ, **(env or {})}, cwd=cwd,
            preexec_fn=_raise_fd_limit,  # noqa: PLW1509 - a plain setrlimit, no threads yet
        )
        if port is None:  # the child prints "... listening on http://127.0.0.1:PORT"
            assert self.proc.stdout is not None
            line = self.proc.stdout.readline().decode()
            match = re.search(r":(\d+)\s*$", line)
            if match is None:
                self.stop()
                raise RuntimeError(f"{name} did not start: {line!r}")
            self.port = int(match.group(1))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path: str = "/healthz", timeout: float = 60.0) -> Service:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout}s")

    def settle(self, timeout: float = 60.0) -> Service:
        """Wait until the process tree is idle (under 2% of a core over half a second): after
        ``wait_ready``, the other workers of a ``--workers`` server may still be starting."""
        deadline = time.monotonic() + timeout
        before = self.cpu_s()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = self.cpu_s()
            if now - before < 0.01:
                return self
            before = now
        raise RuntimeError(f"{self.name} still busy after {timeout}s")

    def pids(self) -> list[int]:
        """The process and its descendants (the server's log writer process, its workers)."""
        return descendants(self.proc.pid)

    def cpu_s(self) -> float:
        """User + system CPU seconds of the process and its descendants (every thread)."""
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def memory_mb(self) -> tuple[float, float]:
        """(current RSS, peak RSS) in MB of the process and its descendants: the sums over
        them of each one's current and peak RSS (the latter an upper bound of their joint peak)."""
        rss = peak = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            found = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.M))
            rss += int(found.get("VmRSS", 0))
            peak += int(found.get("VmHWM", 0))
        return rss / 1024, peak / 1024

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()


def workers_note(res: dict[str, Any]) -> str:
    """", 2 server processes each" for a run with ``--workers 2``; nothing for one."""
    count = int(res.get("workers", 1))
    return f", {count} server processes each" if count > 1 else ""


def start_fake(*args: str) -> Service:
    return Service("fake model server", [PY, "-m", "specwright.runtime.fakeserver", "--port", "0", *args])


def start_specwright(project: Path, *args: str, workers: int = 1) -> Service:
    port = free_port()
    argv = [SPECWRIGHT, "serve", "--port", str(port), "--project", str(project),
            "--log-level", "warning", "--workers", str(workers), *args]
    service = Service("specwright serve", argv, port=port, env=KEY_ENV, cwd=project,
                      log=project / f"serve-{port}.log").wait_ready()
    return service.settle() if workers > 1 else service


def start_floor(kind: str, project: Path, *args: str, workers: int = 1) -> Service:
    port = free_port()
    argv = [PY, str(BENCH / "floor_apps.py"), kind, "--port", str(port), "--project",
            str(project), "--workers", str(workers), *args]
    service = Service(f"floor {kind}", argv, port=port, cwd=project,
                      log=project / f"floor-{kind}-{port}.log").wait_ready()
    return service.settle() if workers > 1 else service


def bench_project(root: Path, fake_url: str, specs: dict[str, list[str]],
                  settings: str = "") -> Path:
    """A project in ``root`` with ``specs`` (name -> route refs; [] keeps the spec's own route)
    copied from the repository, pointed at the fake server, compiled; ``settings``: top-level
    lines of ``specwright.toml`` (``log_writer = "thread"``)."""
    from specwright.runtime.config import load_settings
    from specwright.runtime.project.compile_all import compile_project

    (root / "specs").mkdir(parents=True, exist_ok=True)
    for name, refs in specs.items():
        text = (REPO / "specs" / f"{name}.md").read_text(encoding="utf-8")
        if refs:
            models = "models:\n" + "".join(f"  - {ref}\n" for ref in refs)
            text = re.sub(r"^models:\n(?:[ \t]+.*\n)+", models, text, count=1, flags=re.M)
        (root / "specs" / f"{name}.md").write_text(text, encoding="utf-8")
    (root / "specwright.toml").write_text(
        settings + "\n[deployments.openai]\nkind = \"openai\"\n"
        f"base_url = \"{fake_url}/v1\"\napi_key_env = \"BENCH_OPENAI_KEY\"\n\n"
        "[deployments.anthropic]\nkind = \"anthropic\"\n"
        f"base_url = \"{fake_url}\"\napi_key_env = \"BENCH_ANTHROPIC_KEY\"\n",
        encoding="utf-8")
    result = compile_project(root, load_settings(root, {}))
    errors = [str(d) for o in result.outcomes for d in o.errors]
    if errors:
        raise RuntimeError("\n".join(errors))
    return root


def reset_log(project: Path) -> None:
    shutil.rmtree(project / ".specwright", ignore_errors=True)


def loadgen(url: str, body: Any, *, concurrency: int = 64, requests: int = 0, warmup: int = 0,
            connect_first: bool = False, timeout: float = 60.0, rate: float = 0.0,
            duration: float = 0.0) -> dict[str, Any]:
    """Run ``bench/loadgen.py`` in its own process; its JSON summary. ``rate`` and
    ``duration``: an open loop (requests sent when due) instead of ``concurrency`` callers."""
    argv = [PY, str(BENCH / "loadgen.py"), url, "--body", json.dumps(body), "-c",
            str(concurrency), "-n", str(requests), "--warmup", str(warmup),
            "--timeout", str(timeout)]
    if connect_first:
        argv.append("--connect-first")
    if rate:
        argv += ["--rate", str(rate), "--duration", str(duration)]
    out = subprocess.run(argv, capture_output=True, text=True, check=False,
                         preexec_fn=_raise_fd_limit)  # noqa: PLW1509
    if out.returncode != 0:
        raise RuntimeError(f"loadgen failed: {out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table (markdown-compatible)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                              for i, (c, w) in enumerate(zip(r, widths, strict=True))) + " |"
            for r in cells]
    return "\n".join([line, rule, *body])


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def write_json(path: str, result: dict[str, Any]) -> None:
    if path:
        Path(path).write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {sys.version.split()[0]}"
