"""API keys in the PostgreSQL log database (table ``api_keys``, migration 0003), so that every
replica sharing the database agrees on which keys are active.

The same interface as the key file (``specwright.runtime.http.auth.KeyStore``): ``all``, ``active``,
``authenticate``, ``create``, ``revoke``. A server asks ``active()`` on every request; the table
is read at most once per ``CHECK_INTERVAL_S``, on a thread of its own, so a request never waits
for the database (it uses the keys read last). The first read happens at once: a server whose
key table cannot be read at start does not start. A read that fails later keeps the keys read
before and is logged; revocations made meanwhile take effect once the database answers again.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import psycopg

from specwright.runtime.http.auth import CHECK_INTERVAL_S, ApiKey, Role, match_token, new_key
from specwright.runtime.logstore.postgres import PostgresLogStore, redact_url

log = logging.getLogger("specwright.auth")
_COLUMNS = "id, name, role, sha256, prefix, created_at, revoked_at, rate_per_minute"


class PostgresKeyStore:
    def __init__(self, url: str, *, connect_timeout_s: int = 5) -> None:
        self.url = url
        self._timeout = connect_timeout_s
        self._active: tuple[ApiKey, ...] = ()
        self._loaded = False
        self._checked_at = 0.0
        self._refreshing = threading.Lock()
        self._migrated = False

    @property
    def location(self) -> str:
        return redact_url(self.url)

    def _connect(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self.url, connect_timeout=self._timeout,
                               application_name="specwright-keys")
        if not self._migrated:  # the table comes with the log's migrations
            PostgresLogStore(self.url).migrate(conn)
            conn.commit()
            self._migrated = True
        return conn

    def all(self) -> tuple[ApiKey, ...]:
        try:
            with self._connect() as conn:
                rows = conn.execute(f"SELECT {_COLUMNS} FROM api_keys ORDER BY created_at").fetchall()
        except psycopg.Error as exc:
            raise RuntimeError(f"cannot read API keys from {self.location}: "
                               f"{type(exc).__name__}") from None
        return tuple(ApiKey(*row) for row in rows)

    def _refresh(self) -> None:
        try:
            keys = self.all()
        except RuntimeError as exc:
            log.warning("%s; using the keys read before", exc)
        else:
            self._active = tuple(k for k in keys if k.active)
        finally:
            self._checked_at = time.monotonic()
            self._refreshing.release()

    def active(self) -> tuple[ApiKey, ...]:
        if not self._loaded:  # first use: read now, and fail (closed) when that fails
            self._active = tuple(k for k in self.all() if k.active)
            self._loaded = True
            self._checked_at = time.monotonic()
        elif (time.monotonic() - self._checked_at >= CHECK_INTERVAL_S
              and self._refreshing.acquire(blocking=False)):
            threading.Thread(target=self._refresh, name="specwright-keys", daemon=True).start()
        return self._active

    def authenticate(self, token: str) -> ApiKey | None:
        return match_token(self.active(), token)

    def create(self, role: Role, name: str | None = None,
               rate_per_minute: int | None = None) -> tuple[ApiKey, str]:
        with self._connect() as conn:
            (count,) = conn.execute("SELECT count(*) FROM api_keys").fetchone() or (0,)
            key, token = new_key(role, name or f"{role}-{count + 1}", rate_per_minute)
            conn.execute(
                f"INSERT INTO api_keys ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (key.id, key.name, key.role, key.sha256, key.prefix, key.created_at,
                 key.revoked_at, key.rate_per_minute),
            )
        self._checked_at = 0.0  # this process sees it on its next request
        return key, token

    def revoke(self, key_id: str) -> ApiKey:
        with self._connect() as conn:
            conn.execute("UPDATE api_keys SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL",
                         (time.time(), key_id))
            row = conn.execute(f"SELECT {_COLUMNS} FROM api_keys WHERE id = %s",
                               (key_id,)).fetchone()
        if row is None:
            raise KeyError(key_id)
        self._checked_at = 0.0
        return ApiKey(*row)
