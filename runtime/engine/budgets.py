"""Daily token and cost budgets per spec and per API key (``[budgets]`` in specwright.toml).

A budget's use is kept per UTC day in the log database (``logstore/cost_db.py``), so every
replica spends the same budget. Before a run calls a model, each budget that applies to it (its
spec's, its key's) is checked: the run is refused when the day's use plus the average run of the
day so far would pass the limit, so the last run admitted rarely overshoots it. Refused runs are
answered 429 ``budget_exceeded`` naming the budget, with ``Retry-After`` at the end of the UTC
day; they call no model and are not logged as runs (like a key over its request rate). Runs the
decision tables answer alone, and answers served from the answer cache, spend nothing and are
never refused.

Runs in flight: a run admitted holds its budgets until its use is recorded (or it ends without
any), and each run held counts as one more average run in the check. So a burst of concurrent
runs is admitted only as far as the day's average run says the budget reaches, not all at once
because none of them has spent yet. What is held is known to this process only: replicas
sharing a budget can each admit their own runs in flight, and before the day's first run is
recorded there is no average to hold (the first runs of a day are admitted together).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from specwright.runtime.config import BudgetLimit, BudgetSettings
from specwright.runtime.errors import BudgetExceeded
from specwright.runtime.logstore.cost_db import CostLog, DayUse
from specwright.runtime.observe.metrics import observe_budget, observe_budget_refusal

Scope = Literal["spec", "key"]


@dataclass(frozen=True, slots=True)
class Budget:
    scope: Scope
    name: str  # the spec's name or the key's id
    limit: BudgetLimit

    @property
    def id(self) -> str:
        return f"{self.scope}:{self.name}"


def utc_day(now: float) -> str:
    return dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y-%m-%d")


def day_end(now: float) -> dt.datetime:
    """The next midnight, UTC: when every budget starts again."""
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    return dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), dt.UTC)


class Budgets:
    def __init__(self, settings: BudgetSettings, log: CostLog,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings, self.log, self.clock = settings, log, clock
        self.held: dict[str, int] = {}  # budget id -> runs admitted and not yet released
        for budget in self._configured():  # the limits show in /metrics from the start
            observe_budget(budget.scope, budget.name, budget.limit.tokens_per_day,
                           budget.limit.cost_usd_per_day, None)

    def _configured(self) -> list[Budget]:
        return ([Budget("spec", n, lim) for n, lim in self.settings.specs.items()]
                + [Budget("key", k, lim) for k, lim in self.settings.keys.items()])

    def applicable(self, spec: str, key_id: str | None) -> list[Budget]:
        found: list[Budget] = []
        limit = self.settings.specs.get(spec)
        if limit is not None:
            found.append(Budget("spec", spec, limit))
        if key_id is not None:
            limit = self.settings.keys.get(key_id, self.settings.per_key)
            if limit.tokens_per_day is not None or limit.cost_usd_per_day is not None:
                found.append(Budget("key", key_id, limit))
        return found

    async def check(self, spec: str, key_id: str | None) -> tuple[str, ...]:
        """Raise ``BudgetExceeded`` when a run of ``spec`` by ``key_id`` would pass a budget;
        else hold the budgets for the run and return their ids (give them to ``release``)."""
        budgets = self.applicable(spec, key_id)
        if not budgets:
            return ()
        now = self.clock()
        use = await self.log.use([b.id for b in budgets], utc_day(now))
        for budget in budgets:
            used = use.get(budget.id, DayUse())
            lim = budget.limit
            observe_budget(budget.scope, budget.name, lim.tokens_per_day, lim.cost_usd_per_day,
                           used)
            runs = 1 + self.held.get(budget.id, 0)  # this run and the runs in flight
            if lim.tokens_per_day is not None and _passes(used.tokens, runs * used.tokens / max(
                    used.runs, 1), lim.tokens_per_day):
                raise _refusal(budget, "tokens_per_day", lim.tokens_per_day, used.tokens, now,
                               runs - 1)
            if lim.cost_usd_per_day is not None and _passes(used.cost_usd, runs * used.cost_usd / max(
                    used.runs, 1), lim.cost_usd_per_day):
                raise _refusal(budget, "cost_usd_per_day", lim.cost_usd_per_day,
                               round(used.cost_usd, 6), now, runs - 1)
        held = tuple(b.id for b in budgets)
        for budget_id in held:
            self.held[budget_id] = self.held.get(budget_id, 0) + 1
        return held

    def release(self, held: tuple[str, ...]) -> None:
        """The run that held these budgets has ended (its use recorded, if any)."""
        for budget_id in held:
            left = self.held.get(budget_id, 0) - 1
            if left > 0:
                self.held[budget_id] = left
            else:
                self.held.pop(budget_id, None)

    async def record(self, spec: str, key_id: str | None, tokens: int, cost_usd: float) -> None:
        """Add a logged run's model use to every budget that applies to it."""
        budgets = self.applicable(spec, key_id)
        if budgets and (tokens or cost_usd):
            await self.log.add_use([b.id for b in budgets], utc_day(self.clock()), tokens,
                                   cost_usd)


def _passes(used: float, expected: float, limit: float) -> bool:
    """``expected``: what this run and the runs in flight will spend, at the day's average."""
    return used >= limit or used + expected > limit


_WHAT = {"tokens_per_day": ("token", "tokens"), "cost_usd_per_day": ("cost", "USD")}


def _refusal(budget: Budget, kind: str, limit: float, used: float, now: float,
             in_flight: int) -> BudgetExceeded:
    resets = day_end(now)
    retry_after = max(1.0, resets.timestamp() - now)
    what, unit = _WHAT[kind]
    owner = f'spec "{budget.name}"' if budget.scope == "spec" else f'API key "{budget.name}"'
    observe_budget_refusal(budget.scope, budget.name, kind)
    state = ("is used up" if used >= limit else "would be passed by this run"
             if not in_flight else f"would be passed by this run and the {in_flight} in flight")
    return BudgetExceeded(
        f"the daily {what} budget of {owner} {state}: {used:g} of {limit:g} {unit} used today "
        f"(UTC); it resets at {resets.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        {"budget": budget.id, "limit": {kind: limit}, "used": used,
         "resets_at": resets.strftime("%Y-%m-%dT%H:%M:%SZ")},
        retry_after,
    )
