"""``specwright serve --watch`` over real HTTP: a model-backed spec edited while requests flow.

``tests/runtime/test_hot_reload.py`` covers reload in-process on a rules-only spec. Here the
server is a child process, the spec calls a model (the fake answers after 30 ms, so requests are
waiting on it while revisions swap), a dozen clients keep it busy, and the spec goes through a
compatible edit, an edit that does not compile, and another compatible edit. No request fails;
every answer matches exactly the revision in its ``X-Specwright-Revision`` header, and so does
its logged run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from rel_support import Server, compile_here, logged_runs, tracebacks, write_config

from specwright.runtime.config import load_settings
from specwright.runtime.fakeserver import FakeServerThread

TINY = """\
---
name: tiny
title: Tiny
models:
  - fake:m
---

# Tiny

Label a number and write a short note about it.

## Input

| field | type    | constraints | description |
|-------|---------|-------------|-------------|
| n     | integer | 0..100      | A number    |

## Output

| field | type                         | description            |
|-------|------------------------------|------------------------|
| label | one of: first, second, third | The label              |
| note  | text, max 50 characters      | A note about the number |

## Decision: label

| n | label   |
|---|---------|
| - | {label} |
"""
LABELS = {1: "first", 2: "second", 3: "third"}
CLIENTS = 12


async def wait_for(what: str, cond: Callable[[], Awaitable[bool]], until: float) -> None:
    while time.monotonic() < until:
        if await cond():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_edits_under_load_over_http(tmp_path: Path, fake: FakeServerThread) -> None:
    fake.configure(latency_ms=30)
    root = tmp_path / "proj"
    (root / "specs").mkdir(parents=True)
    spec = root / "specs" / "tiny.md"
    spec.write_text(TINY.format(label="first"))
    write_config(root, fake.url)
    compile_here(root)
    server = Server(root, "--watch")
    seen: list[tuple[int, int, str, str]] = []  # status, revision, label, run id
    stop = asyncio.Event()
    until = time.monotonic() + 60

    async def load(client: httpx.AsyncClient) -> None:
        while not stop.is_set() and time.monotonic() < until:
            r = await client.post("/specs/tiny/v1", json={"n": 5})
            label = r.json().get("label", r.text) if r.status_code == 200 else r.text
            seen.append((r.status_code, int(r.headers.get("X-Specwright-Revision", 0)), label,
                         r.headers.get("X-Specwright-Run-Id", "")))

    async def revision_seen(n: int) -> bool:
        return any(rev == n for _, rev, _, _ in seen)

    try:
        await asyncio.to_thread(server.wait_ready)
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            workers = [asyncio.create_task(load(client)) for _ in range(CLIENTS)]
            try:
                await wait_for("r1 answers", lambda: revision_seen(1), until)
                spec.write_text(TINY.format(label="second"))
                await wait_for("r2 answers", lambda: revision_seen(2), until)
                spec.write_text(TINY.format(label="fourth"))  # not a value of the enum

                async def diagnosed() -> bool:
                    detail = (await client.get("/specs/tiny")).json()
                    return detail["compiles"] is False

                await wait_for("diagnostics", diagnosed, until)
                served_while_broken = len(seen)
                await asyncio.sleep(0.3)
                assert len(seen) > served_while_broken
                spec.write_text(TINY.format(label="third"))
                await wait_for("r3 answers", lambda: revision_seen(3), until)
                await asyncio.sleep(0.2)
            finally:
                stop.set()
                await asyncio.gather(*workers)
    finally:
        server.stop()

    assert seen and all(status == 200 for status, _, _, _ in seen), [
        s for s in seen if s[0] != 200][:5]
    assert {rev for _, rev, _, _ in seen} == {1, 2, 3}
    assert all(LABELS[rev] == label for _, rev, label, _ in seen)
    assert not tracebacks(server.output()), server.output()[-3000:]
    runs = await logged_runs(load_settings(root, {}), root, [run_id for *_, run_id in seen])
    assert len(runs) == len(seen)
    for _, rev, label, run_id in seen:
        run = runs[run_id]
        assert run.revision == rev and run.output is not None and run.output["label"] == label
        assert [a.status for a in run.attempts] == ["ok"]
    assert sorted(p.name for p in (root / "generated" / "tiny").iterdir()) == ["r1", "r2", "r3"]
