"""``/metrics`` of ``serve --workers 2`` is the server's: every worker's counts added up, and the
supervisor's metrics directory is gone once the server stops."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from rel_support import ORDER_OK, Server, make_project, post_all, tracebacks
from test_workers import wait_serving, workers

from specwright.runtime.fakeserver import FakeServerThread

PENDING = {**ORDER_OK, "payment_status": "pending"}
DECLINED = {**ORDER_OK, "payment_status": "declined"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_metrics_add_up_every_worker(tmp_path: Path, fake: FakeServerThread) -> None:
    project = make_project(tmp_path / "proj", fake.url, specs=("order-validation",))
    server = Server(project, "--workers", "2", "--log-level", "info")
    try:
        await asyncio.to_thread(wait_serving, server, 2)
        assert len(workers(server)) == 2
        environ = Path(f"/proc/{min(workers(server))}/environ").read_bytes().split(b"\0")
        metrics_dir = Path(next(v.split(b"=", 1)[1] for v in environ
                                if v.startswith(b"PROMETHEUS_MULTIPROC_DIR=")).decode())
        assert metrics_dir.is_dir()
        url = server.url + "/specs/order-validation/v1"
        bodies = [ORDER_OK] * 30 + [PENDING] * 12 + [DECLINED] * 8
        answers = await asyncio.wait_for(post_all(url, bodies, concurrency=8), 90)
        assert [a.status for a in answers] == [200] * 50
        async with httpx.AsyncClient(timeout=30) as client:
            scrapes = []
            for _ in range(6):  # new connections: the scrapes reach both workers
                r = await client.get(server.url + "/metrics", headers={"connection": "close"})
                assert r.status_code == 200
                assert "# TYPE specwright_run_duration_seconds histogram" in r.text
                assert "_bucket_runs" not in r.text and "_sum_seconds" not in r.text
                scrapes.append(samples(r.text))
        # each worker counted into files of its own: the totals below add up both
        assert len(list(metrics_dir.glob("counter_*.db"))) == 2
    finally:
        server.stop()
    assert not metrics_dir.exists(), "the supervisor removes its metrics directory"
    assert not tracebacks(server.output()), server.output()[-3000:]
    for found in scrapes:  # whichever worker answered, the same server-wide numbers
        def value(name: str, **labels: str) -> float:
            return found.get((name, tuple(sorted(labels.items()))), 0.0)  # noqa: B023

        runs = "specwright_runs_total"
        assert value(runs, spec="order-validation", revision="1", status="ok") == 38
        assert value(runs, spec="order-validation", revision="1", status="escalated") == 12
        assert value("specwright_review_cases_opened_total", spec="order-validation") == 12
        # read from the shared log at scrape time: the same whichever worker answers
        assert value("specwright_review_open_cases", spec="order-validation") == 12
        assert value("specwright_review_oldest_open_age_seconds", spec="order-validation") > 0
        hits = [v for (name, labels), v in found.items()
                if name == "specwright_table_row_hits_total"
                and dict(labels)["table"] == "Decision: decision, reason_code, needs_review"]
        assert sorted(hits) == [8, 12, 30]
        latency = {dict(labels).get("le"): v for (name, labels), v in found.items()
                   if name == "specwright_run_duration_seconds_bucket"}
        assert latency["+Inf"] == value("specwright_run_duration_seconds_count",
                                        spec="order-validation", revision="1") == 50
        cumulative = sorted(latency.items(), key=lambda item: float(item[0] or "inf"))
        assert [v for _, v in cumulative] == sorted(latency.values())
        assert value("specwright_run_duration_seconds_sum", spec="order-validation",
                     revision="1") > 0
