"""What a run consults before and after its model call to spend less: the answer cache
(``answer_cache.py``) and the budgets (``budgets.py``), both kept in the log database.

``execute`` (``pipeline.py``) calls ``before_model`` when a run is about to ask the model (a
cached answer replaces the call; a spent budget refuses the run, else the run holds its budgets),
``after_logged`` once the run is in the log (its use is added to the budgets, an ``ok`` answer
is recorded in the cache), and ``release`` when the run has ended, however it ended.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from specwright.runtime.config import Settings
from specwright.runtime.engine.answer_cache import AnswerCache
from specwright.runtime.engine.budgets import Budgets
from specwright.runtime.engine.catalog import LoadedRevision
from specwright.runtime.errors import RuntimeFailure
from specwright.runtime.logstore.base import LogStore
from specwright.runtime.logstore.cost_db import CachedAnswer, CostLog
from specwright.runtime.observe.metrics import observe_answer_cache
from specwright.runtime.records import RunRecord

log = logging.getLogger("specwright.cost_controls")


@dataclass(slots=True)
class CacheState:
    """One run's dealings with the answer cache and the budgets."""

    ttl_s: int | None = None  # None: the revision is not cached
    hit: CachedAnswer | None = None
    held: tuple[str, ...] = ()  # the budgets the run holds while in flight (budgets.py)

    @property
    def header(self) -> str | None:
        """``X-Specwright-Cache``: hit or miss for a cached revision, else absent."""
        if self.ttl_s is None:
            return None
        return "hit" if self.hit is not None else "miss"


class CostControls:
    def __init__(self, cache: AnswerCache | None, budgets: Budgets | None,
                 db: CostLog | None = None) -> None:
        self.cache, self.budgets, self.db = cache, budgets, db

    @classmethod
    def open(cls, settings: Settings, store: LogStore) -> CostControls:
        """Both controls on ``store``'s database (its connection opens on first use)."""
        db = CostLog(store)
        return cls(AnswerCache(settings.answer_cache, db), Budgets(settings.budgets, db), db)

    async def close(self) -> None:
        if self.db is not None:
            await self.db.close()

    async def before_model(self, revision: LoadedRevision, input_json: dict[str, Any],
                           key_id: str | None, cache: CacheState) -> CachedAnswer | None:
        """A cached answer for this input, else None after checking the budgets (which raise
        ``BudgetExceeded`` when the run would pass one)."""
        if self.cache is not None:
            cache.ttl_s = self.cache.ttl_s(revision)
            if cache.ttl_s is not None:
                cache.hit = await self.cache.lookup(revision, input_json)
                observe_answer_cache(revision.name, "hit" if cache.hit else "miss")
                if cache.hit is not None:
                    return cache.hit
        if self.budgets is not None:
            cache.held = await self.budgets.check(revision.name, key_id)
        return None

    def release(self, cache: CacheState) -> None:
        """The run has ended: the budgets it held count it no more."""
        if self.budgets is not None and cache.held:
            self.budgets.release(cache.held)
            cache.held = ()

    async def after_logged(self, revision: LoadedRevision, run: RunRecord,
                           input_json: Any, output: dict[str, Any] | None,
                           cache: CacheState) -> None:
        """Spend the run's use; record an ``ok`` answer. A failure here is the server's log's
        business, not the caller's: the run is answered and logged already."""
        try:
            if self.budgets is not None and run.attempts:
                await self.budgets.record(revision.name, run.key_id,
                                          run.input_tokens + run.output_tokens,
                                          run.cost_usd or 0.0)
            if (self.cache is not None and cache.ttl_s is not None and cache.hit is None
                    and run.status == "ok" and run.attempts and not run.mock
                    and output is not None and isinstance(input_json, dict)):
                await self.cache.remember(revision, input_json, run.id, run.model, output,
                                          cache.ttl_s)
        except RuntimeFailure as exc:
            log.error("run %s: budgets or answer cache not updated: %s", run.id, exc.message)
