"""``serve --watch``: a spec edited while requests flow.

No request fails; every answer is consistent with exactly one revision (the one named in its
``X-Specwright-Revision`` header); an edit that does not compile leaves the previous revision
served with the diagnostics on ``GET /specs/{name}``; a breaking edit adds ``/v2`` at runtime.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from rt_support import EXTRA, TINY, running

from specwright.runtime.config import Settings
from specwright.runtime.http.app import create_app
from specwright.runtime.project.compile_all import compile_project

DEADLINE_S = 60.0


async def wait_for(what: str, cond: Callable[[], Awaitable[bool]], until: float) -> None:
    while time.monotonic() < until:
        if await cond():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_edit_under_load(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "specs").mkdir(parents=True)
    spec = root / "specs" / "tiny.md"
    spec.write_text(TINY.format(extra="", label="first"))
    first = compile_project(root, Settings())
    assert [o.revision for o in first.outcomes] == [1], first.all_diagnostics

    app = create_app(Settings(), root, watch=True)
    until = time.monotonic() + DEADLINE_S
    seen: list[tuple[int, int, str]] = []  # (status, revision, label)
    stop = asyncio.Event()

    async def load(c: httpx.AsyncClient) -> None:
        while not stop.is_set() and time.monotonic() < until:
            r = await c.post("/specs/tiny/v1", json={"n": 5})
            label = r.json().get("label", r.text) if r.status_code == 200 else r.text
            seen.append((r.status_code, int(r.headers.get("X-Specwright-Revision", 0)), label))
            await asyncio.sleep(0.005)

    async with running(app) as c:
        workers = [asyncio.create_task(load(c)) for _ in range(4)]

        async def revision_seen(n: int) -> bool:
            return any(rev == n for _, rev, _ in seen)

        await wait_for("r1 answers", lambda: revision_seen(1), until)
        spec.write_text(TINY.format(extra="", label="second"))  # compatible: r2, still v1
        await wait_for("r2 answers", lambda: revision_seen(2), until)

        spec.write_text(TINY.format(extra="", label="fourth"))  # not a value of the enum

        async def diagnosed() -> bool:
            detail = (await c.get("/specs/tiny")).json()
            return bool(detail["diagnostics"]) and detail["compiles"] is False

        await wait_for("diagnostics", diagnosed, until)
        detail = (await c.get("/specs/tiny")).json()
        assert detail["latest_revision"] == 2
        assert detail["diagnostics"][0]["file"] == "specs/tiny.md"
        assert (await c.post("/specs/tiny/v1", json={"n": 1})).json() == {"label": "second"}

        spec.write_text(TINY.format(extra=EXTRA, label="third"))  # breaking: r3 is v2

        async def v2_served() -> bool:
            return (await c.post("/specs/tiny/v2", json={"n": 1, "m": 2})).status_code == 200

        await wait_for("/specs/tiny/v2", v2_served, until)
        stop.set()
        await asyncio.gather(*workers)
        r = await c.post("/specs/tiny/v2", json={"n": 1, "m": 2})
        assert r.json() == {"label": "third"} and r.headers["X-Specwright-Revision"] == "3"
        r = await c.post("/specs/tiny/v1", json={"n": 1})
        assert r.json() == {"label": "second"} and r.headers["X-Specwright-Revision"] == "2"
        assert (await c.post("/specs/tiny/v1?revision=1", json={"n": 1})).json() == {
            "label": "first"}
        doc = (await c.get("/openapi.json")).json()
        assert {"/specs/tiny/v1", "/specs/tiny/v2"} <= set(doc["paths"])
        v2 = doc["paths"]["/specs/tiny/v2"]["post"]["requestBody"]["content"]
        ref = v2["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert "m" in doc["components"]["schemas"][ref]["required"]
        specs = (await c.get("/specs")).json()["specs"]
        assert [m["major"] for m in specs[0]["majors"]] == [1, 2]
        assert specs[0]["compiles"] is True

    assert seen and all(status == 200 for status, _, _ in seen), [s for s in seen if s[0] != 200]
    expected = {1: "first", 2: "second"}
    assert all(expected[rev] == label for _, rev, label in seen)
    assert {rev for _, rev, _ in seen} == {1, 2}


async def test_a_spec_that_never_compiled_shows_its_diagnostics(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "specs").mkdir(parents=True)
    (root / "specs" / "tiny.md").write_text(TINY.format(extra="", label="fourth"))
    app = create_app(Settings(), root, watch=True)
    async with running(app) as c:  # the app compiles at start when it watches
        detail = (await c.get("/specs/tiny")).json()
        assert detail["compiles"] is False and detail["revisions"] == []
        assert detail["diagnostics"][0]["severity"] == "error"
        r = await c.post("/specs/tiny/v1", json={"n": 1})
        assert r.status_code == 404 and "does not compile" in r.json()["message"]
        assert (await c.get("/specs")).json()["specs"][0]["compiles"] is False
