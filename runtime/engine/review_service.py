"""Claiming and resolving review cases: what ``/reviews`` and ``specwright reviews`` share.

A claim or a resolution is refused on a case that is already resolved; a resolution's output is
held to the run's contract (``resolution.py``). Then the event is appended to the log, and, when
the spec has a webhook, the resolution's delivery is queued with it, in the same transaction
(``webhook_queue.py`` makes the attempts).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from specwright.runtime.config import Settings, Webhook
from specwright.runtime.engine.catalog import Catalog
from specwright.runtime.engine.resolution import changed_fields, checked_resolution, revision_of
from specwright.runtime.errors import AlreadyResolved, NotFound
from specwright.runtime.logstore.deliveries import DeliveryLog
from specwright.runtime.logstore.reviews import ReviewCase, ReviewEvent, ReviewLog
from specwright.runtime.logstore.ulid import is_run_id, new_run_id
from specwright.runtime.observe.metrics import observe_resolution


class ReviewService:
    def __init__(self, log: ReviewLog, catalog: Callable[[], Catalog], settings: Settings) -> None:
        self.log, self.catalog, self.settings = log, catalog, settings

    async def get(self, case_id: str) -> ReviewCase:
        case = await self.log.case(case_id) if is_run_id(case_id) else None
        if case is None:
            raise NotFound(f"no review case {case_id!r}: a case's id is its escalated run's id")
        return case

    async def claim(self, case_id: str, actor: str) -> ReviewCase:
        case = await self.get(case_id)
        if case.resolution is not None:
            raise AlreadyResolved(f"case {case_id} is already resolved")
        await self.log.add(case_id, "claim", actor, {})
        return await self.get(case_id)

    async def resolve(self, case_id: str, output: Any, note: str, actor: str) -> ReviewCase:
        case = await self.get(case_id)
        if case.resolution is not None:
            raise AlreadyResolved(f"case {case_id} is already resolved")
        revision = revision_of(self.catalog(), case.spec, case.revision)
        final = checked_resolution(revision, case.input, output)
        changed = changed_fields(case.output, final)
        data = {"output": final, "note": note, "overridden": bool(changed), "changed": changed}
        if case.spec in self.settings.webhooks:  # its delivery is queued in the same commit
            now = time.time()
            event = ReviewEvent(new_run_id(now), case_id, "resolve", actor, now, data)
            await DeliveryLog(self.log).resolve(event, case.spec)
        else:
            event = await self.log.add(case_id, "resolve", actor, data)
        observe_resolution(case.spec, overridden=bool(changed), age_s=event.at - case.created_at)
        return await self.get(case_id)

    def webhook(self, case: ReviewCase) -> Webhook | None:
        return self.settings.webhooks.get(case.spec)
