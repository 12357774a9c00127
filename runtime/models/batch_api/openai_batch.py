"""OpenAI's Batch API through the ``openai`` SDK: the items as a JSON-lines file (``purpose:
batch``), a batch on ``/v1/chat/completions`` with a 24-hour window, its output file."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

import openai

from specwright.runtime.models.batch_api import BatchStatus, ItemResult

ENDPOINT: Literal["/v1/chat/completions"] = "/v1/chat/completions"
_ENDED = {"completed", "failed", "expired", "cancelled"}


class OpenAIBatch:
    kind = "openai"

    def encode(self, custom_id: str, body: dict[str, Any]) -> bytes:
        """One line of the input file."""
        return (json.dumps({"custom_id": custom_id, "method": "POST", "url": ENDPOINT,
                            "body": body}, separators=(",", ":")) + "\n").encode()

    async def submit(self, client: openai.AsyncOpenAI, items: Sequence[bytes]) -> str:
        uploaded = await client.files.create(file=("batch.jsonl", b"".join(items)),
                                             purpose="batch")
        batch = await client.batches.create(input_file_id=uploaded.id, endpoint=ENDPOINT,
                                            completion_window="24h")
        return batch.id

    async def status(self, client: openai.AsyncOpenAI, batch_id: str) -> BatchStatus:
        batch = await client.batches.retrieve(batch_id)
        counts = batch.request_counts
        return BatchStatus(batch.status in _ENDED, counts.total if counts else 0,
                           counts.completed if counts else 0, counts.failed if counts else 0)

    async def results(self, client: openai.AsyncOpenAI, batch_id: str) -> dict[str, ItemResult]:
        batch = await client.batches.retrieve(batch_id)
        found: dict[str, ItemResult] = {}
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            content = await client.files.content(file_id)
            for line in content.text.splitlines():
                if line.strip():
                    cid, result = _item(json.loads(line))
                    found[cid] = result
        return found


def _item(row: dict[str, Any]) -> tuple[str, ItemResult]:
    cid = str(row.get("custom_id"))
    response = row.get("response") or {}
    if row.get("error") or response.get("status_code") != 200:
        error = row.get("error") or (response.get("body") or {}).get("error") or {}
        message = error.get("message") if isinstance(error, dict) else str(error)
        return cid, ItemResult(None, f"HTTP {response.get('status_code')}: {message}")
    return cid, ItemResult(response.get("body"))
