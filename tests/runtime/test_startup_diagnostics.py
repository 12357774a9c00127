"""Without ``--watch``: specs edited since their latest revision are compiled in memory once at
start, and ``GET /specs/{name}`` shows the diagnostics of those that no longer compile."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from rt_support import running
from test_hot_reload import TINY

import specwright.runtime.project.plan
from specwright.runtime.config import Settings
from specwright.runtime.http.app import create_app
from specwright.runtime.project.compile_all import compile_project


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in (root / "generated").rglob("*")}


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "specs").mkdir(parents=True)
    (root / "specs" / "tiny.md").write_text(TINY.format(extra="", label="first"))
    result = compile_project(root, Settings(), write=True)
    assert [o.revision for o in result.outcomes] == [1], result.all_diagnostics
    return root


async def test_an_edit_that_does_not_compile_is_shown_without_watch(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = _project(tmp_path)
    (root / "specs" / "tiny.md").write_text(TINY.format(extra="", label="fourth"))
    (root / "specs" / "never.md").write_text(
        TINY.format(extra="", label="fourth").replace("name: tiny", "name: never"))
    before = _files(root)
    app = create_app(Settings(), root)
    with caplog.at_level(logging.WARNING):
        async with running(app) as c:
            detail = (await c.get("/specs/tiny")).json()
            assert detail["compiles"] is False
            assert [r["revision"] for r in detail["revisions"]] == [1]
            assert detail["diagnostics"][0]["file"] == "specs/tiny.md"
            assert detail["diagnostics"][0]["severity"] == "error"
            r = await c.post("/specs/tiny/v1", json={"n": 1})  # r1 is still served
            assert r.status_code == 200 and r.json() == {"label": "first"}
            never = (await c.get("/specs/never")).json()
            assert never["compiles"] is False and never["revisions"] == []
            assert never["diagnostics"][0]["file"] == "specs/never.md"
            listed = {s["name"]: s["compiles"] for s in (await c.get("/specs")).json()["specs"]}
            assert listed == {"never": False, "tiny": False}
            health = (await c.get("/healthz")).json()
            assert health["watching"] is False and health["specs"] == 1
    assert _files(root) == before  # compiled in memory only
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(m.startswith("tiny does not compile (serving r1)") for m in warned), warned
    assert any(m.startswith("never does not compile (not served)") for m in warned), warned


async def test_unchanged_specs_are_not_compiled_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    calls: list[Path] = []
    real = specwright.runtime.project.plan.compile_and_plan

    def counting(root: Path, settings: Settings, path: Path, *a: object) -> object:
        calls.append(path)
        return real(root, settings, path)

    monkeypatch.setattr(specwright.runtime.project.plan, "compile_and_plan", counting)
    async with running(create_app(Settings(), root)) as c:
        detail = (await c.get("/specs/tiny")).json()
        assert detail["compiles"] is True and detail["diagnostics"] == []
        assert calls == []
        await c.get("/specs/tiny")
    # An edit that still compiles is compiled (in memory) and shows nothing.
    (root / "specs" / "tiny.md").write_text(TINY.format(extra="", label="second"))
    before = _files(root)
    async with running(create_app(Settings(), root)) as c:
        detail = (await c.get("/specs/tiny")).json()
        assert detail["compiles"] is True and detail["diagnostics"] == []
        assert [r["revision"] for r in detail["revisions"]] == [1]
    assert len(calls) == 1 and _files(root) == before


def test_stale_specs_hashes_the_text_the_manifest_hashes(tmp_path: Path) -> None:
    from specwright.runtime.http.watch import stale_specs

    root = tmp_path / "proj"
    (root / "specs").mkdir(parents=True)
    spec = root / "specs" / "tiny.md"
    # A byte-order mark is not part of the spec's text: compiled once, it is up to date.
    spec.write_bytes(b"\xef\xbb\xbf" + TINY.format(extra="", label="first").encode("utf-8"))
    assert [o.revision for o in compile_project(root, Settings(), write=True).outcomes] == [1]
    assert stale_specs(Settings(), root) == []
    spec.write_text(TINY.format(extra="", label="second"), encoding="utf-8")
    assert stale_specs(Settings(), root) == [
        "tiny.md changed since r1: serving r1; run specwright compile (or serve --watch)"
    ]
    spec.write_bytes(b"\xff\xfe not utf-8")
    (message,) = stale_specs(Settings(), root)
    assert message.startswith("tiny.md: not UTF-8 text")
