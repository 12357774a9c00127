"""The response headers of the provider call in progress, for the rate-limit scheduler.

The adapters read answers as plain JSON (``client.post(..., cast_to=object)``), which drops the
headers. An httpx response hook on each SDK client (installed by ``ClientPool``) hands them to
the ``Seen`` the caller set in ``CURRENT``: the hook runs in the caller's task, so concurrent
calls never see each other's headers.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

__all__ = ["CURRENT", "Seen", "capture_headers"]


class Seen:
    """Filled by the hook: the status and headers of the last response of this call."""

    __slots__ = ("headers", "status")

    def __init__(self) -> None:
        self.status = 0
        self.headers: Any = None  # httpx.Headers (a case-insensitive mapping)


CURRENT: ContextVar[Seen | None] = ContextVar("specwright_seen_headers", default=None)


async def _hook(response: Any) -> None:
    seen = CURRENT.get()
    if seen is not None:
        seen.status = response.status_code
        seen.headers = response.headers


def capture_headers(sdk_client: Any) -> bool:
    """Add the hook to ``sdk_client``'s httpx client; False where it has none (left as is)."""
    http = getattr(sdk_client, "_client", None)
    hooks = getattr(http, "event_hooks", None)
    if http is None or not isinstance(hooks, dict):
        return False
    responses = list(hooks.get("response", []))
    if _hook not in responses:
        http.event_hooks = {**hooks, "response": [*responses, _hook]}
    return True
