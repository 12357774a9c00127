"""Claiming and resolving review cases: what ``/reviews`` and ``specwright reviews`` share.

A claim or a resolution is refused on a case that is already resolved; a resolution's output is
held to the run's contract (``resolution.py``). Then the event is appended to the log, and, when
the spec has a webhook, the resolution is what its delivery sends (``webhooks.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from specwright.runtime.config import Settings, Webhook
from specwright.runtime.engine.catalog import Catalog
from specwright.runtime.engine.resolution import changed_fields, checked_resolution, revision_of
from specwright.runtime.engine.webhooks import deliver
from specwright.runtime.errors import AlreadyResolved, NotFound
from specwright.runtime.logstore.reviews import ReviewCase, ReviewEvent, ReviewLog
from specwright.runtime.logstore.ulid import is_run_id
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
        event = await self.log.add(case_id, "resolve", actor, {
            "output": final, "note": note, "overridden": bool(changed), "changed": changed,
        })
        observe_resolution(case.spec, overridden=bool(changed), age_s=event.at - case.created_at)
        return await self.get(case_id)

    def webhook(self, case: ReviewCase) -> Webhook | None:
        return self.settings.webhooks.get(case.spec)

    async def notify(self, case: ReviewCase, hook: Webhook, **kw: Any) -> bool:
        """Deliver the resolution to the spec's webhook, every attempt logged on the case."""
        async def record(entry: dict[str, Any]) -> ReviewEvent:
            return await self.log.add(case.id, "delivery", None, entry)

        return await deliver(hook, payload(case), record, **kw)


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
