"""Who may call without a key: decided by how the server was started and where a request comes
from, never by the key list being empty.

A server is *open* (requests without a key are answered) only when all of these hold:

* it was started on a loopback interface (``specwright serve --host 127.0.0.1``, the default);
* ``require_api_keys`` is not set;
* it had no active key when it started, and has not seen one since;
* the request comes from a loopback address (behind a trusted proxy: the forwarded address).

Anything else requires a key, every time. Once keys are required they stay required for the
life of the process: revoking the last key, deleting the key file or emptying the key table
makes every request a 401, not an open server. Each change is logged.

Per-key request limits: each key may make ``rate_per_minute`` requests a minute (the key's own
limit, else ``Settings.key_rate_per_minute``; 0 means unlimited), counted in this process with a
token bucket (burst: one minute's worth). Over the limit: 429 with ``Retry-After``.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from typing import Protocol

from starlette.requests import HTTPConnection

from specwright.runtime.errors import Forbidden, KeyRateLimited, Unauthorized
from specwright.runtime.http.auth import ROLE_RANK, ApiKey, Role, presented_token

log = logging.getLogger("specwright.auth")


class KeySource(Protocol):
    def active(self) -> tuple[ApiKey, ...]: ...

    def authenticate(self, token: str) -> ApiKey | None: ...


def is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Bucket:
    __slots__ = ("tokens", "stamp")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp


class RateLimiter:
    """Token buckets per key id: ``per_minute`` requests a minute, bursts up to that many."""

    def __init__(self) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str, per_minute: int, now: float | None = None) -> float | None:
        """None when the request may go ahead; else the seconds until it may."""
        if per_minute <= 0:
            return None
        now = time.monotonic() if now is None else now
        rate = per_minute / 60.0
        with self._lock:
            bucket = self._buckets.get(key_id)
            if bucket is None:
                bucket = self._buckets[key_id] = _Bucket(float(per_minute), now)
            bucket.tokens = min(float(per_minute), bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return (1.0 - bucket.tokens) / rate


class AuthGate:
    """The one place a request's key is checked (``require``)."""

    def __init__(self, keys: KeySource, *, bind_host: str, require_keys: bool = False,
                 default_rate_per_minute: int = 0) -> None:
        self.keys = keys
        self.bind_host = bind_host
        self.default_rate_per_minute = default_rate_per_minute
        self.limiter = RateLimiter()
        active = self._active()
        if not is_loopback(bind_host):
            self._required_because: str | None = f"the server listens on {bind_host}"
        elif require_keys:
            self._required_because = "require_api_keys is set"
        elif active is None or active:
            self._required_because = "API keys are configured, or cannot be read"
        else:
            self._required_because = None
        self._warned_empty = False
        if self._required_because:
            log.info("API keys required (%s)", self._required_because)
        else:
            log.info("no API key configured: requests from loopback are answered without a key; "
                     "keys become required for good once one is created")

    def _active(self) -> tuple[ApiKey, ...] | None:
        """The active keys; None when they cannot be read (a damaged key file, a database that
        does not answer its first read): then every request is refused, never let through."""
        try:
            return self.keys.active()
        except RuntimeError as exc:
            log.error("%s: every request is refused until the keys can be read", exc)
            return None

    @property
    def keys_required(self) -> bool:
        """Whether every request needs a key (always, from here on, once True)."""
        if self._required_because is None:
            active = self._active()
            if active is None or active:
                self._required_because = "an API key was created" if active else \
                    "the API keys cannot be read"
                log.warning("%s: every request needs a key from now on", self._required_because)
        return self._required_because is not None

    def require(self, conn: HTTPConnection, role: Role) -> ApiKey | None:
        """The request's key, checked for ``role``; None for a keyless request of an open
        server. Raises Unauthorized (401), Forbidden (403) or KeyRateLimited (429)."""
        if not self.keys_required:
            client = conn.client.host if conn.client is not None else None
            if is_loopback(client):
                return None
            raise Unauthorized("requests from other hosts need an API key: send "
                               "Authorization: Bearer <key> (specwright keys create --caller)")
        token = presented_token(conn)
        active = self._active()
        if active is None:
            raise Unauthorized("this server cannot read its API keys: every request is refused "
                               "until it can (see the server's log)")
        if not active:
            if not self._warned_empty:
                self._warned_empty = True
                log.warning("no active API key: every request is refused (401) until one is "
                            "created with specwright keys create")
            raise Unauthorized("this server requires an API key and none is active: "
                               "create one with specwright keys create --caller")
        self._warned_empty = False
        if not token:
            raise Unauthorized(
                "this server requires an API key: send Authorization: Bearer <key> "
                "(create one with: specwright keys create --caller)"
            )
        key = self.keys.authenticate(token)
        if key is None:
            raise Unauthorized("the API key is unknown or revoked")
        if ROLE_RANK.get(key.role, -1) < ROLE_RANK[role]:
            article = "an" if role == "admin" else "a"
            raise Forbidden(f"this endpoint needs {article} {role} key "
                            f"(specwright keys create --{role})")
        limit = key.rate_per_minute if key.rate_per_minute is not None else \
            self.default_rate_per_minute
        wait = self.limiter.take(key.id, limit)
        if wait is not None:
            raise KeyRateLimited(
                f"API key {key.id} is limited to {limit} requests a minute: retry in "
                f"{wait:.1f} s", retry_after_s=wait)
        return key
