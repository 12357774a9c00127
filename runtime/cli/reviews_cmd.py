"""``specwright reviews list|show|claim|resolve|to-example``: the review queue from the shell.

The commands work on the execution log directly (the same ``ReviewService`` as ``/reviews``), so
they need no running server. ``resolve`` delivers the spec's webhook before it returns.
``to-example`` turns a resolved case into an example of its spec (``specs/<name>.md``).
"""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from specwright.compiler.authoring.review_example import append_review_example
from specwright.compiler.errors import SpecwrightError
from specwright.runtime.cli.options import project_option, project_settings
from specwright.runtime.config import Settings
from specwright.runtime.engine.catalog import load_catalog
from specwright.runtime.engine.review_service import ReviewService
from specwright.runtime.engine.stats import spec_stats
from specwright.runtime.engine.webhook_queue import WebhookQueue
from specwright.runtime.logstore import open_store
from specwright.runtime.logstore.reviews import CASE_STATES, CaseQuery, ReviewCase, ReviewLog

T = TypeVar("T")


def run_with_service(project: Path, action: Callable[[ReviewService], Awaitable[T]]) -> T:
    settings = project_settings(project)

    async def go() -> T:
        store = open_store(settings, project, writer="thread")
        await store.start()
        log = ReviewLog(store)
        try:
            catalog = load_catalog(settings.path(project, settings.generated_dir))
            return await action(ReviewService(log, lambda: catalog, settings))
        finally:
            await log.close()
            await store.close()

    try:
        return asyncio.run(go())
    except (SpecwrightError, OSError) as exc:
        raise click.ClickException(" ".join(str(exc).split())) from None


def case_json(case: ReviewCase) -> dict[str, Any]:
    from specwright.runtime.http.reviews import case_out  # the same shape as GET /reviews/{id}

    return case_out(case).model_dump(mode="json")


@click.group("reviews")
def reviews() -> None:
    """The review queue: cases opened by runs that met their spec's review condition."""


@reviews.command("list")
@click.option("--spec", default=None, help="Only cases of this spec.")
@click.option("--state", type=click.Choice(CASE_STATES), default=None)
@click.option("--older-than", "older_than_s", type=float, default=None,
              help="Only cases opened at least this many seconds ago.")
@click.option("--row-line", type=int, default=None, help="Only cases a row on this line decided.")
@click.option("-n", "limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@project_option
def reviews_list(spec: str | None, state: Any, older_than_s: float | None,
                 row_line: int | None, limit: int, project: Path) -> None:
    """List cases, newest first (one JSON object a line)."""
    query = CaseQuery(spec=spec, state=state, older_than_s=older_than_s, row_line=row_line,
                      limit=limit)
    cases, _ = run_with_service(project, lambda s: s.log.cases(query))
    for case in cases:
        data = case_json(case)
        click.echo(json.dumps({k: data[k] for k in ("id", "spec", "revision", "state",
                                                     "claimed_by", "age_s", "output")}))


@reviews.command("show")
@click.argument("case_id")
@project_option
def reviews_show(case_id: str, project: Path) -> None:
    """One case with its events, as JSON."""
    case = run_with_service(project, lambda s: s.get(case_id))
    click.echo(json.dumps(case_json(case), indent=2))


def _reviewer(name: str | None) -> str:
    return name or f"cli:{getpass.getuser()}"


@reviews.command("claim")
@click.argument("case_id")
@click.option("--reviewer", default=None, help="Who claims it (default: cli:<user>).")
@project_option
def reviews_claim(case_id: str, reviewer: str | None, project: Path) -> None:
    """Take a case."""
    case = run_with_service(project, lambda s: s.claim(case_id, _reviewer(reviewer)))
    click.echo(f"case {case.id} claimed by {case.claim.actor if case.claim else '?'}")


@reviews.command("resolve")
@click.argument("case_id")
@click.option("--output", "output_text", required=True, help="The final output, as JSON.")
@click.option("--note", default="", help="Why.")
@click.option("--reviewer", default=None, help="Who resolves it (default: cli:<user>).")
@project_option
def reviews_resolve(case_id: str, output_text: str, note: str, reviewer: str | None,
                    project: Path) -> None:
    """Decide a case's final output (checked against its spec's Output and guardrails)."""
    try:
        output = json.loads(output_text)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--output") from None

    async def act(service: ReviewService) -> tuple[ReviewCase, bool | None]:
        case = await service.resolve(case_id, output, note, _reviewer(reviewer))
        hook = service.webhook(case)
        if hook is None:
            return case, None
        queue = WebhookQueue(service.log, service.settings)
        try:  # a running server may make some of the attempts: the lease decides
            return case, await queue.until_done(case.id, hook)
        finally:
            await queue.aclose()

    case, delivered = run_with_service(project, act)
    click.echo(f"case {case.id} resolved"
               + ("" if delivered is None else
                  "; webhook acknowledged" if delivered else "; webhook NOT acknowledged"))
    if delivered is False:
        raise SystemExit(1)


@reviews.command("to-example")
@click.argument("case_id")
@project_option
def reviews_to_example(case_id: str, project: Path) -> None:
    """Append a resolved case to its spec's Examples (recompile to check it)."""
    case = run_with_service(project, lambda s: s.get(case_id))
    resolution = case.resolution
    if resolution is None:
        raise click.ClickException(f"case {case_id} is not resolved yet: resolve it first")
    path = _spec_file(project_settings(project), project, case.spec)
    text = path.read_text(encoding="utf-8")
    new = append_review_example(
        text, case_id=case.id, reviewer=resolution.actor, revision=case.revision,
        note=str(resolution.data.get("note", "")), input=case.input or {},
        output=dict(resolution.data.get("output") or {}),
    )
    if new == text:
        click.echo(f"{path} already has the example of case {case.id}")
        return
    path.write_text(new, encoding="utf-8")
    click.echo(f"{path}: example \"Review {case.id}\" added; run specwright compile")


def _spec_file(settings: Settings, project: Path, name: str) -> Path:
    path = settings.path(project, settings.specs_dir) / f"{name}.md"
    if not path.is_file():
        raise click.ClickException(f"{path} does not exist: the spec of this case is not here")
    return path


@click.command("stats")
@click.argument("spec")
@click.option("--since", default=None, help="Only runs since (epoch seconds or ISO 8601).")
@click.option("--json", "as_json", is_flag=True, help="The same JSON as GET /specs/{name}/stats.")
@project_option
def stats(spec: str, since: str | None, as_json: bool, project: Path) -> None:
    """Per table row: hits and how often reviewers overrode it; runs, latency."""
    from specwright.runtime.http.runs import parse_time

    when = parse_time(since, "since")
    found = run_with_service(project, lambda s: spec_stats(s.log, spec, when))
    if as_json:
        click.echo(found.model_dump_json(indent=2))
        return
    lat = found.latency_ms
    click.echo(f"{spec}: {found.runs} runs "
               + " ".join(f"{k}={v}" for k, v in found.by_status.items()))
    click.echo("latency ms: " + " ".join(
        f"{k}={'-' if v is None else f'{v:.2f}'}" for k, v in lat.items()))
    waited = found.oldest_open_age_s
    click.echo("reviews: " + " ".join(f"{k}={v}" for k, v in found.reviews.items())
               + ("" if waited is None else f" oldest_open_age={_age(waited)}"))
    click.echo(f"{'table':<28} {'row':>4} {'line':>5} {'hits':>7} {'escal.':>7} "
               f"{'resolved':>8} {'overr.':>7} {'rate':>6}")
    for r in found.rows:
        rate = "-" if r.override_rate is None else f"{r.override_rate:.0%}"
        click.echo(f"{r.table[:28]:<28} {r.row:>4} {r.line or '-':>5} {r.hits:>7} "
                   f"{r.escalated:>7} {r.resolved:>8} {r.overridden:>7} {rate:>6}")


def _age(seconds: float) -> str:
    """3d 4h, 2h 5m, 7m 3s, 12s: the two largest units."""
    left, parts = int(seconds), list[str]()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if left >= size or (unit == "s" and not parts):
            parts.append(f"{left // size}{unit}")
            left %= size
    return " ".join(parts[:2])


COMMANDS = [reviews, stats]
