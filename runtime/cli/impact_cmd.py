"""``specwright impact``: what a candidate revision would answer differently, before it is live.

Reads the inputs (the execution log, or a JSON-lines file), hands them to the pure comparison
(``specwright.runtime.engine.impact``) and prints the report; exits 1 when more runs change than
``--max-changed`` allows (a CI gate).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from pathlib import Path

import click

from specwright.compiler.errors import SpecwrightError
from specwright.runtime.cli.options import project_option, project_settings
from specwright.runtime.config import Settings
from specwright.runtime.engine.catalog import Catalog, LoadedRevision, load_catalog
from specwright.runtime.engine.impact import (
    Case,
    ImpactReport,
    Outcome,
    case_of_run,
    compare,
    expected_cost,
    over_limit,
    parse_since,
    replay,
)
from specwright.runtime.engine.impact_live import live_outcomes
from specwright.runtime.engine.model_factory import DefaultModels
from specwright.runtime.logstore import open_store, sqlite_path
from specwright.runtime.logstore.labels import open_label_db
from specwright.runtime.logstore.scan import scan_runs
from specwright.runtime.models.pricing import PriceBook
from specwright.runtime.records import RunRecord, Usage


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
@click.option("--live", is_flag=True,
              help="Ask the model for model-decided fields too (shows the expected cost first).")
@click.option("--yes", is_flag=True, help="With --live: do not ask for confirmation.")
@click.option("--mock", is_flag=True, help="With --live: answer model-decided fields offline.")
@project_option
def impact(spec: str, revision: int | None, label: str | None, from_log: bool, since: str,
           input_file: Path | None, limit: int, max_changed: int | None, as_json: bool,
           live: bool, yes: bool, mock: bool, project: Path) -> None:
    """Replay recorded inputs through a candidate revision of SPEC and count what changes."""
    if revision is not None and label is not None:
        raise click.UsageError("give --revision or --label, not both")
    if from_log and input_file is not None:
        raise click.UsageError("give --from-log or --input, not both")
    settings = project_settings(project)
    try:
        catalog = served_catalog(settings, project)
        candidate = pick_candidate(catalog, spec, revision, label)
        try:
            start = parse_since(since, time.time())
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--since") from None
        if input_file is not None:
            entry = catalog.specs[spec]
            served = catalog.default_of(entry, candidate.major) or candidate
            cases = read_input_file(input_file, served)
            runs = _logged(settings, project, spec, start, 1000) if live else []
        else:
            served = None
            runs = _logged(settings, project, spec, start, limit)
            cases = [case_of_run(r) for r in runs]
        asked = None
        if live and candidate.model_decided:
            asked = ask_live(settings, candidate, served, cases, runs, yes=yes or mock,
                             mock=mock, quiet=as_json)
        baseline = "log" if served is None else f"r{served.revision}"
        report = compare(candidate, cases, baseline=baseline, recorded_model=served is None,
                         live=asked)
    except SpecwrightError as exc:
        raise click.ClickException(" ".join(str(exc).split())) from None
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else format_report(report))
    if over_limit(report, max_changed):
        if not as_json:
            click.echo(f"{report.changed} changed runs exceed --max-changed {max_changed}",
                       err=True)
        raise SystemExit(1)


def ask_live(settings: Settings, candidate: LoadedRevision, served: LoadedRevision | None,
             cases: list[Case], runs: list[RunRecord], *, yes: bool, mock: bool,
             quiet: bool) -> list[Outcome]:
    """Show the expected cost, ask, then get the candidate's answers with its model (and, for
    --input, the served revision's, to compare with). Replaces ``cases``' answers in place."""
    route = candidate.compiled.spec.route.models or settings.default_route.models
    ref = None if not route else route[0] if isinstance(route[0], str) else route[0].ref
    calls = len(cases) * (1 if served is None else 2)
    book = PriceBook(settings)
    cost = None if ref is None else expected_cost(
        [(r.input_tokens, r.output_tokens) for r in runs], calls,
        lambda i, o: book.cost(ref, Usage(i, o)))
    shown = "unknown (no token counts logged, or no price)" if cost is None else f"${cost:.4f}"
    where = "offline (--mock)" if mock else f"priced as {ref}"
    click.echo(f"--live: {calls} runs ask the model: expected cost {shown}, {where}",
               err=quiet)
    if not yes:
        click.confirm("Run them?", abort=True, err=quiet)
    models = DefaultModels(settings, mock=mock)
    deadline = settings.routing.deadline_s

    async def run() -> list[Outcome]:
        try:
            if served is not None:
                befores = await live_outcomes(served, [c.input for c in cases], models,
                                              deadline_s=deadline)
                cases[:] = [replace(c, before=b) for c, b in zip(cases, befores, strict=True)]
            return await live_outcomes(candidate, [c.input for c in cases], models,
                                       deadline_s=deadline)
        finally:
            await models.aclose()

    return asyncio.run(run())


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
