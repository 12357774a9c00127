"""A running server follows label moves made elsewhere (the CLI, another replica) with no
failed request; the label endpoints with their roles; a label asked for per request."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
import pytest
from labels_support import compile_tiny, running, wait_for

from specwright.runtime.config import Settings
from specwright.runtime.engine.labels import Places, promote, rollback
from specwright.runtime.http.app import create_app
from specwright.runtime.http.auth import KeyStore, keys_path
from specwright.runtime.logstore.labels import open_label_db

TIMEOUT_S = 10.0  # generous bound for a loaded machine; the poll interval is 0.5 s


def places(root: Path, settings: Settings) -> Places:
    return Places(settings.path(root, settings.generated_dir),
                  settings.path(root, settings.data_dir) / "revisions")


def move(root: Path, settings: Settings, revision: int | None = None, *,
         back: bool = False, label: str = "production") -> None:
    """A move made outside the server, as ``specwright promote`` / ``rollback`` makes it."""
    db = open_label_db(settings, root)
    assert db is not None
    try:
        if back:
            rollback(db, places(root, settings), "tiny", label=label, actor="tester", reason="")
        else:
            promote(db, places(root, settings), "tiny", revision, label=label, actor="tester",
                    reason="test")
    finally:
        db.close()


async def test_a_running_server_follows_moves_under_load(tmp_path: Path,
                                                         settings: Settings) -> None:
    root = tmp_path / "p"
    compile_tiny(root, "first", settings)
    compile_tiny(root, "second", settings)
    app = create_app(settings, root)
    seen: list[tuple[int, int, str]] = []
    stop = asyncio.Event()

    async def load(c: httpx.AsyncClient) -> None:
        while not stop.is_set():
            r = await c.post("/specs/tiny/v1", json={"n": 5})
            label = r.json().get("label", r.text) if r.status_code == 200 else r.text
            seen.append((r.status_code, int(r.headers.get("X-Specwright-Revision", 0)), label))
            await asyncio.sleep(0.002)

    async def serving(n: int) -> bool:
        return bool(seen) and seen[-1][1] == n

    async with running(app) as c:
        workers = [asyncio.create_task(load(c)) for _ in range(4)]
        await wait_for("r2 (the latest) served", lambda: serving(2), TIMEOUT_S)
        await asyncio.to_thread(move, root, settings, 1)
        await wait_for("r1 served after promote", lambda: serving(1), TIMEOUT_S)
        await asyncio.to_thread(move, root, settings, back=True)
        await wait_for("r2 served after rollback", lambda: serving(2), TIMEOUT_S)
        stop.set()
        await asyncio.gather(*workers)
    assert seen and all(status == 200 for status, _, _ in seen), [s for s in seen if s[0] != 200]
    assert all({1: "first", 2: "second"}[rev] == label for _, rev, label in seen)
    assert {rev for _, rev, _ in seen} == {1, 2}


async def test_label_endpoints_and_roles(tmp_path: Path, settings: Settings) -> None:
    root = tmp_path / "p"
    compile_tiny(root, "first", settings)
    compile_tiny(root, "second", settings)
    compile_tiny(root, "third", settings, breaking=True)  # r3 is contract v2
    keys = KeyStore(keys_path(settings, root))
    admin, admin_token = keys.create("admin")
    _, caller_token = keys.create("caller")
    as_admin = {"Authorization": f"Bearer {admin_token}"}
    as_caller = {"Authorization": f"Bearer {caller_token}"}
    app = create_app(settings, root)
    async with running(app) as c:
        r = await c.get("/specs/tiny/labels", headers=as_caller)
        assert r.status_code == 200
        assert r.json()["labels"] == [{"label": "production", "revision": None, "serving": 3,
                                       "major": 2}]
        r = await c.post("/specs/tiny/labels/production", json={"revision": 1},
                         headers=as_caller)
        assert r.status_code == 403 and r.json()["type"] == "forbidden"
        r = await c.post("/specs/tiny/impact", json={}, headers=as_caller)
        assert r.status_code == 403
        r = await c.post("/specs/tiny/labels/production", json={"revision": 1})
        assert r.status_code == 401
        r = await c.post("/specs/tiny/labels/production", json={"revision": 9},
                         headers=as_admin)
        assert r.status_code == 422 and r.json()["type"] == "label_refused"
        assert "tiny has no revision 9 (its revisions: 1, 2, 3)" in r.json()["message"]
        r = await c.post("/specs/tiny/labels/production", json={"revision": 1, "rollback": True},
                         headers=as_admin)
        assert r.status_code == 422
        r = await c.post("/specs/tiny/labels/staging",
                         json={"revision": 2, "reason": "try r2"}, headers=as_admin)
        assert r.status_code == 200, r.text
        assert r.json()["serving"] == 2 and r.json()["move"]["actor"] == admin.id
        # a label asked for per request; a pin and a label together conflict
        r = await c.post("/specs/tiny/v1", json={"n": 1},
                         headers={**as_caller, "X-Specwright-Label": "staging"})
        assert r.json() == {"label": "second"} and r.headers["X-Specwright-Revision"] == "2"
        r = await c.post("/specs/tiny/v1?label=staging&revision=1", json={"n": 1},
                         headers=as_caller)
        assert r.status_code == 409 and r.json()["type"] == "conflicting_revision_pins"
        r = await c.post("/specs/tiny/v1", json={"n": 1},
                         headers={**as_caller, "X-Specwright-Label": " "})  # empty: no label
        assert r.status_code == 200
        r = await c.post("/specs/tiny/labels/staging", json={"revision": 2, "latest": True},
                         headers=as_admin)
        assert r.status_code == 422  # one action a request, as the body's schema says
        r = await c.post("/specs/tiny/v1?label=Not%20a%20label", json={"n": 1},
                         headers=as_caller)
        assert r.status_code == 400 and "is not a label name" in r.json()["message"]
        r = await c.post("/specs/tiny/v2", json={"n": 1, "m": 1},
                         headers={**as_caller, "X-Specwright-Label": "staging"})
        assert r.status_code == 404 and "/specs/tiny/v1" in r.json()["message"]
        r = await c.post("/specs/tiny/v1", json={"n": 1},
                         headers={**as_caller, "X-Specwright-Label": "canary"})
        assert r.status_code == 404 and "production, staging" in r.json()["message"]
        # production across majors: v1 callers get r1, v2 stays served at r3
        r = await c.post("/specs/tiny/labels/production", json={"revision": 1},
                         headers=as_admin)
        assert r.status_code == 200 and r.json()["serving"] == 1
        r = await c.post("/specs/tiny/v1", json={"n": 1}, headers=as_caller)
        assert r.json() == {"label": "first"}
        r = await c.post("/specs/tiny/v2", json={"n": 1, "m": 1}, headers=as_caller)
        assert r.json() == {"label": "third"} and r.headers["X-Specwright-Revision"] == "3"
        r = await c.post("/specs/tiny/labels/production", json={"rollback": True},
                         headers=as_admin)
        assert r.status_code == 200 and r.json()["move"]["to_revision"] == 3
        r = await c.get("/specs/tiny/history", headers=as_caller)
        moves = r.json()["moves"]
        assert [(m["label"], m["kind"], m["from_revision"], m["to_revision"]) for m in moves] == [
            ("staging", "promote", None, 2),
            ("production", "promote", None, 1),
            ("production", "rollback", 1, 3),
        ]
        assert moves[0]["reason"] == "try r2" and moves[0]["actor"] == admin.id
        assert all(m["moved_at"] > 0 for m in moves)
        doc = (await c.get("/openapi.json", headers=as_admin)).json()
        post = doc["paths"]["/specs/{name}/labels/{label}"]["post"]
        shapes = post["requestBody"]["content"]["application/json"]["schema"]["anyOf"]
        assert sorted(s["$ref"].rsplit("/", 1)[1] for s in shapes) == [
            "FollowLatest", "PromoteRevision", "RollBack"]
        assert "/specs/{name}/history" in doc["paths"] and "/specs/{name}/impact" in doc["paths"]


async def test_two_servers_sharing_postgres_follow_a_promote(tmp_path: Path,
                                                             pg_settings: Settings) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    compile_tiny(a, "first", pg_settings)
    compile_tiny(a, "second", pg_settings)
    shutil.copytree(a / "specs", b / "specs")
    (b / "generated" / "tiny").mkdir(parents=True)
    shutil.copytree(a / "generated" / "tiny" / "r1", b / "generated" / "tiny" / "r1")  # no r2
    app_a, app_b = create_app(pg_settings, a), create_app(pg_settings, b)

    async def answer(c: httpx.AsyncClient) -> tuple[int, str]:
        r = await c.post("/specs/tiny/v1", json={"n": 3})
        assert r.status_code == 200, r.text
        return int(r.headers["X-Specwright-Revision"]), r.json()["label"]

    async with running(app_a) as ca, running(app_b) as cb:
        assert await answer(ca) == (2, "second") and await answer(cb) == (1, "first")
        await asyncio.to_thread(move, a, pg_settings, 2)  # stores r2 in the database

        async def both(rev: int) -> bool:
            return (await answer(ca))[0] == rev and (await answer(cb))[0] == rev

        await wait_for("both servers on r2", lambda: both(2), TIMEOUT_S)
        assert await answer(cb) == (2, "second")  # loaded from the database
        await asyncio.to_thread(move, a, pg_settings, 1)
        await wait_for("both servers on r1", lambda: both(1), TIMEOUT_S)
    assert not (b / "generated" / "tiny" / "r2").exists()


@pytest.mark.parametrize("header", ["X-Specwright-Label"])
async def test_the_default_label_by_name_follows_the_latest(tmp_path: Path, settings: Settings,
                                                            header: str) -> None:
    root = tmp_path / "p"
    compile_tiny(root, "first", settings)
    compile_tiny(root, "second", settings)
    async with running(create_app(settings, root)) as c:
        r = await c.post("/specs/tiny/v1", json={"n": 1}, headers={header: "production"})
        assert r.status_code == 200 and r.headers["X-Specwright-Revision"] == "2"
