"""``serve --watch`` never serves a revision the table analysis finds errors in.

The order-validation incident: ``> 1000`` changed to ``> 500`` in only one of its three parallel
tables. Served, a $700 first order got ``422 guardrail_failed``; now the edit does not compile, so
the previous revision keeps answering (200, ``accept``) and ``GET /specs/{name}`` shows the
located counterexample. A table gap is held back the same way.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from rt_support import running

from specwright.runtime.config import Settings
from specwright.runtime.http.app import create_app
from specwright.runtime.project.compile_all import compile_project

ROOT = Path(__file__).resolve().parents[2]
HOLD = "| yes         | > 1000      | hold     |"
CATCH_ALL = ("| -              | -          | -                      | -           | -"
             "                | -           | -           | accept   |\n")
ORDER = {"order_id": "B-9", "order_total": 700, "item_count": 2, "payment_status": "authorized",
         "shipping_country": "US", "address_verified": True, "fraud_score": 10,
         "first_order": True}


async def test_an_edit_with_analysis_errors_is_not_served(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "specs").mkdir(parents=True)
    spec = root / "specs" / "order-validation.md"
    # the three-table form of order-validation, where the incident happened
    text = (ROOT / "bench" / "fixtures" / "order-validation-three-tables.md").read_text()
    spec.write_text(text)
    first = compile_project(root, Settings())
    assert [o.revision for o in first.outcomes] == [1], first.all_diagnostics

    app = create_app(Settings(), root, watch=True)
    async with running(app) as c:
        async def shows(needle: str) -> dict[str, object]:
            until = time.monotonic() + 60
            while time.monotonic() < until:
                detail = (await c.get("/specs/order-validation")).json()
                if any(needle in d["message"] for d in detail["diagnostics"]):
                    return dict(detail)
                await asyncio.sleep(0.1)
            raise AssertionError(f"timed out waiting for {needle!r}")

        assert text.count(HOLD) == 1
        spec.write_text(text.replace(HOLD, HOLD.replace("> 1000 ", "> 500  ")))
        detail = await shows("the tables can break guardrail")
        assert detail["compiles"] is False and detail["latest_revision"] == 1
        diagnostic = detail["diagnostics"][0]  # type: ignore[index]
        assert (diagnostic["line"], diagnostic["severity"]) == (53, "error")
        assert "needs_review=no" in diagnostic["message"]
        r = await c.post("/specs/order-validation/v1", json=ORDER)
        assert r.status_code == 200 and r.json()["decision"] == "accept"
        assert r.headers["X-Specwright-Revision"] == "1"

        assert text.count(CATCH_ALL) == 1
        spec.write_text(text.replace(CATCH_ALL, ""))
        detail = await shows("has a gap")
        assert detail["compiles"] is False and detail["latest_revision"] == 1
        r = await c.post("/specs/order-validation/v1", json=ORDER)
        assert r.status_code == 200 and r.headers["X-Specwright-Revision"] == "1"
    assert sorted(p.name for p in (root / "generated" / "order-validation").iterdir()) == ["r1"]
