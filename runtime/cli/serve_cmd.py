"""``specwright serve`` and ``specwright keys``."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from pathlib import Path

import click

from specwright.compiler.errors import SpecwrightError
from specwright.runtime.cli.options import project_option, project_settings
from specwright.runtime.cli.serve_workers import LOG_FORMAT, serve_workers
from specwright.runtime.config import Settings, proxy_options
from specwright.runtime.hosts import is_loopback
from specwright.runtime.http.keystores import Keys, open_keys, uses_postgres


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--watch", is_flag=True, help="Recompile and reload specs when they change.")
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True,
              help="Server processes sharing the port (each with its own log writer). "
                   "SIGHUP replaces them one at a time.")
@click.option("--mock", is_flag=True, help="Answer model-decided fields offline (no keys).")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]),
              default="info", show_default=True)
@project_option
def serve(host: str, port: int, watch: bool, workers: int, mock: bool, log_level: str,
          project: Path) -> None:
    """Serve every spec revision as a typed, versioned HTTP endpoint."""
    import uvicorn

    from specwright.runtime.http.app import create_app

    if watch and workers > 1:
        raise click.UsageError("--watch reloads specs in one process: serve with --workers 1 "
                               "while editing, or send SIGHUP to replace the workers after a "
                               "specwright compile")
    settings = project_settings(project)
    active: tuple[object, ...] | None
    try:
        active = open_keys(settings, project).active()
    except RuntimeError as exc:
        if not uses_postgres(settings):
            raise click.ClickException(str(exc)) from None
        # The database does not answer: opening the log says why (and stops the server); the
        # keys stay required meanwhile (specwright.runtime.http.auth_gate fails closed).
        active = None
    if active is not None and not active and not is_loopback(host):
        raise click.ClickException(
            f"refusing to listen on {host}: no API key is configured, so anyone who can reach "
            "the port could call every spec and read the execution log. Create a key first "
            "(specwright keys create --caller, and --admin for /runs) or serve on 127.0.0.1."
        )
    logging.basicConfig(level=log_level.upper(), format=LOG_FORMAT)
    if active is not None and not active:
        click.echo("no API keys configured: serving on loopback only, without authentication "
                   "(create keys with: specwright keys create)", err=True)
    if mock:
        click.echo("mock mode: model-decided fields are answered offline "
                   "(responses carry X-Specwright-Mock: true)", err=True)
    if workers > 1:
        _warn_stale_specs(settings, project)
        sys.exit(serve_workers(host=host, port=port, workers=workers, project=project,
                               mock=mock, log_level=log_level))
    try:
        app = create_app(settings, project, mock=mock, watch=watch, tune_process=True,
                         bind_host=host)
    except SpecwrightError as exc:
        raise click.ClickException(str(exc)) from None
    if not watch:
        _warn_stale_specs(settings, project)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, server_header=False,
                            lifespan="on", timeout_graceful_shutdown=10,
                            **proxy_options(settings))
    uvicorn.Server(config).run()


def _warn_stale_specs(settings: Settings, project: Path) -> None:
    from specwright.runtime.http.watch import stale_specs

    for message in stale_specs(settings, project.resolve()):
        logging.getLogger("specwright.server").warning(message)


@click.group()
def keys() -> None:
    """Caller, reviewer and admin API keys (stored hashed under the data directory)."""


def _keystore(project: Path) -> Keys:
    return open_keys(project_settings(project), project)


@keys.command("create")
@click.option("--admin", "role", flag_value="admin", help="May also read the execution log.")
@click.option("--reviewer", "role", flag_value="reviewer",
              help="May also work the review queue (/reviews).")
@click.option("--caller", "role", flag_value="caller", default=True, help="May call the specs.")
@click.option("--name", default=None, help="A name to recognise the key by.")
@click.option("--rate", type=click.IntRange(0), default=None,
              help="Requests a minute this key may make, per server process (0: no limit; "
                   "default: the key_rate_per_minute setting).")
@project_option
def keys_create(role: str, name: str | None, rate: int | None, project: Path) -> None:
    """Create a key and print it once (only its hash is stored)."""
    try:
        key, token = _keystore(project).create(
            "admin" if role == "admin" else "reviewer" if role == "reviewer" else "caller", name,
            rate)
    except (RuntimeError, OSError) as exc:  # a damaged key file or an unwritable data dir
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {key.role} key {key.id} ({key.name}). It is shown only now:", err=True)
    click.echo(token)


@keys.command("list")
@project_option
def keys_list(project: Path) -> None:
    """List keys (ids, names, roles; never the keys themselves)."""
    try:
        found = _keystore(project).all()
    except (RuntimeError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    if not found:
        click.echo("no keys: a server started on loopback answers loopback clients without a "
                   "key; on any other interface every request is refused until a key exists")
        return
    for k in found:
        created = dt.datetime.fromtimestamp(k.created_at, dt.UTC).strftime("%Y-%m-%d %H:%M")
        state = "active" if k.active else "revoked"
        click.echo(f"{k.id}  {k.role:<6}  {state:<7}  {k.prefix}...  {created}Z  {k.name}")


@keys.command("revoke")
@click.argument("key_id")
@project_option
def keys_revoke(key_id: str, project: Path) -> None:
    """Revoke a key by id; a running server refuses it from its next request."""
    try:
        key = _keystore(project).revoke(key_id)
    except KeyError:
        raise click.ClickException(f"no key {key_id!r} (see specwright keys list)") from None
    except (RuntimeError, OSError) as exc:  # a damaged key file or an unwritable data dir
        raise click.ClickException(str(exc)) from None
    click.echo(f"revoked {key.id} ({key.name})")


COMMANDS = [serve, keys]
