"""``specwright promote``, ``rollback``, ``history``: move a spec's labels, show their moves.

Nothing here edits or compiles a spec: a label is moved in the log database, and every server
sharing that database serves the new target within a second (docs/versioning.md). Moves made
here are recorded with the OS user as who.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from specwright.compiler.errors import SpecwrightError
from specwright.runtime.cli.logs_cmd import iso_utc
from specwright.runtime.cli.options import project_option, project_settings
from specwright.runtime.engine.catalog import DEFAULT_LABEL
from specwright.runtime.engine.labels import Places, promote, rollback
from specwright.runtime.logstore.labels import LabelDB, LabelMove, open_label_db


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (a container): say so
        return "unknown-user"


@contextmanager
def _db(project: Path) -> Iterator[tuple[LabelDB, Places]]:
    settings = project_settings(project)
    places = Places(settings.path(project, settings.generated_dir),
                    settings.path(project, settings.data_dir) / "revisions")
    try:
        db = open_label_db(settings, project)
    except (SpecwrightError, OSError) as exc:
        raise click.ClickException(" ".join(str(exc).split())) from None
    assert db is not None
    try:
        yield db, places
    except SpecwrightError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.close()


def _rev(value: int | None) -> str:
    return "latest" if value is None else f"r{value}"


def describe(m: LabelMove) -> str:
    why = f"  ({m.reason})" if m.reason else ""
    before = f" [served r{m.served_before}]" if m.from_revision is None and m.served_before else ""
    return (f"{iso_utc(m.moved_at)}  {m.label}: {_rev(m.from_revision)}{before} -> "
            f"{_rev(m.to_revision)}  {m.kind} by {m.actor}{why}")


@click.command("promote")
@click.argument("spec")
@click.argument("revision")
@click.option("--label", default=DEFAULT_LABEL, show_default=True, help="The label to move.")
@click.option("--reason", default="", help="Why (recorded in the history).")
@project_option
def promote_cmd(spec: str, revision: str, label: str, reason: str, project: Path) -> None:
    """Point a label of SPEC at REVISION (a number, or "latest" to follow new revisions)."""
    if revision == "latest":
        number = None
    elif revision.removeprefix("r").isdigit() and int(revision.removeprefix("r")) > 0:
        number = int(revision.removeprefix("r"))
    else:
        raise click.BadParameter(f"{revision!r}: give a revision number (3) or latest",
                                 param_hint="REVISION")
    with _db(project) as (db, places):
        move, loaded = promote(db, places, spec, number, label=label, actor=_actor(),
                               reason=reason)
    where = f" (contract v{loaded.major}, {loaded.route_path})" if loaded else ""
    click.echo(f"{spec}: {describe(move)}{where}")


@click.command("rollback")
@click.argument("spec")
@click.option("--label", default=DEFAULT_LABEL, show_default=True, help="The label to move back.")
@click.option("--reason", default="", help="Why (recorded in the history).")
@project_option
def rollback_cmd(spec: str, label: str, reason: str, project: Path) -> None:
    """Move a label of SPEC back to its previous target, without recompiling anything."""
    with _db(project) as (db, places):
        move, loaded = rollback(db, places, spec, label=label, actor=_actor(), reason=reason)
    where = f" (contract v{loaded.major}, {loaded.route_path})" if loaded else ""
    click.echo(f"{spec}: {describe(move)}{where}")


@click.command("history")
@click.argument("spec")
@click.option("--label", default=None, help="Only the moves of this label.")
@project_option
def history_cmd(spec: str, label: str | None, project: Path) -> None:
    """Every move of SPEC's labels, oldest first: when, from, to, who, why."""
    with _db(project) as (db, _):
        moves = db.history(spec, label)
        labels = db.labels(spec).get(spec, {})
    if not moves:
        click.echo(f"{spec}: no label was ever moved; {DEFAULT_LABEL} follows the latest revision")
        return
    for m in moves:
        click.echo(describe(m))
    for name, rev in sorted(labels.items()):
        click.echo(f"now: {name} -> {_rev(rev)}")


COMMANDS = [promote_cmd, rollback_cmd, history_cmd]
