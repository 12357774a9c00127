"""The server looks at the key file at most once per second; its own writes apply at once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from specwright.runtime.http import auth
from specwright.runtime.http.auth import CHECK_INTERVAL_S, KeyStore


def test_other_processes_changes_apply_within_the_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keys.json"
    cli = KeyStore(path)
    key, token = cli.create("caller")
    server = KeyStore(path)
    assert server.authenticate(token) == key
    cli.revoke(key.id)
    # As if the revocation came from another process: this process's write counter unchanged.
    monkeypatch.setattr(auth, "_writes", server._checked_writes)
    assert server.authenticate(token) == key  # not looked at again yet
    later = time.monotonic() + CHECK_INTERVAL_S + 0.1
    monkeypatch.setattr(auth.time, "monotonic", lambda: later)
    assert server.authenticate(token) is None


def test_writes_in_this_process_apply_at_once(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    server = KeyStore(path)
    assert server.active() == ()
    key, token = KeyStore(path).create("admin")
    assert server.authenticate(token) == key
