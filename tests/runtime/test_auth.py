"""API keys: hashed at rest, caller vs admin, revocation, and the loopback-only default."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from rt_support import AppFactory, assert_error, no_model, running

from specwright.runtime.cli import main
from specwright.runtime.config import Settings
from specwright.runtime.http.auth import KeyStore, hash_token, keys_path

TRIAGE = {"order_total": 10, "country": "US"}


def test_keys_are_stored_hashed_and_private(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "data" / "keys.json")
    key, token = store.create("caller", "billing")
    assert token.startswith("sw_") and len(token) >= 40
    text = store.path.read_text()
    assert token not in text and hash_token(token) in text
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.authenticate(token) == key
    assert store.authenticate(token + "x") is None
    store.revoke(key.id)
    assert store.authenticate(token) is None
    assert [k.active for k in store.all()] == [False]


async def test_with_keys_callers_and_admins_are_told_apart(
    make_app: AppFactory, project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = KeyStore(keys_path(Settings(), project))
    _, caller = store.create("caller")
    admin_key, admin = store.create("admin")
    app = make_app(model_factory=no_model)
    async with running(app) as c:
        r = await c.post("/specs/triage/v1", json=TRIAGE)
        assert_error(r, 401, "unauthorized")
        assert r.headers["WWW-Authenticate"] == "Bearer"
        bad = "sw_" + "A" * 43
        r = await c.post("/specs/triage/v1", json=TRIAGE,
                         headers={"Authorization": f"Bearer {bad}"})
        assert_error(r, 401, "unauthorized")
        assert bad not in r.text
        as_caller = {"Authorization": f"Bearer {caller}"}
        r = await c.post("/specs/triage/v1", json=TRIAGE, headers=as_caller)
        assert r.status_code == 200, r.text
        assert (await c.post("/specs/triage/v1", json=TRIAGE,
                             headers={"X-API-Key": caller})).status_code == 200
        assert (await c.get("/specs", headers=as_caller)).status_code == 200
        assert_error(await c.get("/runs", headers=as_caller), 403, "forbidden")
        assert_error(await c.get("/runs"), 401, "unauthorized")
        as_admin = {"Authorization": f"Bearer {admin}"}
        runs = (await c.get("/runs", headers=as_admin)).json()["runs"]
        assert len(runs) == 2  # unauthorised calls never run
        assert (await c.post("/specs/triage/v1", json=TRIAGE, headers=as_admin)).status_code == 200
        # open endpoints
        assert (await c.get("/healthz")).status_code == 200
        assert (await c.get("/openapi.json")).status_code == 200
        # revocation takes effect on the next request
        store.revoke(admin_key.id)
        assert_error(await c.get("/runs", headers=as_admin), 401, "unauthorized")
    logs = caplog.text + json.dumps(runs)
    assert caller not in logs and admin not in logs


def test_keys_cli(project: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(main, ["keys", "create", "--admin", "--name", "ops", "--project",
                             str(project)])
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("sw_")
    r = runner.invoke(main, ["keys", "list", "--project", str(project)])
    assert r.exit_code == 0 and "admin" in r.output and "ops" in r.output
    assert token not in r.output
    key_id = r.output.split()[0]
    r = runner.invoke(main, ["keys", "revoke", key_id, "--project", str(project)])
    assert r.exit_code == 0 and "revoked" in r.output
    r = runner.invoke(main, ["keys", "revoke", "key_nope", "--project", str(project)])
    assert r.exit_code != 0 and "no key" in r.output


def test_serve_refuses_a_public_interface_without_keys(project: Path) -> None:
    r = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--project", str(project)])
    assert r.exit_code != 0
    assert "refusing to listen on 0.0.0.0" in r.output and "keys create" in r.output


@pytest.mark.parametrize("command", [["create"], ["list"], ["revoke", "key_x"]])
def test_keys_cli_with_a_damaged_key_file_is_a_clear_error(project: Path, command: list[str]) -> None:
    path = keys_path(Settings(), project)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json", encoding="utf-8")
    r = CliRunner().invoke(main, ["keys", *command, "--project", str(project)])
    assert r.exit_code == 1, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "Error:" in r.output and "Traceback" not in r.output
