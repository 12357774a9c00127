"""``specwright impact``: what a candidate revision would answer differently, before it is live.

Reads the inputs (the execution log, or a JSON-lines file), hands them to the pure comparison
(``specwright.runtime.engine.impact``) and prints the report; exits 1 when more runs change than
``--max-changed`` allows (a CI gate).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import click

from specwright.compiler.errors import SpecwrightError
from specwright.runtime.cli.options import project_option, project_settings
from specwright.runtime.config import Settings
from specwright.runtime.engine.catalog import Catalog, LoadedRevision, load_catalog
from specwright.runtime.engine.impact import (
    Case,
    ImpactReport,
    case_of_run,
    compare,
    over_limit,
    parse_since,
    replay,
)
from specwright.runtime.logstore import open_store, sqlite_path
from specwright.runtime.logstore.labels import open_label_db
from specwright.runtime.logstore.scan import scan_runs
from specwright.runtime.records import RunRecord


def served_catalog(settings: Settings, project: Path) -> Catalog:
    """``generated/`` with the labels of the log database (none when it does not exist)."""
    catalog = load_catalog(settings.path(project, settings.generated_dir))
    db = open_label_db(settings, project, create=False)
    if db is None:
        return catalog
    try:
        return catalog.with_labels(db.labels())
    finally:
        db.close()


def pick_candidate(catalog: Catalog, spec: str, revision: int | None,
                   label: str | None) -> LoadedRevision:
    entry = catalog.specs.get(spec)
    if entry is None or entry.latest is None:
        known = ", ".join(catalog.specs) or "none"
        raise click.ClickException(f'unknown spec "{spec}" (compiled specs: {known})')
    if label is not None:
        found = catalog.label_target(spec, label)
        if found is None:
            raise click.ClickException(f'{spec} has no label "{label}"')
        return found
    if revision is None:
        return entry.latest
    found = entry.get(revision)
    if found is None:
        have = ", ".join(str(r.revision) for r in entry.revisions)
        raise click.ClickException(f"{spec} has no revision {revision} (its revisions: {have})")
    return found


def read_input_file(path: Path, baseline: LoadedRevision) -> list[Case]:
    """One JSON object per line; each is answered by ``baseline`` to compare with."""
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise click.ClickException(f"{path}:{n}: not JSON: {exc}") from None
        cases.append(Case(input=data, before=replay(baseline, data), line=n))
    return cases


def format_report(report: ImpactReport) -> str:
    against = ("the answers recorded in the log" if report.baseline == "log"
               else f"{report.baseline} (served now)")
    lines = [f"{report.spec} r{report.candidate} against {against}: {report.changed} of "
             f"{report.total} runs would change"]
    for t in report.sorted_transitions():
        where = ", ".join(t.run_ids[:5]) or ", ".join(f"line {n}" for n in t.lines[:5])
        more = " ..." if t.count > 5 else ""
        lines.append(f"  {t.field}: {t.before} -> {t.after}: {t.count} runs ({where}{more})")
        if t.examples:
            lines.append(f"    e.g. {json.dumps(t.examples[0], sort_keys=True)[:300]}")
    if report.not_replayed:
        lines.append(f"  not replayed (decided by the model): {', '.join(report.not_replayed)}")
    return "\n".join(lines)


@click.command("impact")
@click.argument("spec")
@click.option("--revision", type=click.IntRange(1), default=None,
              help="Candidate revision (default: the latest compiled).")
@click.option("--label", default=None, help="Candidate: the revision this label points at.")
@click.option("--from-log", "from_log", is_flag=True,
              help="Replay inputs from the execution log (the default source).")
@click.option("--since", default="7d", show_default=True,
              help="With --from-log: a duration (30m, 24h, 7d) or a date (2026-12-01).")
@click.option("--input", "input_file", type=click.Path(dir_okay=False, exists=True,
              path_type=Path), default=None,
              help="A JSON-lines file of inputs, compared with the revision served now.")
@click.option("--limit", type=click.IntRange(1, 1_000_000), default=10_000, show_default=True,
              help="At most this many logged runs, newest first.")
@click.option("--max-changed", type=click.IntRange(0), default=None,
              help="Exit 1 when more runs than this would change (CI gate).")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
@project_option
def impact(spec: str, revision: int | None, label: str | None, from_log: bool, since: str,
           input_file: Path | None, limit: int, max_changed: int | None, as_json: bool,
           project: Path) -> None:
    """Replay recorded inputs through a candidate revision of SPEC and count what changes."""
    if revision is not None and label is not None:
        raise click.UsageError("give --revision or --label, not both")
    if from_log and input_file is not None:
        raise click.UsageError("give --from-log or --input, not both")
    settings = project_settings(project)
    try:
        catalog = served_catalog(settings, project)
        candidate = pick_candidate(catalog, spec, revision, label)
        if input_file is not None:
            entry = catalog.specs[spec]
            served = catalog.default_of(entry, candidate.major) or candidate
            report = compare(candidate, read_input_file(input_file, served),
                             baseline=f"r{served.revision}", recorded_model=False)
        else:
            try:
                start = parse_since(since, time.time())
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint="--since") from None
            runs = _logged(settings, project, spec, start, limit)
            report = compare(candidate, (case_of_run(r) for r in runs), baseline="log")
    except SpecwrightError as exc:
        raise click.ClickException(" ".join(str(exc).split())) from None
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else format_report(report))
    if over_limit(report, max_changed):
        if not as_json:
            click.echo(f"{report.changed} changed runs exceed --max-changed {max_changed}",
                       err=True)
        raise SystemExit(1)


def _logged(settings: Settings, project: Path, spec: str, since: float, limit: int
            ) -> list[RunRecord]:
    if not settings.database_url and not sqlite_path(settings, project).exists():
        return []
    store = open_store(settings, project, writer="thread")

    async def scan() -> list[RunRecord]:
        await store.start()
        try:
            return await scan_runs(store, spec, since=since, limit=limit)
        finally:
            await store.close()

    return asyncio.run(scan())


COMMANDS = [impact]
