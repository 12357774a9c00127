"""Provider batch APIs: many model requests submitted at once, answered within hours at about
half the price. One module per provider (``KINDS``), each driving the official SDK:

* ``openai_batch.py``: the Batch API (an uploaded JSON-lines file of ``/v1/chat/completions``
  requests, ``/v1/batches``, the output file);
* ``anthropic_batch.py``: Message Batches (``/v1/messages/batches``, the results JSON lines).

The request of each item is exactly what the adapter would post for the same ``ModelRequest``,
and its answer is read exactly like a live one (``capture.py``): a batch changes how requests
travel, never what they say.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["CAPS", "DISCOUNT", "KINDS", "BatchAPI", "BatchCaps", "BatchStatus", "ItemResult",
           "batch_api_for"]

# What a batch costs relative to the same calls made one by one, per deployment kind: both
# vendors bill batch requests at 50% of the standard price (their pricing pages, 2025-11-24).
DISCOUNT: dict[str, float] = {"openai": 0.5, "anthropic": 0.5}


@dataclass(frozen=True, slots=True)
class BatchCaps:
    """The most one provider batch may hold: requests, and bytes of its encoded items."""

    max_requests: int
    max_bytes: int


# Each vendor's documented limits per batch (2025-11-24): OpenAI 50,000 requests and a 200 MB
# input file; Anthropic 100,000 requests and 256 MB per Message Batch. Counted in decimal
# megabytes, the smaller reading, so a batch cut here is never refused for its size.
CAPS: dict[str, BatchCaps] = {
    "openai": BatchCaps(50_000, 200_000_000),
    "anthropic": BatchCaps(100_000, 256_000_000),
}


@dataclass(frozen=True, slots=True)
class BatchStatus:
    ended: bool
    total: int
    succeeded: int
    failed: int


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One item's answer: the response body as the live endpoint sends it, or why it failed."""

    body: Any | None
    error: str | None = None
    batch_id: str | None = None  # the provider batch that answered it


class BatchAPI(Protocol):
    kind: str

    def encode(self, custom_id: str, body: dict[str, Any]) -> bytes:
        """One item as it travels in the batch (its size counts against ``max_bytes``)."""
        ...

    async def submit(self, client: Any, items: Sequence[bytes]) -> str:
        """Submit items (``encode``d); the batch's id."""
        ...

    async def status(self, client: Any, batch_id: str) -> BatchStatus: ...

    async def results(self, client: Any, batch_id: str) -> dict[str, ItemResult]:
        """Every item's result by custom id (an ended batch)."""
        ...


KINDS: dict[str, str] = {
    "openai": "specwright.runtime.models.batch_api.openai_batch:OpenAIBatch",
    "anthropic": "specwright.runtime.models.batch_api.anthropic_batch:AnthropicBatch",
}


def batch_api_for(kind: str) -> BatchAPI | None:
    """The batch API of a deployment kind; None for a kind without one (openai-compatible)."""
    entry = KINDS.get(kind)
    if entry is None:
        return None
    module, _, name = entry.partition(":")
    api: BatchAPI = getattr(importlib.import_module(module), name)()
    return api
