"""``specwright logs``: the latest runs from the execution log, as a table or JSON lines."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import click

from specwright.compiler.errors import SpecwrightError
from specwright.runtime.cli.logs_prune import prune_command
from specwright.runtime.cli.options import project_option, project_settings
from specwright.runtime.logstore import MAX_PAGE, LogStore, RunQuery, open_store, sqlite_path
from specwright.runtime.logstore.base import RUN_STATUSES
from specwright.runtime.records import RunRecord

HEADERS = ("id", "time (UTC)", "spec", "rev", "status", "latency ms", "model", "cost $")


def iso_utc(epoch: float) -> str:
    return (
        datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _cost(run: RunRecord) -> str:
    cost = run.cost_usd
    return "unknown" if cost is None else f"{cost:.6f}"


def format_table(runs: Sequence[RunRecord]) -> str:
    rows = [
        (
            r.id,
            iso_utc(r.created_at),
            r.spec,
            str(r.revision),
            r.status,
            f"{r.latency_ms:.1f}",
            r.model or "-",
            _cost(r),
        )
        for r in runs
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(HEADERS)]
    numeric = {3, 5, 7}  # right-aligned columns

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(HEADERS), *(line(r) for r in rows)])


def to_json(run: RunRecord) -> str:
    data = dataclasses.asdict(run)
    data["input_tokens"], data["output_tokens"] = run.input_tokens, run.output_tokens
    data["cost_usd"] = run.cost_usd
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


async def fetch(
    store: LogStore, limit: int, spec: str | None, status: str | None
) -> list[RunRecord]:
    runs: list[RunRecord] = []
    cursor: str | None = None
    await store.start()
    try:
        while len(runs) < limit:
            query = RunQuery(
                spec=spec, status=status, limit=min(MAX_PAGE, limit - len(runs)), cursor=cursor
            )
            page = await store.query(query)
            runs.extend(page.runs)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    finally:
        await store.close()
    return runs


@click.group("logs", invoke_without_command=True)
@click.option(
    "-n",
    "limit",
    type=click.IntRange(1, 100_000),
    default=20,
    show_default=True,
    help="How many runs, newest first.",
)
@click.option("--spec", default=None, help="Only runs of this spec.")
@click.option("--status", type=click.Choice(RUN_STATUSES), default=None, help="Only this status.")
@click.option("--json", "as_json", is_flag=True, help="Full records as JSON lines.")
@project_option
@click.pass_context
def logs(ctx: click.Context, limit: int, spec: str | None, status: str | None, as_json: bool,
         project: Path) -> None:
    """Show the latest runs from the execution log (``logs prune``: delete old runs)."""
    if ctx.invoked_subcommand is not None:
        return
    settings = project_settings(project)
    try:
        if not settings.database_url and not sqlite_path(settings, project).exists():
            if not as_json:
                click.echo(f"no runs logged yet ({sqlite_path(settings, project)} does not exist)")
            return
        store = open_store(settings, project, writer="thread")  # reads only
        runs = asyncio.run(fetch(store, limit, spec, status))
    except (SpecwrightError, OSError) as exc:
        raise click.ClickException(" ".join(str(exc).split())) from None
    if as_json:
        for run in runs:
            click.echo(to_json(run))
    elif runs:
        click.echo(format_table(runs))
    else:
        click.echo("no runs match" if spec or status else "no runs logged yet")


logs.add_command(prune_command)

COMMANDS = [logs]
