"""The operations loop end to end on order-validation: a run needing review opens a case, a
reviewer key lists, claims and resolves it, a loopback webhook receiver gets a correctly signed
delivery after one failed one, ``GET /runs/{id}`` shows the resolution, and ``to-example`` adds
an example that the recompiled spec's generated suite checks."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from specwright.runtime.cli import main
from specwright.runtime.config import load_settings
from specwright.runtime.engine.webhooks import SIGNATURE_HEADER, verify
from specwright.runtime.http.app import create_app
from specwright.runtime.http.auth import KeyStore, keys_path

REPO = Path(__file__).resolve().parents[2]
SECRET_ENV = "SPECWRIGHT_TEST_REVIEW_SECRET"
SECRET = "s3cret-for-the-loop"
PENDING = {"order_id": "B-9001", "order_total": 45.5, "item_count": 2,
           "payment_status": "pending", "shipping_country": "CA", "address_verified": True,
           "fraud_score": 20}
ORDINARY = {**PENDING, "order_id": "B-9002", "payment_status": "authorized"}


class Receiver:
    """A loopback webhook receiver that refuses its first delivery with a 503."""

    def __init__(self) -> None:
        self.got: list[tuple[int, dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server hook's name
                body = self.rfile.read(int(self.headers["content-length"]))
                status = 503 if not receiver.got else 200
                receiver.got.append((status, dict(self.headers), body))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
def project(tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    (root / "specs").mkdir(parents=True)
    shutil.copy(REPO / "specs" / "order-validation.md", root / "specs")
    shutil.copytree(REPO / "generated" / "order-validation", root / "generated" / "order-validation")
    (root / "specwright.toml").write_text(
        f'[webhooks.order-validation]\nurl = "{receiver.url}"\nsecret_env = "{SECRET_ENV}"\n'
        "backoff_base_s = 0.05\n"
    )
    monkeypatch.setenv(SECRET_ENV, SECRET)
    return root


async def test_the_review_loop(project: Path, receiver: Receiver) -> None:
    keys = KeyStore(keys_path(load_settings(project), project))
    _, caller = keys.create("caller")
    _, reviewer = keys.create("reviewer", "ana")
    _, admin = keys.create("admin")
    as_caller, as_reviewer, as_admin = (
        {"Authorization": f"Bearer {k}"} for k in (caller, reviewer, admin))
    app = create_app(load_settings(project), project)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            ok = await c.post("/specs/order-validation/v1", json=ORDINARY, headers=as_caller)
            assert ok.status_code == 200 and "x-specwright-review" not in ok.headers
            r = await c.post("/specs/order-validation/v1", json=PENDING, headers=as_caller)
            assert r.status_code == 200, r.text
            assert r.json() == {"decision": "hold", "reason_code": "payment_pending",
                                "needs_review": True}  # answered as usual
            case_id = r.headers["x-specwright-review"]
            assert case_id == r.headers["x-specwright-run-id"]
            assert r.headers["x-specwright-status"] == "escalated"

            assert (await c.get("/reviews", headers=as_caller)).status_code == 403
            listed = (await c.get("/reviews", params={"spec": "order-validation",
                                                      "state": "open"}, headers=as_reviewer))
            assert [x["id"] for x in listed.json()["cases"]] == [case_id]
            claimed = await c.post(f"/reviews/{case_id}/claim", headers=as_reviewer)
            assert claimed.json()["state"] == "claimed" and claimed.json()["claimed_by"] == "ana"

            bad = await c.post(f"/reviews/{case_id}/resolve", headers=as_reviewer,
                               json={"output": {"decision": "maybe"}, "note": ""})
            assert bad.status_code == 422 and bad.json()["type"] == "resolution_invalid"
            assert any(d["loc"] == ["body", "output", "decision"] for d in bad.json()["details"])
            unsafe = await c.post(f"/reviews/{case_id}/resolve", headers=as_reviewer, json={
                "output": {"decision": "accept", "reason_code": "ok", "needs_review": False}})
            assert unsafe.status_code == 422 and unsafe.json()["type"] == "guardrail_failed"

            final = {"decision": "hold", "reason_code": "payment_pending", "needs_review": True}
            done = await c.post(f"/reviews/{case_id}/resolve", headers=as_reviewer,
                                json={"output": final, "note": "card issuer confirmed the hold"})
            assert done.status_code == 200, done.text
            assert done.json()["resolution"]["reviewer"] == "ana"
            assert done.json()["resolution"]["overridden"] is False
            again = await c.post(f"/reviews/{case_id}/resolve", headers=as_reviewer,
                                 json={"output": final})
            assert again.status_code == 409 and again.json()["type"] == "already_resolved"

            for _ in range(200):  # the delivery runs in the background: poll the case
                case = (await c.get(f"/reviews/{case_id}", headers=as_reviewer)).json()
                deliveries = [e["data"] for e in case["events"] if e["kind"] == "delivery"]
                if any(d["ok"] for d in deliveries):
                    break
                await asyncio.sleep(0.02)
            assert [(d["attempt"], d["status"], d["ok"]) for d in deliveries] == [
                (1, 503, False), (2, 200, True)]

            run = (await c.get(f"/runs/{case_id}", headers=as_admin)).json()
            assert run["output"]["decision"] == "hold"  # the run itself is never changed
            assert run["review"]["state"] == "resolved"
            assert run["review"]["resolution"]["output"] == final
            assert run["review"]["resolution"]["reviewer"] == "ana"

    assert [status for status, _, _ in receiver.got] == [503, 200]
    _, headers, body = receiver.got[1]
    assert verify(SECRET, headers[SIGNATURE_HEADER], body)
    assert not verify("wrong secret", headers[SIGNATURE_HEADER], body)
    sent = json.loads(body)
    assert (sent["case"], sent["output"], sent["reviewer"]) == (case_id, final, "ana")

    runner = CliRunner()
    # the CLI runs its own event loop: off this test's loop, on a thread
    result = await asyncio.to_thread(
        runner.invoke, main, ["reviews", "to-example", case_id, "--project", str(project)])
    assert result.exit_code == 0, result.output
    spec_text = (project / "specs" / "order-validation.md").read_text()
    assert f"### Review {case_id}" in spec_text and "resolved by ana" in spec_text
    result = await asyncio.to_thread(runner.invoke, main, ["compile", "--project", str(project)])
    assert result.exit_code == 0, result.output
    newest = max((project / "generated" / "order-validation").iterdir(),
                 key=lambda p: int(p.name[1:]))
    assert f"Review {case_id}" in (newest / "spec.json").read_text()
    suite = subprocess.run(
        [str(Path(sys.executable).parent / "specwright"), "test", "--project", str(project),
         "-v", "-k", "example"],
        capture_output=True, text=True, timeout=300, env={**os.environ},
    )
    assert suite.returncode == 0, suite.stdout + suite.stderr
    assert case_id.lower() in (suite.stdout + suite.stderr).lower()
