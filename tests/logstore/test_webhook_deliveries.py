"""The durable webhook queue on SQLite and PostgreSQL: a resolution is queued with it, servers
sharing the log take a delivery by a lease (one of them delivers), the backoff schedule is kept
in the log, and every attempt is a delivery event of the case."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from specwright.runtime.config import Settings, Webhook
from specwright.runtime.engine.webhook_queue import WebhookQueue
from specwright.runtime.engine.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, verify
from specwright.runtime.logstore import LogStore
from specwright.runtime.logstore.deliveries import DeliveryLog
from specwright.runtime.logstore.reviews import ReviewEvent, ReviewLog
from specwright.runtime.logstore.ulid import new_run_id
from specwright.runtime.records import RunRecord

SECRET_ENV = "SPECWRIGHT_TEST_DELIVERY_SECRET"


@pytest.fixture
def writer() -> str:
    return "thread"  # the queue does not go through the writer: one mode is enough


class Receiver:
    """A loopback receiver answering ``status`` (and counting what it got)."""

    def __init__(self, status: int = 200) -> None:
        self.status, self.got = status, []
        self.arrived, self.release = threading.Event(), threading.Event()
        self.release.set()  # answers at once unless a test holds it
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server hook's name
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.got.append((dict(self.headers), body))
                receiver.arrived.set()
                receiver.release.wait(10)
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv(SECRET_ENV, "s3cret")
    r = Receiver()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()


def settings_for(url: str) -> Settings:
    return Settings(webhooks={"carrier-selection": Webhook(
        url=url, secret_env=SECRET_ENV, max_attempts=3, backoff_base_s=10.0)})


async def resolved_case(store: LogStore, make_run: Callable[..., RunRecord]) -> tuple[str, float]:
    run = make_run(status="escalated")
    await store.write(run)
    reviews = ReviewLog(store)
    try:
        at = time.time()
        event = ReviewEvent(new_run_id(at), run.id, "resolve", "ana", at,
                            {"output": {"carrier": "fedex"}, "note": "", "overridden": True})
        await DeliveryLog(reviews).resolve(event, run.spec)
    finally:
        await reviews.close()
    return run.id, at


async def test_servers_sharing_the_log_deliver_a_resolution_once(
    store: LogStore, make_run: Callable[..., RunRecord], receiver: Receiver, raw: Any
) -> None:
    case_id, _ = await resolved_case(store, make_run)
    replicas = [WebhookQueue(ReviewLog(store), settings_for(receiver.url)) for _ in range(3)]
    try:
        made = await asyncio.gather(*(q.run_due() for q in replicas))
        assert sorted(made) == [0, 0, 1]  # one replica held the lease and made the attempt
        assert await asyncio.gather(*(q.run_due() for q in replicas)) == [0, 0, 0]
    finally:
        for q in replicas:
            await q.aclose()
            await q.reviews.close()
    assert len(receiver.got) == 1
    headers, body = receiver.got[0]
    assert verify("s3cret", headers[SIGNATURE_HEADER], body)
    assert headers[DELIVERY_HEADER] == case_id
    assert raw("SELECT attempts, done, holder FROM webhook_deliveries") == [(1, 1, None)]
    assert [r[0] for r in raw("SELECT kind FROM review_events ORDER BY id")] == [
        "resolve", "delivery"]


async def test_the_backoff_schedule_lives_in_the_log_and_a_lease_outlives_its_holder(
    store: LogStore, make_run: Callable[..., RunRecord], receiver: Receiver
) -> None:
    case_id, resolved_at = await resolved_case(store, make_run)
    receiver.status = 503
    now = [resolved_at]
    settings = settings_for(receiver.url)

    def queue() -> WebhookQueue:
        return WebhookQueue(ReviewLog(store), settings, clock=lambda: now[0])

    first = queue()
    assert await first.run_due() == 1  # attempt 1 fails: attempt 2 due 10 s later
    await first.aclose()
    await first.reviews.close()

    second = queue()  # "a restarted server": nothing of the first but the log
    log = second.queue
    try:
        assert await second.run_due() == 0
        delivery = await log.get(case_id)
        assert delivery is not None and (delivery.attempts, delivery.done) == (1, False)
        assert delivery.due_at == pytest.approx(resolved_at + 10.0)
        assert await log.next_due(["carrier-selection"]) == pytest.approx(resolved_at + 10.0)
        now[0] = resolved_at + 10.0
        # a server that took the delivery and died: its lease keeps others away until it ends
        assert await log.claim(case_id, "dead-server", now[0], 30.0) is not None
        assert await second.run_due() == 0
        now[0] += 30.0
        receiver.status = 200
        assert await second.run_due() == 1
        assert not await log.release(case_id, "dead-server", 2, now[0], False)  # too late
        case = await second.reviews.case(case_id)
    finally:
        await second.aclose()
        await second.reviews.close()
    assert case is not None
    attempts = [(e.data["attempt"], e.data.get("status"), e.data["ok"])
                for e in case.events if e.kind == "delivery"]
    assert attempts == [(1, 503, False), (2, 200, True)]
    assert len(receiver.got) == 2


async def test_a_delivery_gives_up_after_max_attempts(
    store: LogStore, make_run: Callable[..., RunRecord], receiver: Receiver
) -> None:
    case_id, resolved_at = await resolved_case(store, make_run)
    receiver.status = 500
    now = [resolved_at]
    q = WebhookQueue(ReviewLog(store), settings_for(receiver.url), clock=lambda: now[0])
    try:
        for _ in range(5):
            await q.run_due()
            now[0] += 1000.0
        delivery = await q.queue.get(case_id)
    finally:
        await q.aclose()
        await q.reviews.close()
    assert delivery is not None and (delivery.attempts, delivery.done) == (3, True)
    assert len(receiver.got) == 3


@pytest.mark.parametrize("grace_s", [5.0, 0.05])
async def test_a_stopping_server_finishes_the_attempt_under_way_or_does_not_count_it(
    store: LogStore, make_run: Callable[..., RunRecord], receiver: Receiver, grace_s: float
) -> None:
    case_id, _ = await resolved_case(store, make_run)
    receiver.release.clear()  # the receiver holds the attempt until told
    q = WebhookQueue(ReviewLog(store), settings_for(receiver.url))
    task = asyncio.create_task(q.serve())
    try:
        assert await asyncio.to_thread(receiver.arrived.wait, 10)
        stopping = asyncio.create_task(q.stop(task, grace_s))
        await asyncio.sleep(0.2)  # past the short grace: that attempt is cancelled
        receiver.release.set()
        await stopping
        assert task.done()
        delivery = await q.queue.get(case_id)
        case = await q.reviews.case(case_id)
    finally:
        await q.reviews.close()
    assert delivery is not None and case is not None
    logged = [e.data for e in case.events if e.kind == "delivery"]
    if grace_s > 1:  # finished, logged and counted
        assert (delivery.attempts, delivery.done) == (1, True) and logged[0]["ok"] is True
    else:  # interrupted: neither logged nor counted, due again at once
        assert (delivery.attempts, delivery.done, logged) == (0, False, [])
