"""Hostile spec files never take a running server down, and never stop other specs answering.

The corpus (``specwright.runtime.testing.hostile``: huge and deeply nested expressions, nested quantifiers
over large lists, a YAML bomb, a 10,000-row table, a 50 MB file, look-alike and invisible
characters, path tricks) is generated here, never committed. Each is dropped into the ``specs/``
of a real server on loopback while clients keep calling a good spec: with ``--watch`` one after
another, and without it all at once, present at start-up and again at a SIGHUP. Every call of
the good spec must answer 200, the server must stay up, and each hostile spec must show its
diagnostics. Special files (a symlink to /dev/zero, a FIFO, a 200 MB file) are never read whole.
``specwright compile`` gives each hostile spec a located error.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from rel_support import ORDER_OK, REPO, Server, compile_here, tracebacks

from specwright.runtime.testing.hostile import HOSTILE

ORDER_PATH = "/specs/order-validation/v1"
LOCATED = re.compile(r"^specs/(?P<file>[^:]+\.md):(?P<line>\d+):(?P<col>\d+): error: ", re.M)


def _project(root: Path) -> Path:
    (root / "specs").mkdir(parents=True)
    shutil.copy(REPO / "specs" / "order-validation.md", root / "specs")
    compile_here(root)
    return root


class _Steady:
    """Clients calling the good spec until stopped; every answer and failure kept."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.statuses: list[int] = []
        self.failures: list[str] = []
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    async def _client(self) -> None:
        async with httpx.AsyncClient(timeout=20.0) as client:
            while not self.stop.is_set():
                try:
                    r = await client.post(self.url + ORDER_PATH, json=ORDER_OK)
                except httpx.TransportError as exc:
                    self.failures.append(repr(exc))
                    await asyncio.sleep(0.1)
                    continue
                self.statuses.append(r.status_code)
                await asyncio.sleep(0.01)

    def start(self, clients: int = 2) -> None:
        self.tasks = [asyncio.create_task(self._client()) for _ in range(clients)]

    async def finish(self) -> None:
        """Stop the clients and wait for them (called again in ``finally``: idempotent)."""
        self.stop.set()
        await asyncio.wait_for(asyncio.gather(*self.tasks), 60)
        self.tasks = []


async def _diagnostics(url: str, name: str, until: float) -> list[dict[str, object]]:
    """The diagnostics ``GET /specs/{name}`` shows once the server has compiled the spec."""
    async with httpx.AsyncClient(timeout=20.0) as client:
        while time.monotonic() < until:
            r = await client.get(f"{url}/specs/{name}")
            if r.status_code == 200 and r.json().get("diagnostics"):
                diagnostics: list[dict[str, object]] = r.json()["diagnostics"]
                return diagnostics
            await asyncio.sleep(0.2)
    raise AssertionError(f"no diagnostics for {name} in time")


async def test_hostile_specs_dropped_into_a_watching_server(tmp_path: Path) -> None:
    project = _project(tmp_path / "proj")
    server = Server(project, "--watch")
    steady = _Steady(server.url)
    shown: dict[str, list[dict[str, object]]] = {}
    try:
        await asyncio.to_thread(server.wait_ready)
        steady.start()
        for stem, make in HOSTILE.items():
            path = project / "specs" / f"{stem}.md"
            path.write_text(make(stem), encoding="utf-8")
            shown[stem] = await _diagnostics(server.url, stem, time.monotonic() + 120)
            assert server.proc.poll() is None, f"{stem} stopped the server"
            path.unlink()
        await asyncio.sleep(0.5)
    finally:
        await steady.finish()
        server.stop()
    out = server.output()
    assert not steady.failures, (steady.failures[:3], out[-3000:])
    assert steady.statuses and set(steady.statuses) == {200}, out[-3000:]
    for stem, diagnostics in shown.items():
        first = diagnostics[0]
        assert first["file"] == f"specs/{stem}.md" and int(str(first["line"])) >= 1, (stem, first)
    assert not tracebacks(out), out[-3000:]


async def test_special_files_in_specs_are_never_read_whole(tmp_path: Path) -> None:
    """A symlink to /dev/zero and a FIFO are not regular files: never opened. A 200 MB file is
    hashed in chunks and refused after its first 4 MB, with a diagnostic."""
    project = _project(tmp_path / "proj")
    server = Server(project, "--watch")
    steady = _Steady(server.url)
    try:
        await asyncio.to_thread(server.wait_ready)
        steady.start()
        specs = project / "specs"
        (specs / "zero.md").symlink_to("/dev/zero")
        os.mkfifo(specs / "fifo.md")
        with (specs / "huge.md").open("wb") as handle:
            handle.truncate(200 << 20)  # sparse: no disk used
        (huge,) = await _diagnostics(server.url, "huge", time.monotonic() + 120)
        assert "larger than 4,000,000 bytes" in str(huge["message"]), huge
        async with httpx.AsyncClient(timeout=20.0) as client:
            for name in ("zero", "fifo"):
                assert (await client.get(f"{server.url}/specs/{name}")).status_code == 404
        await asyncio.sleep(1.0)
        assert server.proc.poll() is None
    finally:
        await steady.finish()
        server.stop()
    out = server.output()
    assert not steady.failures and set(steady.statuses) == {200}, out[-3000:]
    assert not tracebacks(out), out[-3000:]


async def test_hostile_specs_present_at_start_and_at_sighup(tmp_path: Path) -> None:
    project = _project(tmp_path / "proj")
    for stem, make in HOSTILE.items():
        (project / "specs" / f"{stem}.md").write_text(make(stem), encoding="utf-8")
    server = Server(project)
    steady = _Steady(server.url)
    try:
        await asyncio.to_thread(server.wait_ready, 300.0)  # start-up checks every edited spec
        steady.start()
        for stem in HOSTILE:
            await _diagnostics(server.url, stem, time.monotonic() + 30)
        os.kill(server.proc.pid, signal.SIGHUP)
        await asyncio.sleep(1.0)
        for stem in HOSTILE:  # compiled again after the SIGHUP, still diagnosed
            await _diagnostics(server.url, stem, time.monotonic() + 300)
        assert server.proc.poll() is None, "SIGHUP with hostile specs stopped the server"
    finally:
        await steady.finish()
        server.stop()
    out = server.output()
    assert not steady.failures, (steady.failures[:3], out[-3000:])
    assert steady.statuses and set(steady.statuses) == {200}, out[-3000:]
    assert not tracebacks(out), out[-3000:]


def test_specwright_compile_gives_each_hostile_spec_a_located_error(tmp_path: Path) -> None:
    project = _project(tmp_path / "proj")
    for stem, make in HOSTILE.items():
        (project / "specs" / f"{stem}.md").write_text(make(stem), encoding="utf-8")
    exe = Path(sys.executable).with_name("specwright")
    done = subprocess.run([str(exe), "compile", "--project", str(project)], capture_output=True,
                          text=True, timeout=300, check=False)
    text = done.stdout + done.stderr
    assert done.returncode == 1, text[-3000:]  # errors, not a crash (139) or a hang
    located = {m.group("file") for m in LOCATED.finditer(text)}
    assert located == {f"{stem}.md" for stem in HOSTILE}, text[-3000:]
    assert "Traceback" not in text and "internal compiler error" not in text, text[-3000:]
    assert not (project / "generated" / "..").resolve().joinpath("etc").exists()
    assert sorted(p.name for p in (project / "generated").iterdir()) == ["order-validation"]
