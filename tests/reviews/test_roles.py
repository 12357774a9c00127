"""The reviewer role: between caller and admin; two reviewers resolving at once over HTTP."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
from click.testing import CliRunner

from specwright.runtime.cli import main
from specwright.runtime.config import load_settings
from specwright.runtime.http.app import create_app
from specwright.runtime.http.auth import KeyStore, keys_path

REPO = Path(__file__).resolve().parents[2]
PENDING = {"order_id": "B-1", "order_total": 45.5, "item_count": 2, "payment_status": "pending",
           "shipping_country": "CA", "address_verified": True, "fraud_score": 20}
FINAL = {"decision": "hold", "reason_code": "payment_pending", "needs_review": True}


def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "specs").mkdir(parents=True)
    shutil.copy(REPO / "specs" / "order-validation.md", root / "specs")
    shutil.copytree(REPO / "generated" / "order-validation", root / "generated" / "order-validation")
    return root


async def test_roles_and_a_race_of_two_reviewers(tmp_path: Path) -> None:
    root = project(tmp_path)
    created = CliRunner().invoke(main, ["keys", "create", "--reviewer", "--name", "ana",
                                        "--project", str(root)])
    assert created.exit_code == 0, created.output
    ana = created.stdout.strip().splitlines()[-1]
    keys = KeyStore(keys_path(load_settings(root), root))
    assert [(k.name, k.role) for k in keys.all()] == [("ana", "reviewer")]
    _, bo = keys.create("reviewer", "bo")
    _, caller = keys.create("caller")
    _, admin = keys.create("admin")
    h = {name: {"Authorization": f"Bearer {k}"} for name, k in
         (("ana", ana), ("bo", bo), ("caller", caller), ("admin", admin))}
    app = create_app(load_settings(root), root)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.post("/specs/order-validation/v1", json=PENDING, headers=h["ana"])
            assert r.status_code == 200  # a reviewer may call the specs
            case = r.headers["x-specwright-review"]
            for path in ("/runs", "/metrics"):
                forbidden = await c.get(path, headers=h["ana"])
                assert forbidden.status_code == 403 and "admin key" in forbidden.json()["message"]
            refused = await c.get("/reviews", headers=h["caller"])
            assert refused.status_code == 403
            assert "specwright keys create --reviewer" in refused.json()["message"]
            assert (await c.get(f"/reviews/{case}", headers=h["admin"])).status_code == 200
            both = await asyncio.gather(*(
                c.post(f"/reviews/{case}/resolve", headers=h[name],
                       json={"output": FINAL, "note": name}) for name in ("ana", "bo")))
            assert sorted(r.status_code for r in both) == [200, 409]
            winner = next(r for r in both if r.status_code == 200).json()["resolution"]
            shown = (await c.get(f"/reviews/{case}", headers=h["bo"])).json()
            assert shown["resolution"] == winner
            assert [e["kind"] for e in shown["events"]] == ["resolve"]
