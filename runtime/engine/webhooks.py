"""Telling a caller that a review case was resolved: a signed POST, retried until acknowledged.

The body is the resolution as JSON. The signature header is
``X-Specwright-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` with the secret
from the spec's ``webhooks.<spec>.secret_env`` variable: the receiver recomputes it over the
bytes it got and refuses an old ``t`` (replays). Any 2xx acknowledges; anything else (a status,
a refused connection, a timeout) is retried with exponential backoff, capped, up to
``max_attempts``. Every attempt is appended to the case's events, so ``GET /reviews/{id}``
shows each one. This module makes one attempt; the durable queue that schedules them, across
restarts and replicas, is ``webhook_queue.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
from typing import Any

import httpx

from specwright.runtime.config import Webhook

log = logging.getLogger("specwright.webhooks")

SIGNATURE_HEADER = "X-Specwright-Signature"
DELIVERY_HEADER = "X-Specwright-Case"  # the same on every attempt: a receiver's dedup key


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


def backoff_s(hook: Webhook, attempt: int) -> float:
    """How long after failed attempt number ``attempt`` (from 1) the next one is due."""
    return float(min(hook.backoff_max_s, hook.backoff_base_s * 2 ** (attempt - 1)))


async def attempt(hook: Webhook, payload: dict[str, Any], number: int,
                  client: httpx.AsyncClient) -> dict[str, Any]:
    """POST ``payload`` once, signed now; the attempt as the case's delivery event records it."""
    entry: dict[str, Any] = {"attempt": number, "url": hook.url}
    secret = os.environ.get(hook.secret_env)
    if not secret:
        log.error("webhook for case %s not sent: %s is not set", payload.get("case"),
                  hook.secret_env)
        return {**entry, "ok": False,
                "error": f"the signing secret is not set: export {hook.secret_env}"}
    body = body_of(payload)
    headers = {"content-type": "application/json", DELIVERY_HEADER: str(payload.get("case")),
               SIGNATURE_HEADER: sign(secret, int(time.time()), body)}
    try:
        response = await client.post(hook.url, content=body, headers=headers,
                                     timeout=hook.timeout_s)
        entry["status"] = response.status_code
        entry["ok"] = 200 <= response.status_code < 300
    except httpx.HTTPError as exc:
        entry["ok"], entry["error"] = False, f"{type(exc).__name__}: {exc}"[:300]
    return entry
