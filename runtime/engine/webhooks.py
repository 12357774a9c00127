"""Telling a caller that a review case was resolved: a signed POST, retried until acknowledged.

The body is the resolution as JSON. The signature header is
``X-Specwright-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` with the secret
from the spec's ``webhooks.<spec>.secret_env`` variable: the receiver recomputes it over the
bytes it got and refuses an old ``t`` (replays). Any 2xx acknowledges; anything else (a status,
a refused connection, a timeout) is retried with exponential backoff, capped, up to
``max_attempts``. Every attempt is appended to the case's events, so ``GET /reviews/{id}``
shows each one.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from specwright.runtime.config import Webhook

log = logging.getLogger("specwright.webhooks")

SIGNATURE_HEADER = "X-Specwright-Signature"
Record = Callable[[dict[str, Any]], Awaitable[object]]  # appends one delivery attempt


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, tolerance_s: float = 300.0,
           now: float | None = None) -> bool:
    """What a receiver does (and the tests): the signature matches and ``t`` is recent."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


async def deliver(
    hook: Webhook,
    payload: dict[str, Any],
    record: Record,
    *,
    client: httpx.AsyncClient | None = None,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> bool:
    """POST ``payload`` until a 2xx; True when acknowledged. Each attempt goes to ``record``."""
    secret = os.environ.get(hook.secret_env)
    if not secret:
        await record({"attempt": 0, "ok": False,
                      "error": f"the signing secret is not set: export {hook.secret_env}"})
        log.error("webhook for %s not sent: %s is not set", payload.get("case"), hook.secret_env)
        return False
    body = body_of(payload)
    own = client is None
    http = client or httpx.AsyncClient(timeout=hook.timeout_s)
    try:
        for attempt in range(1, hook.max_attempts + 1):
            headers = {"content-type": "application/json",
                       SIGNATURE_HEADER: sign(secret, int(time.time()), body)}
            entry: dict[str, Any] = {"attempt": attempt, "url": hook.url}
            try:
                response = await http.post(hook.url, content=body, headers=headers)
                entry["status"] = response.status_code
                entry["ok"] = 200 <= response.status_code < 300
            except httpx.HTTPError as exc:
                entry["ok"], entry["error"] = False, f"{type(exc).__name__}: {exc}"[:300]
            await record(entry)
            if entry["ok"]:
                return True
            if attempt < hook.max_attempts:
                await sleep(min(hook.backoff_max_s, hook.backoff_base_s * 2 ** (attempt - 1)))
        log.error("webhook for case %s not acknowledged after %d attempts",
                  payload.get("case"), hook.max_attempts)
        return False
    finally:
        if own:
            await http.aclose()
