"""API keys for callers and admins.

A key is ``sw_`` + 43 url-safe characters (32 random bytes). Only its SHA-256 is stored, in
``<data_dir>/keys.json`` (mode 0600), with an id, a name, a role and the first characters for
recognition; the key itself is shown once, by ``specwright keys create``. Presented keys are
hashed and compared in constant time against every stored hash.

Roles: a *caller* key may call the spec endpoints and read ``/specs``; a *reviewer* key may also
work the review queue (``/reviews``); an *admin* key may also read the execution log (``/runs``).
Whether a request without a key is answered is decided by ``specwright.runtime.http.auth_gate``
from how the server was started and where the request comes from, never from an empty key list.
With PostgreSQL configured, keys live in the log database instead
(``specwright.runtime.http.pg_keys``), so every replica agrees.

The server re-reads the file when it changes. To keep a ``stat()`` off every request it looks
at the file at most once per second (``CHECK_INTERVAL_S``): ``keys create`` / ``keys revoke``
from another process take effect on a running server within one second; a change made through
a ``KeyStore`` in the same process takes effect on the next request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

from starlette.requests import HTTPConnection

from specwright.runtime.config import Settings

if TYPE_CHECKING:
    from specwright.runtime.http.auth_gate import AuthGate

Role = Literal["admin", "caller", "reviewer"]
# What each role may do includes what the roles ranked below it may: a reviewer also calls specs,
# an admin also reviews.
ROLE_RANK: dict[str, int] = {"caller": 0, "reviewer": 1, "admin": 2}
TOKEN_PREFIX = "sw_"
KEYS_FILE = "keys.json"
CHECK_INTERVAL_S = 1.0  # how stale the server's view of the key file may be, at most
_writes = 0  # bumped by every write through a KeyStore of this process: re-check at once


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    role: Role
    sha256: str
    prefix: str  # "sw_" + first 6 characters, to recognise a key in listings
    created_at: float
    revoked_at: float | None = None
    rate_per_minute: int | None = None  # requests a minute; None: the server's default

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_key(role: Role, name: str, rate_per_minute: int | None) -> tuple[ApiKey, str]:
    """A fresh key record and its token (the token is shown once and never stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id="key_" + secrets.token_hex(4),
        name=name,
        role=role,
        sha256=hash_token(token),
        prefix=token[: len(TOKEN_PREFIX) + 6],
        created_at=time.time(),
        rate_per_minute=rate_per_minute,
    )
    return key, token


def keys_path(settings: Settings, root: Path) -> Path:
    return settings.path(root, settings.data_dir) / KEYS_FILE


class KeyStore:
    """The key file. Cheap to ask on every request: ``active()`` looks at the file at most once
    per ``CHECK_INTERVAL_S`` (and after any write from this process), and re-reads it only when
    it changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._keys: tuple[ApiKey, ...] = ()
        self._active: tuple[ApiKey, ...] = ()
        self._checked_at = -CHECK_INTERVAL_S - 1.0  # time.monotonic() of the last look
        self._checked_writes = -1

    def all(self) -> tuple[ApiKey, ...]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._keys = None, ()
            return ()
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            self._keys = self._read()
            self._stamp = stamp
        return self._keys

    def active(self) -> tuple[ApiKey, ...]:
        now = time.monotonic()
        if now - self._checked_at >= CHECK_INTERVAL_S or self._checked_writes != _writes:
            self._checked_writes = _writes
            keys = self.all()  # raises (fails closed) on a damaged file: not cached then
            self._active = tuple(k for k in keys if k.active)
            self._checked_at = now
        return self._active

    def authenticate(self, token: str) -> ApiKey | None:
        return match_token(self.active(), token)

    def create(self, role: Role, name: str | None = None,
               rate_per_minute: int | None = None) -> tuple[ApiKey, str]:
        """A new key; returns the record and the token (shown once, never stored)."""
        keys = list(self.all())
        key, token = new_key(role, name or f"{role}-{len(keys) + 1}", rate_per_minute)
        self._write([*keys, key])
        return key, token

    def revoke(self, key_id: str) -> ApiKey:
        keys = list(self.all())
        for i, key in enumerate(keys):
            if key.id == key_id:
                if key.active:
                    keys[i] = replace(key, revoked_at=time.time())
                    self._write(keys)
                return keys[i]
        raise KeyError(key_id)

    def _read(self) -> tuple[ApiKey, ...]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return tuple(
                ApiKey(**{**k, "role": cast(Role, k["role"])}) for k in raw.get("keys", [])
            )
        except (OSError, ValueError, TypeError, KeyError) as exc:
            # A damaged key file must not open the server: fail closed with a clear message.
            raise RuntimeError(f"cannot read API keys from {self.path}: {exc}") from None

    def _write(self, keys: list[ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        data = json.dumps({"version": 1, "keys": [asdict(k) for k in keys]}, indent=2)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        self._stamp = None
        global _writes
        _writes += 1


def presented_token(conn: HTTPConnection) -> str | None:
    auth = conn.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    key = conn.headers.get("x-api-key")
    return key.strip() if key else None


def match_token(keys: tuple[ApiKey, ...], token: str) -> ApiKey | None:
    """The key among ``keys`` whose hash is the token's, compared in constant time."""
    digest = hash_token(token)
    found: ApiKey | None = None
    for key in keys:  # no early exit: time does not depend on which key matched
        if hmac.compare_digest(digest, key.sha256):
            found = key
    return found


def require(gate: AuthGate, conn: HTTPConnection, role: Role) -> ApiKey | None:
    """Check the request's key for ``role`` (``specwright.runtime.http.auth_gate.AuthGate.require``): None for
    a keyless request the server answers (started on loopback, no key ever, a loopback client)."""
    return gate.require(conn, role)
