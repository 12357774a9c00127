"""The model a run gets under ``specwright run --batch-api``: its request joins the provider
batch, and the batch's answer goes through the same checks as a live one.

``BatchCoordinator`` gathers the model request of every line of a chunk (each line's run waits
in ``answer``), and once every unfinished line is waiting, submits them as one or more batches
within the provider's caps (or, after a restart, takes up the batches already recorded for the
chunk), polls them, and hands each line its item.
``BatchRouteModel`` then reads the item as the adapter reads a live answer, checks it with the
run's own checker (Output contract and guardrails), and when the item failed, or its answer does
not pass, sends the request through the normal route: retries, repair, fallback. The item is the
run's first attempt, priced at the batch rate and marked with the batch's id.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import replace
from typing import Any

from specwright.runtime.errors import (
    ModelNotConfigured,
    ModelsExhausted,
    OutputInvalid,
    ProviderError,
)
from specwright.runtime.models.base import Completion, ModelRequest, Usage, guardrail_of
from specwright.runtime.models.batch_api import (
    DISCOUNT,
    BatchAPI,
    BatchCaps,
    BatchStatus,
    ItemResult,
)
from specwright.runtime.models.batch_api.capture import read_answer, request_body
from specwright.runtime.models.pricing import ModelPrice, cost_of
from specwright.runtime.models.router import Router
from specwright.runtime.records import Attempt

__all__ = ["LINE", "BatchCoordinator", "BatchRouteModel", "custom_id"]

LINE: ContextVar[int | None] = ContextVar("specwright_batch_line", default=None)


def custom_id(line: int) -> str:
    """An item's id in the batch: its input line (the same after a restart)."""
    return f"line-{line}"


class BatchCoordinator:
    """One chunk of a job: its items gathered, submitted as provider batches within the caps
    (or, after a restart, the batches already recorded for it taken up, and only the items
    none of them holds submitted), polled, handed out."""

    def __init__(self, *, api: BatchAPI, client: Any, adapter: Any, expected: int,
                 recorded: list[tuple[str, list[int]]],
                 record: Callable[[list[tuple[str, list[int]]]], Awaitable[None]],
                 poll_s: float, caps: BatchCaps,
                 on_status: Callable[[BatchStatus], None] | None = None,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        self.api, self.client, self.adapter = api, client, adapter
        self.outstanding = expected  # lines not finished yet
        self.batches = list(recorded)  # (batch id, its lines), in submission order
        self._record = record
        self.poll_s = poll_s
        self.caps = caps
        self._on_status = on_status
        self._sleep = sleep
        self._items: dict[int, bytes] = {}  # encoded, until submitted
        self._waiters: dict[int, asyncio.Future[ItemResult | None]] = {}
        self._ready = asyncio.Event()
        self._check()

    @property
    def batch_ids(self) -> list[str]:
        return [batch_id for batch_id, _ in self.batches]

    async def answer(self, line: int, request: ModelRequest) -> ItemResult | None:
        """This line's batch item (None: it is not in the batch; use the normal route)."""
        self._items[line] = self.api.encode(custom_id(line),
                                            await request_body(self.adapter, request))
        future: asyncio.Future[ItemResult | None] = asyncio.get_running_loop().create_future()
        self._waiters[line] = future
        self._check()
        return await future

    def line_finished(self) -> None:
        self.outstanding -= 1
        self._check()

    def _check(self) -> None:
        waiting = sum(1 for f in self._waiters.values() if not f.done())
        if self.outstanding <= waiting:
            self._ready.set()

    def groups(self, lines: list[int]) -> list[list[int]]:
        """``lines`` cut into batches that stay within both caps, in order. A request larger
        than a whole batch may be is left out: its line takes the normal route."""
        found: list[list[int]] = []
        group: list[int] = []
        size = 0
        for line in lines:
            item = len(self._items[line])
            if item > self.caps.max_bytes:
                continue
            if group and (len(group) >= self.caps.max_requests
                          or size + item > self.caps.max_bytes):
                found.append(group)
                group, size = [], 0
            group.append(line)
            size += item
        if group:
            found.append(group)
        return found

    async def run(self) -> None:
        """Submit what no recorded batch holds, poll until every batch ends, hand out."""
        await self._ready.wait()
        if not self._waiters:
            return
        held = {n for _, lines in self.batches for n in lines}
        for group in self.groups(sorted(n for n in self._items if n not in held)):
            batch_id = await self.api.submit(self.client, [self._items[n] for n in group])
            self.batches.append((batch_id, group))
            await self._record(self.batches)  # right away: a restart polls it
        self._items.clear()  # submitted: the bodies are not needed any more
        handed: set[int] = set()
        for batch_id, lines in self.batches:
            while True:
                status = await self.api.status(self.client, batch_id)
                if self._on_status is not None:
                    self._on_status(status)
                if status.ended:
                    break
                await self._sleep(self.poll_s)
            results = await self.api.results(self.client, batch_id)
            for line in lines:
                future = self._waiters.get(line)
                if future is not None and not future.done():
                    item = results.get(custom_id(line))
                    future.set_result(None if item is None else replace(item, batch_id=batch_id))
                    handed.add(line)
        for line, future in self._waiters.items():
            if line not in handed and not future.done():
                future.set_result(None)


class BatchRouteModel:
    """The route of a spec, with its first answer taken from the job's batch."""

    def __init__(self, coordinator: BatchCoordinator, router: Router, *, provider: str,
                 model: str, price: ModelPrice | None,
                 clock: Callable[[], float] = time.time) -> None:
        self.coordinator = coordinator
        self.router = router
        self.name = router.name
        self.provider, self.model = provider, model
        self.price = price
        self.discount = DISCOUNT.get(coordinator.api.kind, 1.0)
        self._clock = clock

    async def complete(self, request: ModelRequest) -> Completion:
        line = LINE.get()
        if line is None:
            return await self.router.complete(request)
        started = self._clock()
        item = await self.coordinator.answer(line, request)
        if item is None:
            return await self.router.complete(replace(request, deadline=None))
        attempt, completion = await self._read(item, request, started)
        if completion is not None:
            return replace(completion, attempts=(attempt,), cost_usd=attempt.cost_usd,
                           usage=completion.usage)
        try:  # the normal path, with its own time budget from now
            rest = await self.router.complete(replace(request, deadline=None))
        except (ModelsExhausted, ModelNotConfigured) as exc:
            exc.attempts = (attempt, *exc.attempts)  # the run's log shows the batch item too
            raise
        cost = (None if attempt.cost_usd is None or rest.cost_usd is None
                else attempt.cost_usd + rest.cost_usd)
        usage = Usage(rest.usage.input_tokens + (attempt.input_tokens or 0),
                      rest.usage.output_tokens + (attempt.output_tokens or 0),
                      rest.usage.cached_tokens + (attempt.cached_tokens or 0),
                      rest.usage.cache_write_tokens + (attempt.cache_write_tokens or 0))
        return replace(rest, attempts=(attempt, *rest.attempts), cost_usd=cost, usage=usage)

    async def _read(self, item: ItemResult, request: ModelRequest, started: float
                    ) -> tuple[Attempt, Completion | None]:
        """The batch item as an attempt; the completion when its answer is accepted."""
        base: dict[str, Any] = {"provider": self.provider, "model": self.model,
                                "purpose": "call", "started_at": started,
                                "latency_ms": (self._clock() - started) * 1000.0,
                                "batch_id": item.batch_id}
        if item.body is None:
            return Attempt(**base, status="error", cost_usd=0.0, error_class="BatchItemFailed",
                           error=f"batch {item.batch_id}: {item.error}"), None
        try:
            completion = await read_answer(self.coordinator.adapter, request, item.body)
        except (OutputInvalid, ProviderError) as exc:
            usage = getattr(exc, "usage", None)
            return Attempt(**base, status="error", cost_usd=self._cost(usage),
                           input_tokens=usage.input_tokens if usage else None,
                           output_tokens=usage.output_tokens if usage else None,
                           error_class=type(exc).__name__, error=exc.message,
                           answer=getattr(exc, "text", None)), None
        problems = request.check(completion.data) if request.check is not None else ()
        usage = completion.usage
        attempt = Attempt(
            **base, status="ok" if not problems else "error",
            input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
            cached_tokens=usage.cached_tokens, cache_write_tokens=usage.cache_write_tokens,
            cost_usd=self._cost(usage),
            error_class=None if not problems else (
                "GuardrailViolation" if all(guardrail_of(p) for p in problems)
                else "OutputInvalid"),
            error=None if not problems else "; ".join(problems)[:1000],
            answer=(completion.text or json.dumps(completion.data))[:4000],
            guardrails=getattr(problems, "guardrails", None))
        return attempt, (completion if not problems else None)

    def _cost(self, usage: Usage | None) -> float | None:
        if usage is None:
            return 0.0
        cost = cost_of(self.price, usage)
        return None if cost is None else cost * self.discount
