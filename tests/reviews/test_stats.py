"""``GET /specs/{name}/stats`` and ``specwright stats``: per-row hits and reviewer overrides;
the review counters of ``/metrics`` after the same batch."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from specwright.runtime.cli import main
from specwright.runtime.config import load_settings
from specwright.runtime.http.app import create_app

REPO = Path(__file__).resolve().parents[2]
BASE = {"order_id": "B-1", "order_total": 45.5, "item_count": 2, "payment_status": "authorized",
        "shipping_country": "CA", "address_verified": True, "fraud_score": 20}
PENDING = {**BASE, "payment_status": "pending"}
RISKY = {**BASE, "fraud_score": 60}


async def scrape(c: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = (await c.get("/metrics")).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "specs").mkdir(parents=True)
    shutil.copy(REPO / "specs" / "order-validation.md", root / "specs")
    shutil.copytree(REPO / "generated" / "order-validation", root / "generated" / "order-validation")
    return root


async def test_stats_count_hits_reviews_and_overrides(tmp_path: Path) -> None:
    root = project(tmp_path)
    app = create_app(load_settings(root), root)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            before = await scrape(c)
            for body in (BASE, BASE, BASE, PENDING, RISKY):
                assert (await c.post("/specs/order-validation/v1", json=body)).status_code == 200
            cases = (await c.get("/reviews")).json()["cases"]
            by_id = {x["input"]["payment_status"] + str(x["input"]["fraud_score"]): x
                     for x in cases}
            pending, risky = by_id["pending20"], by_id["authorized60"]
            await c.post(f"/reviews/{pending['id']}/resolve", json={"output": pending["output"]})
            overridden = {"decision": "hold", "reason_code": "high_fraud_risk",
                          "needs_review": True}
            r = await c.post(f"/reviews/{risky['id']}/resolve", json={"output": overridden})
            assert r.json()["resolution"]["changed"] == ["decision", "reason_code"]
            stats = (await c.get("/specs/order-validation/stats")).json()
            after = await scrape(c)
    spec = (("spec", "order-validation"),)
    for name, count in (("specwright_review_cases_opened_total", 2),
                        ("specwright_review_cases_resolved_total", 2),
                        ("specwright_review_cases_overridden_total", 1),
                        ("specwright_review_case_age_seconds_count", 2)):
        assert after.get((name, spec), 0) - before.get((name, spec), 0) == count, name
    assert stats["runs"] == 5 and stats["by_status"] == {"escalated": 2, "ok": 3}
    assert stats["reviews"] == {"opened": 2, "resolved": 2, "overridden": 1, "open": 0}
    assert stats["oldest_open_age_s"] is None
    assert stats["latency_ms"]["p50"] is not None
    review_table = "Decision: needs_review"
    risky_row = next(t for t in risky["rule_trace"] if t["table"] == review_table)
    # the risky run's three rows (one per table) were overridden once each: they come first
    assert [r["overridden"] for r in stats["rows"]][:4] == [1, 1, 1, 0]
    row = next(r for r in stats["rows"][:3] if r["table"] == review_table)
    assert (row["line"], row["hits"], row["resolved"], row["override_rate"]) == (
        risky_row["row_lines"][0], 1, 1, 1.0)
    accept_rows = [r for r in stats["rows"] if r["table"] == "Decision: decision" and r["hits"] == 4]
    assert len(accept_rows) == 1 and accept_rows[0]["resolved"] == 1  # 3 ok + the risky one

    result = await asyncio.to_thread(CliRunner().invoke, main, [
        "stats", "order-validation", "--json", "--project", str(root)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["reviews"] == stats["reviews"]
    table = await asyncio.to_thread(CliRunner().invoke, main, [
        "stats", "order-validation", "--project", str(root)])
    assert "Decision: needs_review" in table.output and "100%" in table.output
    later = await asyncio.to_thread(CliRunner().invoke, main, [
        "stats", "order-validation", "--since", "2100-01-01T00:00:00Z", "--json",
        "--project", str(root)])
    assert json.loads(later.output)["runs"] == 0 and json.loads(later.output)["rows"] == []


async def test_stats_show_the_cases_still_waiting_and_the_oldest_ones_wait(
    tmp_path: Path,
) -> None:
    from specwright.runtime.engine.stats import spec_stats

    root = project(tmp_path)
    app = create_app(load_settings(root), root)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            for body in (PENDING, RISKY, BASE):
                assert (await c.post("/specs/order-validation/v1", json=body)).status_code == 200
            cases = (await c.get("/reviews")).json()["cases"]  # newest first
            await c.post(f"/reviews/{cases[0]['id']}/resolve", json={"output": cases[0]["output"]})
            oldest = (await c.get(f"/runs/{cases[1]['id']}")).json()["created_at"]
            log = app.state.specwright.reviews.log
            found = await spec_stats(log, "order-validation", None, now=oldest + 125.0)
    assert found.reviews["open"] == 1 and found.reviews["opened"] == 2
    assert found.oldest_open_age_s == pytest.approx(125.0)
    table = await asyncio.to_thread(CliRunner().invoke, main, [
        "stats", "order-validation", "--project", str(root)])
    assert "open=1 oldest_open_age=" in table.output, table.output
