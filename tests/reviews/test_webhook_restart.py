"""Webhook deliveries survive a restart: a case resolved while the receiver is down is
delivered by the next server on the same log once the receiver is up, exactly once, with
every attempt (the failed ones of the first server too) on the case."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from specwright.runtime.config import load_settings
from specwright.runtime.engine.webhooks import SIGNATURE_HEADER, verify
from specwright.runtime.http.app import create_app
from specwright.runtime.http.auth import KeyStore, keys_path

REPO = Path(__file__).resolve().parents[2]
SECRET_ENV = "SPECWRIGHT_TEST_RESTART_SECRET"
PENDING = {"order_id": "B-77", "order_total": 45.5, "item_count": 2, "payment_status": "pending",
           "shipping_country": "CA", "address_verified": True, "fraud_score": 20}
FINAL = {"decision": "hold", "reason_code": "payment_pending", "needs_review": True}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def receive_on(port: int, got: list[tuple[dict[str, str], bytes]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server hook's name
            got.append((dict(self.headers), self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(500):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the deliveries did not get there")


async def test_a_restarted_server_resumes_the_delivery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens there yet: the receiver is down
    project = tmp_path / "proj"
    (project / "specs").mkdir(parents=True)
    shutil.copy(REPO / "specs" / "order-validation.md", project / "specs")
    shutil.copytree(REPO / "generated" / "order-validation",
                    project / "generated" / "order-validation")
    (project / "specwright.toml").write_text(
        f'[webhooks.order-validation]\nurl = "http://127.0.0.1:{port}/hook"\n'
        f'secret_env = "{SECRET_ENV}"\nbackoff_base_s = 0.1\nbackoff_max_s = 0.4\n'
        "timeout_s = 2.0\n")
    monkeypatch.setenv(SECRET_ENV, "restart-secret")
    keys = KeyStore(keys_path(load_settings(project), project))
    headers = [{"Authorization": f"Bearer {keys.create(role)[1]}"}
               for role in ("caller", "reviewer")]

    async def deliveries(c: httpx.AsyncClient, case_id: str) -> list[dict[str, Any]]:
        case = (await c.get(f"/reviews/{case_id}", headers=headers[1])).json()
        return [e["data"] for e in case["events"] if e["kind"] == "delivery"]

    first = create_app(load_settings(project), project)
    async with first.router.lifespan_context(first):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=first),
                                     base_url="http://t") as c:
            r = await c.post("/specs/order-validation/v1", json=PENDING, headers=headers[0])
            case_id = r.headers["x-specwright-review"]
            done = await c.post(f"/reviews/{case_id}/resolve", headers=headers[1],
                                json={"output": FINAL, "note": "held"})
            assert done.status_code == 200, done.text

            async def failed_once() -> bool:
                return len(await deliveries(c, case_id)) >= 1

            await until(failed_once)
    # the first server is gone, its retries with it; the receiver comes up
    got: list[tuple[dict[str, str], bytes]] = []
    receiver = receive_on(port, got)
    try:
        second = create_app(load_settings(project), project)
        async with second.router.lifespan_context(second):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=second),
                                         base_url="http://t") as c:
                async def acknowledged() -> bool:
                    return any(d["ok"] for d in await deliveries(c, case_id))

                await until(acknowledged)
                await asyncio.sleep(0.5)  # room for a second delivery, which must not come
                attempts = await deliveries(c, case_id)
    finally:
        receiver.shutdown()
        receiver.server_close()
    assert len(got) == 1, "delivered exactly once"
    sent_headers, body = got[0]
    assert verify("restart-secret", sent_headers[SIGNATURE_HEADER], body)
    assert [d["attempt"] for d in attempts] == list(range(1, len(attempts) + 1))
    assert [d["ok"] for d in attempts] == [False] * (len(attempts) - 1) + [True]
    assert all("ConnectError" in d["error"] for d in attempts[:-1])
    with sqlite3.connect(project / ".specwright" / "runs.sqlite3") as db:
        assert db.execute("SELECT attempts, done, holder FROM webhook_deliveries").fetchall() == [
            (len(attempts), 1, None)]


async def test_the_cli_resolve_follows_the_schedule_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from specwright.runtime.cli import main

    statuses = [503, 200]
    got: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server hook's name
            self.rfile.read(int(self.headers["content-length"]))
            got.append(statuses[min(len(got), 1)])
            self.send_response(got[-1])
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    project = tmp_path / "proj"
    (project / "specs").mkdir(parents=True)
    shutil.copy(REPO / "specs" / "order-validation.md", project / "specs")
    shutil.copytree(REPO / "generated" / "order-validation",
                    project / "generated" / "order-validation")
    (project / "specwright.toml").write_text(
        f'[webhooks.order-validation]\nurl = "http://127.0.0.1:{receiver.server_address[1]}/h"\n'
        f'secret_env = "{SECRET_ENV}"\nbackoff_base_s = 0.05\n')
    monkeypatch.setenv(SECRET_ENV, "cli-secret")
    try:
        app = create_app(load_settings(project), project)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://t") as c:
                r = await c.post("/specs/order-validation/v1", json=PENDING)
                case_id = r.headers["x-specwright-review"]
        result = await asyncio.to_thread(CliRunner().invoke, main, [
            "reviews", "resolve", case_id, "--output", json.dumps(FINAL), "--reviewer", "ana",
            "--project", str(project)])
        shown = await asyncio.to_thread(CliRunner().invoke, main, [
            "reviews", "show", case_id, "--project", str(project)])
    finally:
        receiver.shutdown()
        receiver.server_close()
    assert result.exit_code == 0 and "webhook acknowledged" in result.output, result.output
    assert got == [503, 200]
    events = json.loads(shown.output)["events"]
    assert [(e["data"]["attempt"], e["data"]["ok"]) for e in events if e["kind"] == "delivery"] == [
        (1, False), (2, True)]
