"""``specwright draft``, ``specwright infer`` and ``specwright suggest-tests``.

Model-backed authoring (``runtime/authoring/commands.py``). Every model call goes through the project's
route (or ``--model``) and is written to the execution log. Diagnostics go to stderr
compiler-style; exit status 1 when the command could not do its job. ``specwright compile``
stays deterministic and offline: these commands only write spec files for a person to review.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from specwright.runtime.cli.options import project_option, project_settings
from specwright.runtime.cli.reporting import run_command

ModelOption = click.option(
    "--model", default=None, metavar="PROVIDER:MODEL",
    help="Use this one model instead of the project's default_route.",
)
RoundsOption = click.option(
    "--rounds", type=click.IntRange(0, 10), default=3, show_default=True,
    help="Repair rounds: how often the problems go back to the model after its first answer.",
)
_KEBAB = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


def model_access(project: Path, model: str | None) -> Any:
    """The ``ModelAccess`` of a command (tests replace this to script the model)."""
    from specwright.runtime.authoring.session import ModelAccess
    return ModelAccess(settings=project_settings(project), root=project, model=model)


def _run(body: Callable[[], int]) -> None:
    run_command(body)


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _spec_file(access: Any, spec: str) -> Path:
    path = Path(spec)
    if path.is_file():
        return path
    settings = access.settings
    named = settings.path(access.root, settings.specs_dir) / f"{path.stem}.md"
    if named.is_file():
        return named
    raise click.UsageError(f"no spec {spec}: give a file (specs/name.md) or a spec name")


def _shown(path: Path) -> str:
    from specwright.runtime.project.read import display_path

    return display_path(Path("."), path)


def _report_loop(outcome: Any, what: str) -> int:
    for problem in outcome.problems:
        click.echo(problem if ": error: " in problem or ": warning: " in problem
                   else f"error: {problem}", err=True)
    if outcome.failure:
        click.echo(f"error: {outcome.failure}", err=True)
    if outcome.written is None:
        click.echo(f"error: no {what} was produced", err=True)
        return 1
    shown = _shown(outcome.written)
    rounds = "round" if outcome.rounds == 1 else "rounds"
    click.echo(f"error: the {what} still has {len(outcome.problems)} problem(s) after "
               f"{outcome.rounds} {rounds}; the best attempt is in {shown} for you to finish",
               err=True)
    return 1


@click.command("draft")
@click.argument("policy_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="The spec's name (kebab-case): writes specs/NAME.md.")
@ModelOption
@RoundsOption
@click.option("--force", is_flag=True, help="Replace specs/NAME.md if it exists.")
@project_option
def draft(policy_file: Path, name: str, model: str | None, rounds: int, force: bool,
          project: Path) -> None:
    """Draft specs/NAME.md from a policy document, with a model; it must compile."""
    if not _KEBAB.match(name):
        kebab = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "my-decision"
        raise click.BadParameter(f'"{name}" is not kebab-case; use e.g. "{kebab}"',
                                 param_hint="--name")

    def body() -> int:
        from specwright.runtime.authoring.commands import draft as run_draft

        access = model_access(project, model)
        outcome = asyncio.run(run_draft(access, policy_file, name, repairs=rounds, force=force,
                                        progress=_progress))
        if not outcome.ok or outcome.written is None:
            return _report_loop(outcome, "draft")
        shown = _shown(outcome.written)
        click.echo(f"wrote {shown} (it compiles; accepted on round {outcome.rounds})")
        click.echo("review it: every rule cites the policy line it comes from; run "
                   f"`specwright suggest-tests {shown}` to see what its examples cover")
        return 0

    _run(body)


@click.command("infer")
@click.argument("spec")
@ModelOption
@RoundsOption
@project_option
def infer(spec: str, model: str | None, rounds: int, project: Path) -> None:
    """Rewrite prose ## Input / ## Output sections of SPEC as field tables, with a model."""

    def body() -> int:
        from specwright.runtime.authoring.commands import infer as run_infer

        access = model_access(project, model)
        path = _spec_file(access, spec)
        outcome = asyncio.run(run_infer(access, path, repairs=rounds, progress=_progress))
        if outcome.nothing_to_do:
            click.echo(f"{_shown(path)}: ## Input and ## Output already list their fields; "
                       "nothing to do")
            return 0
        if not outcome.ok:
            return _report_loop(outcome, "field list")
        click.echo(f"rewrote {_shown(path)}: the prose sections now have field tables (the prose is "
                   "kept above them); review the change before you commit it")
        return 0

    _run(body)


@click.command("suggest-tests")
@click.argument("spec")
@ModelOption
@click.option("--max", "most", type=click.IntRange(1, 20), default=5, show_default=True,
              help="At most this many suggested examples.")
@project_option
def suggest_tests(spec: str, model: str | None, most: int, project: Path) -> None:
    """Report what SPEC's examples cover; append model-suggested examples for the gaps."""

    def body() -> int:
        from specwright.compiler.authoring.coverage import format_coverage
        from specwright.runtime.authoring.commands import suggest_tests as run_suggest

        access = model_access(project, model)
        path = _spec_file(access, spec)
        outcome = asyncio.run(run_suggest(access, path, most=most))
        click.echo(format_coverage(outcome.before))
        if not outcome.before.gaps:
            click.echo("nothing to suggest: every row, guardrail and rule is covered")
            return 0
        for accepted in outcome.accepted:
            click.echo(f'appended "{accepted.title}"')
        for rejected in outcome.rejected:
            click.echo(f'dropped "{rejected.title}": {"; ".join(rejected.reasons)}', err=True)
        if outcome.after is None:
            why = "no suggested example was valid" if outcome.rejected else \
                "the model suggested no example"
            click.echo(f"error: {why}; nothing was written", err=True)
            return 1
        click.echo(f"wrote {len(outcome.accepted)} suggested example(s) to {_shown(path)}, marked "
                   '"Suggested": review them before relying on them')
        click.echo(format_coverage(outcome.after))
        return 0

    _run(body)


COMMANDS = [draft, infer, suggest_tests]
