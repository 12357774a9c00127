"""The request an adapter would post, and an answer read the way the adapter reads a live one.

Both adapters post through their SDK client as ``client.post(path, cast_to=object, body=...,
options=...)``. A copy of the adapter over an ``AnswerClient`` runs its own ``complete``: the
client records the body and either stops there (``request_body``) or hands back a batch
item's response body (``read_answer``), which the adapter then parses, checks and maps exactly
as it would a live answer (refusals, cut-off answers, malformed bodies included).
"""

from __future__ import annotations

import copy
from typing import Any

from specwright.runtime.errors import RequestCaptured
from specwright.runtime.models.base import Completion, Model, ModelRequest

__all__ = ["AnswerClient", "read_answer", "request_body"]


class AnswerClient:
    """Stands in for an adapter's SDK client for one call."""

    def __init__(self, answer: Any = None) -> None:
        self.answer = answer
        self.path = ""
        self.body: dict[str, Any] | None = None

    async def post(self, path: str, *, cast_to: Any = None, body: Any = None,
                   options: Any = None) -> Any:
        self.path, self.body = path, body
        if self.answer is None:
            raise RequestCaptured
        return self.answer


def _twin(adapter: Model, client: AnswerClient) -> Model:
    twin = copy.copy(adapter)
    twin._client = client  # type: ignore[attr-defined]  # both adapters keep their client here
    return twin


async def request_body(adapter: Model, request: ModelRequest) -> dict[str, Any]:
    """What ``adapter.complete(request)`` would post."""
    client = AnswerClient()
    try:
        await _twin(adapter, client).complete(request)
    except RequestCaptured:  # the body is recorded: the call stops before anything is sent
        if client.body is not None:
            return dict(client.body)
    raise RuntimeError(f"{adapter.name} posted nothing for this request")


async def read_answer(adapter: Model, request: ModelRequest, body: Any) -> Completion:
    """``body`` (a batch item's response) read as ``adapter`` reads a live answer; raises what
    the adapter raises for it (``UnparseableOutput``, ``MalformedResponse``...)."""
    return await _twin(adapter, AnswerClient(body)).complete(request)
