"""``specwright reviews list|show|claim|resolve`` on the log, with no server running."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import httpx
from click.testing import CliRunner

from specwright.runtime.cli import main
from specwright.runtime.config import load_settings
from specwright.runtime.http.app import create_app

REPO = Path(__file__).resolve().parents[2]
PENDING = {"order_id": "B-1", "order_total": 45.5, "item_count": 2, "payment_status": "pending",
           "shipping_country": "CA", "address_verified": True, "fraud_score": 20}


async def open_a_case(root: Path) -> str:
    app = create_app(load_settings(root), root)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.post("/specs/order-validation/v1", json=PENDING)
            return r.headers["x-specwright-review"]


def test_the_queue_from_the_shell(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "specs").mkdir(parents=True)
    shutil.copy(REPO / "specs" / "order-validation.md", root / "specs")
    shutil.copytree(REPO / "generated" / "order-validation", root / "generated" / "order-validation")
    case = asyncio.run(open_a_case(root))
    runner = CliRunner()
    project = ["--project", str(root)]

    listed = runner.invoke(main, ["reviews", "list", "--state", "open", *project])
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert [(r["id"], r["state"]) for r in rows] == [(case, "open")]

    claimed = runner.invoke(main, ["reviews", "claim", case, "--reviewer", "ana", *project])
    assert claimed.exit_code == 0 and "claimed by ana" in claimed.output

    bad = runner.invoke(main, ["reviews", "resolve", case, "--output", '{"decision": "maybe"}',
                               *project])
    assert bad.exit_code == 1 and "does not match the order-validation r4 output" in bad.output
    notjson = runner.invoke(main, ["reviews", "resolve", case, "--output", "{", *project])
    assert notjson.exit_code == 2 and "not JSON" in notjson.output

    final = {"decision": "reject", "reason_code": "payment_declined", "needs_review": False}
    done = runner.invoke(main, ["reviews", "resolve", case, "--output", json.dumps(final),
                                "--note", "card declined on retry", "--reviewer", "ana",
                                *project])
    assert done.exit_code == 0, done.output
    again = runner.invoke(main, ["reviews", "resolve", case, "--output", json.dumps(final),
                                 *project])
    assert again.exit_code == 1 and "already resolved" in again.output

    shown = json.loads(runner.invoke(main, ["reviews", "show", case, *project]).output)
    assert shown["state"] == "resolved" and shown["claimed_by"] == "ana"
    assert shown["resolution"]["output"] == final
    assert shown["resolution"]["changed"] == ["decision", "reason_code", "needs_review"]
    missing = runner.invoke(main, ["reviews", "show", "01KBW4ZZZZZZZZZZZZZZZZZZZZ", *project])
    assert missing.exit_code == 1 and "no review case" in missing.output
