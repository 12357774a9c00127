"""Where a project's API keys live: the PostgreSQL log database when one is configured (shared
by every replica), else the key file under the data directory."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from specwright.runtime.config import Settings
from specwright.runtime.http.auth import ApiKey, KeyStore, Role, keys_path


class Keys(Protocol):
    def all(self) -> tuple[ApiKey, ...]: ...

    def active(self) -> tuple[ApiKey, ...]: ...

    def authenticate(self, token: str) -> ApiKey | None: ...

    def create(self, role: Role, name: str | None = None,
               rate_per_minute: int | None = None) -> tuple[ApiKey, str]: ...

    def revoke(self, key_id: str) -> ApiKey: ...


def uses_postgres(settings: Settings) -> bool:
    url = settings.database_url or ""
    return url.startswith(("postgresql://", "postgres://"))


def open_keys(settings: Settings, root: Path) -> Keys:
    if uses_postgres(settings):
        from specwright.runtime.http.pg_keys import PostgresKeyStore

        assert settings.database_url is not None
        return PostgresKeyStore(settings.database_url)
    return KeyStore(keys_path(settings, root))
