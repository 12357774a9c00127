"""``specwright test``: run the generated test suites and print a summary per spec."""

from __future__ import annotations

import time
from pathlib import Path

import click

from specwright.compiler.errors import did_you_mean
from specwright.runtime.cli.options import project_option, project_settings


@click.command("test")
@click.argument("specs", nargs=-1)
@click.option("--live", is_flag=True,
              help="Compare model-decided example fields against the real route (needs keys).")
@click.option("--record", is_flag=True,
              help="Like --live, and record the answers in the spec's cassette for offline replay.")
@project_option
@click.option("-v", "--verbose", is_flag=True, help="List every test, not only the failures.")
@click.option("-k", "keyword", default=None, help="Only tests matching this pytest -k expression.")
def test(specs: tuple[str, ...], live: bool, record: bool, project: Path, verbose: bool,
         keyword: str | None) -> None:
    """Run the generated test suites of SPECS (default: every spec), latest revision each.

    Fields the decision tables decide are always checked, offline. Fields the model decides are
    checked against the spec's recorded cassette; without one they are reported as skipped (never
    as passed) with the command that records them. Exits 1 when any test fails.
    """
    from specwright.runtime.testing.runner import latest_test_modules, run_suites, summary_table

    settings = project_settings(project)
    generated = settings.path(project, settings.generated_dir)
    known = sorted(p.name for p in generated.iterdir() if p.is_dir()) if generated.is_dir() else []
    for name in specs:
        if name not in known:
            hint = did_you_mean(name, known) or f" (compiled specs: {', '.join(known) or 'none'})"
            raise click.ClickException(f'no compiled spec "{name}"{hint}: run `specwright compile`')
    targets = latest_test_modules(generated, specs)
    if not targets:
        raise click.ClickException(f"no compiled specs under {generated}: run `specwright compile`")
    mode = "record" if record else "live" if live else "replay"
    args = ["-rfE", "-v" if verbose else "-q"] + (["-k", keyword] if keyword else [])
    started = time.perf_counter()
    code, results = run_suites(targets, mode=mode, rootdir=project.resolve(), pytest_args=args)
    elapsed = time.perf_counter() - started
    click.echo("")
    click.echo(summary_table(results))
    missing = [r.spec for r in results if r.no_recording]
    if missing:
        click.echo(
            f"\nModel-decided example fields of {', '.join(missing)} were not checked (no recording):"
            f"\n  record them with `specwright test {' '.join(missing)} --record` (provider keys set),"
            "\n  then commit the cassettes so CI replays them offline."
        )
    wrong = sum(r.known_wrong for r in results)
    if wrong:
        click.echo(f"\n{wrong} model-decided check(s) ran and got the recorded model's known wrong "
                   "answer (listed with the expected one in cassettes/known-wrong.json).")
    failed = [r for r in results if not r.ok]
    verdict = "FAILED: " + ", ".join(r.spec for r in failed) if failed else "all suites passed"
    click.echo(f"\n{verdict} ({elapsed:.1f} s)")
    raise SystemExit(code)


COMMANDS = [test]
