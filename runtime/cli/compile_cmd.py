"""``specwright compile [--check]`` and ``specwright diff SPEC``.

Diagnostics go to stderr compiler-style (``specs/x.md:27:5: error: ...``), sorted by file, line
and column; one summary line per spec goes to stdout. Exit status 1 on any error (or drift, with
``--check``). Never a traceback: errors are printed, an unexpected failure is one line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from specwright.runtime.cli.options import project_option, project_settings
from specwright.runtime.cli.reporting import print_diagnostics, run_command


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _guarded(fn: Callable[..., int]) -> Callable[..., None]:
    """Run a command body through ``run_command``: diagnostics or one line, never a traceback."""

    def run(**kwargs: Any) -> None:
        run_command(lambda: fn(**kwargs))

    run.__name__ = fn.__name__
    run.__doc__ = fn.__doc__
    return run


def _compile_line(o: Any, written: bool) -> list[str]:
    from specwright.compiler.contract import summarize

    if o.errors:
        return [f"{o.name}: failed ({_plural(len(o.errors), 'error')}), nothing written"]
    if not o.created:
        latest = _latest_number(o.path)
        if latest is not None and o.revision is not None and latest > o.revision:
            return [f"{o.name}: r{o.revision} again (an earlier revision had this text; r{latest} "
                    f"is the latest): serve it with specwright rollback {o.name} or "
                    f"specwright promote {o.name} {o.revision}"]
        return [f"{o.name}: unchanged (r{o.revision})"]
    verb = "written" if written else "would be written"
    head = f"{o.name}: r{o.revision} (v{o.major}) {verb}"
    if o.changes:
        head += f", {summarize(o.changes)}"
    return [head, *(f"    - {c.message}" for c in o.changes)]


def _latest_number(rev_dir: Path | None) -> int | None:
    """The highest revision number beside ``rev_dir`` (``generated/<spec>/r<N>``)."""
    if rev_dir is None or not rev_dir.parent.is_dir():
        return None
    numbers = [int(p.name[1:]) for p in rev_dir.parent.iterdir()
               if p.name[:1] == "r" and p.name[1:].isdigit()]
    return max(numbers, default=None)


def _check_lines(o: Any) -> list[str]:
    if o.errors:
        return [f"{o.name}: failed ({_plural(len(o.errors), 'error')})"]
    if not o.drift:
        return [f"{o.name}: up to date (r{o.revision})"]
    return [f"{o.name}: out of date", *(f"  {line}" for line in o.drift)]


def run_compile(project: Path, check: bool, full: bool, jobs: int = 1) -> int:
    """Compile (or check) every spec of the project; returns the exit status."""
    from specwright.runtime.project.check import check_project
    from specwright.runtime.project.compile_all import available_cpus, compile_project

    root = project
    settings = project_settings(root)
    jobs = jobs or available_cpus()
    if check:
        result = check_project(root, settings, full=full, jobs=jobs)
    else:
        result = compile_project(root, settings, write=True, full=full, jobs=jobs)
    print_diagnostics(result.all_diagnostics)
    gen = settings.generated_dir.rstrip("/")
    for name in result.orphans:
        level = "error" if check else "warning"
        click.echo(f"{level}: {gen}/{name}: no spec compiles to it (deleted or renamed?); "
                   "remove the directory or restore the spec", err=True)
    outcomes = result.outcomes
    for o in outcomes:
        for line in _check_lines(o) if check else _compile_line(o, written=True):
            click.echo(line)
    failed = sum(1 for o in outcomes if o.errors)
    if check:
        stale = sum(1 for o in outcomes if o.drift and not o.errors)
        fresh = len(outcomes) - failed - stale
        tail = f"{fresh} up to date, {stale} out of date, {failed} failed"
        if result.orphans:
            tail += f", {_plural(len(result.orphans), 'orphan')}"
    else:
        written = sum(1 for o in outcomes if o.created and not o.errors)
        tail = f"{written} written, {len(outcomes) - written - failed} unchanged, {failed} failed"
    click.echo(f"{_plural(len(outcomes), 'spec')}: {tail}")
    if not outcomes:
        click.echo(f"no specs found in {settings.path(root, settings.specs_dir)}", err=True)
    return 0 if result.ok else 1


@click.command("compile")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 and show the differences when generated/ is not "
                   "exactly what specs/ compiles to.")
@click.option("--full", is_flag=True,
              help="Recompile every spec, even those whose manifest shows them unchanged.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, show_default=True,
              help="Worker processes for compiling many specs (0: one per CPU; used only when "
                   "enough specs need compiling).")
@project_option
@_guarded
def compile_command(check: bool, full: bool, jobs: int, project: Path) -> int:
    """Compile specs/*.md into generated/<spec>/r<N>/ (a new revision per change)."""
    return run_compile(project, check, full, jobs)


def run_diff(project: Path, spec: str, rev_from: int | None, rev_to: int | None,
             as_json: bool = False) -> int:
    from specwright.compiler.contract import compare_contracts, summarize
    from specwright.compiler.rulediff import rule_changes_of
    from specwright.runtime.project.revisions import read_revisions

    settings = project_settings(project)
    name = Path(spec).stem if spec.endswith(".md") else spec
    revisions = read_revisions(settings.path(project, settings.generated_dir), name)
    if not revisions:
        click.echo(f"error: no generated revisions of {name}; run `specwright compile`", err=True)
        return 1
    by_number = {r.revision: r for r in revisions}
    known = ", ".join(f"r{n}" for n in by_number)
    to = by_number.get(rev_to) if rev_to is not None else revisions[-1]
    if to is None:
        click.echo(f"error: {name} has no revision {rev_to} (it has {known})", err=True)
        return 1
    if rev_from is None:
        earlier = [r for r in revisions if r.revision < to.revision]
        if not earlier:
            click.echo(f"{name}: only r{to.revision} (v{to.contract_major}); nothing to compare")
            return 0
        frm = earlier[-1]
    elif rev_from in by_number:
        frm = by_number[rev_from]
    else:
        click.echo(f"error: {name} has no revision {rev_from} (it has {known})", err=True)
        return 1
    changes = compare_contracts(
        frm.read_json("input.schema.json"), frm.read_json("output.schema.json"),
        to.read_json("input.schema.json"), to.read_json("output.schema.json"),
    )
    rules = rule_changes_of(frm.read_json("spec.json"), to.read_json("spec.json"))
    old_files, new_files = frm.manifest.get("artifacts", {}), to.manifest.get("artifacts", {})
    differing = sorted(k for k in set(old_files) | set(new_files)
                       if old_files.get(k) != new_files.get(k))
    if as_json:
        import json

        click.echo(json.dumps({
            "spec": name,
            "from": {"revision": frm.revision, "major": frm.contract_major},
            "to": {"revision": to.revision, "major": to.contract_major},
            "contract_changes": [c.as_dict() for c in changes],
            "rule_changes": [r.as_dict() for r in rules],
            "files_changed": differing,
        }, indent=2, ensure_ascii=False))
        return 0
    click.echo(f"{name}: r{frm.revision} (v{frm.contract_major}) → "
               f"r{to.revision} (v{to.contract_major})")
    for c in changes:
        click.echo(f"  {c.kind:<10}  {c.message}")
    for r in rules:
        click.echo(f"  {'rule':<10}  {r.message}")
    summary = summarize([*changes, *(r.as_change() for r in rules)])
    click.echo(summary + (f"; files changed: {', '.join(differing)}"
                          if differing else "; no file changed"))
    return 0


@click.command("diff")
@click.argument("spec")
@click.option("--from", "rev_from", type=int, default=None,
              help="Older revision number (default: the one before --to).")
@click.option("--to", "rev_to", type=int, default=None,
              help="Newer revision number (default: the latest).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the contract and rule changes as one JSON document.")
@project_option
@_guarded
def diff_command(spec: str, rev_from: int | None, rev_to: int | None, as_json: bool,
                 project: Path) -> int:
    """Show the contract changes and the rule changes (rows, guardrails, rules, and the inputs
    decided differently) between two revisions of SPEC."""
    return run_diff(project, spec, rev_from, rev_to, as_json)


COMMANDS = [compile_command, diff_command]
