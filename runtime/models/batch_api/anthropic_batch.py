"""Anthropic's Message Batches through the ``anthropic`` SDK: ``messages.batches.create`` with
each item's Messages parameters, ``retrieve`` until ``processing_status`` is ``ended``, then
``results`` (the results JSON lines, decoded by the SDK)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import anthropic

from specwright.runtime.models.batch_api import BatchStatus, ItemResult


class AnthropicBatch:
    kind = "anthropic"

    def encode(self, custom_id: str, body: dict[str, Any]) -> bytes:
        """One element of the request's ``requests`` array (plus its separating comma)."""
        return (json.dumps({"custom_id": custom_id, "params": body},
                           separators=(",", ":")) + ",").encode()

    async def submit(self, client: anthropic.AsyncAnthropic, items: Sequence[bytes]) -> str:
        requests: Any = [json.loads(item[:-1]) for item in items]
        batch = await client.messages.batches.create(requests=requests)
        return batch.id

    async def status(self, client: anthropic.AsyncAnthropic, batch_id: str) -> BatchStatus:
        batch = await client.messages.batches.retrieve(batch_id)
        c = batch.request_counts
        total = c.processing + c.succeeded + c.errored + c.canceled + c.expired
        return BatchStatus(batch.processing_status == "ended", total, c.succeeded,
                           c.errored + c.canceled + c.expired)

    async def results(self, client: anthropic.AsyncAnthropic,
                      batch_id: str) -> dict[str, ItemResult]:
        found: dict[str, ItemResult] = {}
        async for row in await client.messages.batches.results(batch_id):
            result = row.result
            if result.type == "succeeded":
                found[row.custom_id] = ItemResult(result.message.model_dump(mode="json"))
            elif result.type == "errored":
                found[row.custom_id] = ItemResult(None, f"errored: {result.error.error.message}")
            else:
                found[row.custom_id] = ItemResult(None, result.type)  # canceled, expired
        return found
