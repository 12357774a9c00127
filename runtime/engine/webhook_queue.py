"""Delivering review resolutions to webhooks from the durable queue in the log.

A resolution of a spec with a webhook is queued in the same transaction that records it
(``logstore/deliveries.py``). Every server with webhooks configured runs ``serve``: it takes
each due delivery by a lease, makes one attempt (``webhooks.attempt``), appends it to the case's
events, and schedules the next after the backoff, until a 2xx or ``max_attempts``. The schedule
lives in the log, not in memory: a restarted server, or another replica on the same
PostgreSQL, continues where the last attempt left off. A resolution in this process wakes the
loop at once; others are found by polling.

Delivery is at least once: a server that dies after the receiver acknowledged but before it
logged the attempt leaves the delivery to be made again once its lease runs out. Every attempt
carries the case id (``X-Specwright-Case``) for a receiver to recognise a repeat.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

import httpx

from specwright.runtime.config import Settings, Webhook
from specwright.runtime.engine.webhooks import attempt, backoff_s
from specwright.runtime.errors import LogUnavailable
from specwright.runtime.logstore.deliveries import Delivery, DeliveryLog
from specwright.runtime.logstore.reviews import ReviewCase, ReviewLog
from specwright.runtime.logstore.ulid import new_run_id

log = logging.getLogger("specwright.webhooks")

LEASE_MARGIN_S = 30.0  # a lease outlives one attempt's timeout by this much
POLL_S = 5.0  # how often a server looks for deliveries queued by others
STOP_GRACE_S = 5.0  # how long a stopping server lets an attempt under way finish


def payload(case: ReviewCase) -> dict[str, Any]:
    """The webhook body: the case, the run's answer and the resolution."""
    resolution = case.resolution
    assert resolution is not None
    return {
        "case": case.id,
        "run_id": case.id,
        "spec": case.spec,
        "revision": case.revision,
        "answered": case.output,
        "output": resolution.data.get("output"),
        "note": resolution.data.get("note", ""),
        "overridden": resolution.data.get("overridden", False),
        "reviewer": resolution.actor,
        "resolved_at": resolution.at,
    }


class WebhookQueue:
    def __init__(self, reviews: ReviewLog, settings: Settings, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.reviews, self.settings, self.clock = reviews, settings, clock
        self.queue = DeliveryLog(reviews)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{new_run_id()}"
        self._wake: asyncio.Event | None = None
        self._client: httpx.AsyncClient | None = None
        self._stopping = False

    @property
    def specs(self) -> list[str]:
        return sorted(self.settings.webhooks)

    def nudge(self) -> None:
        """A delivery was just queued here: look now rather than at the next poll."""
        if self._wake is not None:
            self._wake.set()

    async def attempt_one(self, delivery: Delivery) -> bool | None:
        """One attempt of ``delivery`` under a lease: True acknowledged, False failed, None
        not made (not due, leased by another server, or its spec has no webhook now)."""
        hook = self.settings.webhooks.get(delivery.spec)
        if hook is None:
            return None
        now = self.clock()
        held = await self.queue.claim(delivery.case_id, self.holder, now,
                                      hook.timeout_s + LEASE_MARGIN_S)
        if held is None:
            return None
        number = held.attempts + 1
        entry: dict[str, Any] = {"attempt": number, "ok": False}
        logged = False
        try:
            case = await self.reviews.case(held.case_id)
            if case is None or case.resolution is None:
                entry["error"] = "the case or its resolution is not in the log"
            else:
                entry = await attempt(hook, payload(case), number, self._http())
            await self.reviews.add(held.case_id, "delivery", None, entry)
            logged = True
        finally:
            if not logged:  # interrupted: the attempt is not counted, and is due again now
                number, entry = held.attempts, {"ok": False}
            done = bool(entry["ok"]) or number >= hook.max_attempts
            due = self.clock() + (backoff_s(hook, number) if logged else 0.0)
            kept = await self.queue.release(held.case_id, self.holder, number, due, done)
        if not kept:
            log.warning("webhook delivery of case %s: the lease ran out during attempt %d; "
                        "another server took it over", held.case_id, number)
        if done and not entry["ok"]:
            log.error("webhook for case %s not acknowledged after %d attempts", held.case_id,
                      number)
        return bool(entry["ok"])

    async def run_due(self) -> int:
        """Attempt every delivery due now, once; how many attempts were made."""
        made = 0
        for delivery in await self.queue.due(self.specs, self.clock()):
            if self._stopping:
                break
            made += await self.attempt_one(delivery) is not None
        return made

    async def until_done(self, case_id: str, hook: Webhook,
                         sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> bool:
        """Attempt one case's delivery as its schedule allows until it is finished (the CLI)."""
        while True:
            current = await self.queue.get(case_id)
            if current is None:
                return False
            if current.done:
                case = await self.reviews.case(case_id)
                return any(e.kind == "delivery" and e.data.get("ok")
                           for e in (case.events if case else ()))
            wait = current.due_at - self.clock()
            if wait > 0:
                await sleep(min(wait, hook.backoff_max_s))
                continue
            if await self.attempt_one(current) is None:  # leased elsewhere: look again soon
                await sleep(min(1.0, hook.timeout_s))

    async def serve(self, poll_s: float = POLL_S) -> None:
        """Deliver until cancelled (the server's background task)."""
        self._wake = asyncio.Event()
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    await self.run_due()
                    due = await self.queue.next_due(self.specs)
                except LogUnavailable as exc:  # the database is away: again at the next poll
                    log.error("webhook deliveries paused: %s", exc.message)
                    due = None
                except Exception:  # a bug: logged with its traceback; the loop goes on
                    log.exception("webhook deliveries: unexpected error")
                    due = None
                wait = poll_s if due is None else min(poll_s, max(0.01, due - self.clock()))
                with suppress(TimeoutError):  # the wait ends at the next due time, or a nudge
                    await asyncio.wait_for(self._wake.wait(), timeout=wait)
        finally:
            await self.aclose()

    async def stop(self, task: asyncio.Task[None], grace_s: float = STOP_GRACE_S) -> None:
        """End ``serve`` (running as ``task``) after the attempt under way, if any; cancel it
        when that takes longer than ``grace_s``. Deliveries not made stay queued in the log."""
        self._stopping = True
        self.nudge()
        with suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(task, grace_s)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient()
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
