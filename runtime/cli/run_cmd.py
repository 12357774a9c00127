"""``specwright run``: a JSON-lines or CSV file through a spec, paced to the rate limits, resumable.

Ctrl-C stops cleanly: no new line starts, the lines in flight finish and are logged, and the
next ``specwright run`` of the same file resumes after them. A second Ctrl-C stops at once
(the lines in flight are then run again by the next resume).
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from specwright.compiler.errors import SpecwrightError
from specwright.runtime.cli.options import project_option, project_settings
from specwright.runtime.cli.run_input import input_file_options, input_options
from specwright.runtime.engine.batch import BatchSummary

if TYPE_CHECKING:
    from specwright.runtime.models.batch_api import BatchCaps


@click.command("run")
@click.argument("spec")
@click.option("--input", "input_path", required=True,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="JSON lines (one input object per line) or CSV (a header, then one row "
                   "per input; see --column).")
@click.option("--output", "output_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Result JSON lines (default: standard output). Appended to "
                                 "when a run resumes.")
@click.option("--concurrency", type=click.IntRange(1, 256), default=None,
              help="Lines in flight [default: as many as the route's rate limit allows "
                   "(rate x latency), 4 while no limit is known].")
@click.option("--resume/--no-resume", default=True, show_default=True,
              help="Skip the lines of this file an earlier run already logged.")
@click.option("--retry-failed", is_flag=True,
              help="On resume, run the lines that failed before again.")
@click.option("--major", type=click.IntRange(1), default=None,
              help="Contract major (default: the newest).")
@click.option("--mock", is_flag=True, help="Answer model-decided fields offline.")
@click.option("--batch-api", is_flag=True,
              help="Submit the lines through the provider's batch API (OpenAI Batch API, "
                   "Anthropic Message Batches: about half the price, answered within 24 h). "
                   "Run the same command again to resume a batch after a restart.")
@click.option("--batch-poll-s", type=click.FloatRange(0.01), default=30.0, show_default=True,
              help="Seconds between two looks at a submitted batch.")
@click.option("--batch-max-requests", type=click.IntRange(1), default=None,
              help="At most this many requests per provider batch [default: the provider's "
                   "cap: 50,000 for OpenAI, 100,000 for Anthropic].")
@click.option("--batch-max-bytes", type=click.IntRange(1), default=None,
              help="At most this many bytes of requests per provider batch [default: the "
                   "provider's cap: 200 MB for OpenAI, 256 MB for Anthropic].")
@click.option("--progress/--no-progress", "show_progress", default=None,
              help="The progress bar on standard error [default: when it is a terminal].")
@input_file_options
@project_option
def run(spec: str, input_path: Path, output_path: Path | None, concurrency: int | None,
        resume: bool, retry_failed: bool, major: int | None, mock: bool, batch_api: bool,
        batch_poll_s: float, batch_max_requests: int | None, batch_max_bytes: int | None,
        show_progress: bool | None, input_fmt: str | None, columns: tuple[str, ...],
        constants: tuple[str, ...], date_format: str | None, project: Path) -> None:
    """Run a batch of inputs through SPEC; every run is logged. Exit 1 if any line failed or
    the run was interrupted (run it again to resume)."""
    from specwright.runtime.cli.run_progress import RunProgress
    from specwright.runtime.engine.batch import run_batch
    from specwright.runtime.engine.batch_api_run import run_batch_api

    if not batch_api and (batch_max_requests or batch_max_bytes):
        raise click.UsageError("--batch-max-requests and --batch-max-bytes go with --batch-api")
    if batch_api and (mock or not resume or retry_failed or concurrency is not None):
        raise click.UsageError("--batch-api always resumes its job and takes none of --mock, "
                               "--no-resume, --retry-failed, --concurrency")
    from specwright.runtime.engine.input_source import count_input

    options = input_options(input_path, input_fmt, columns, constants, date_format)
    settings = project_settings(project)
    try:
        total = count_input(input_path, options)
        out = _Output(output_path)
    except SpecwrightError as exc:
        raise click.ClickException(" ".join(str(exc).split())) from None
    except OSError as exc:
        raise click.ClickException(f"cannot open {exc.filename}: {exc.strerror}") from None
    visible = sys.stderr.isatty() if show_progress is None else show_progress

    def started(skipped: int) -> None:
        out.open(append=skipped > 0)
        bar.started(skipped)

    try:
        with RunProgress(spec, total, visible=visible) as bar:
            if batch_api:
                summary = asyncio.run(_interruptible(lambda stop: run_batch_api(
                    settings, project, spec, input_path, out, major=major,
                    progress=bar.advance, stop=stop, on_start=started, poll_s=batch_poll_s,
                    on_status=bar.batch_status,
                    caps=batch_caps(batch_max_requests, batch_max_bytes), options=options,
                )))
            else:
                summary = asyncio.run(_interruptible(lambda stop: run_batch(
                    settings, project, spec, input_path, out, concurrency=concurrency,
                    major=major, mock=mock, progress=bar.advance, stop=stop, resume=resume,
                    retry_failed=retry_failed, on_start=started, options=options,
                )))
    except SpecwrightError as exc:
        raise click.ClickException(" ".join(str(exc).split())) from None
    except OSError as exc:
        raise click.ClickException(f"cannot open {exc.filename}: {exc.strerror}") from None
    finally:
        out.close()
    _report(summary)
    sys.exit(summary.exit_code)


def batch_caps(max_requests: int | None, max_bytes: int | None) -> Callable[[str], BatchCaps]:
    """The caps per provider kind: each vendor's own, lowered by the options given."""
    from specwright.runtime.models.batch_api import CAPS, BatchCaps

    def caps(kind: str) -> BatchCaps:
        own = CAPS[kind]
        return BatchCaps(min(own.max_requests, max_requests or own.max_requests),
                         min(own.max_bytes, max_bytes or own.max_bytes))

    return caps


class _Output:
    """The results file, opened once the run knows whether it resumes (then appended to)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._fh: IO[str] | None = None if path else sys.stdout
        if path is not None:  # fail now, before any line runs, if it cannot be written
            path.open("a", encoding="utf-8").close()

    def open(self, *, append: bool) -> None:
        if self.path is not None and self._fh is None:
            self._fh = self.path.open("a" if append else "w", encoding="utf-8")

    def write(self, text: str) -> int:
        if self._fh is None:
            self.open(append=False)
        assert self._fh is not None
        return self._fh.write(text)

    def close(self) -> None:
        if self.path is not None and self._fh is not None:
            self._fh.close()


async def _interruptible(
    start: Callable[[asyncio.Event], Awaitable[BatchSummary]],
) -> BatchSummary:
    """Run the batch; the first SIGINT sets its stop event, the second cancels it."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(start(stop))

    def interrupted() -> None:
        if stop.is_set():
            task.cancel()
            return
        stop.set()
        click.echo("\nstopping: finishing the lines in flight (Ctrl-C again to stop at once)",
                   err=True)

    # signal handlers belong to the main thread (a test may run the command in another)
    handled = threading.current_thread() is threading.main_thread()
    if handled:
        loop.add_signal_handler(signal.SIGINT, interrupted)
    try:
        return await task
    except asyncio.CancelledError:
        raise click.ClickException("stopped at once: run the same command again to resume "
                                   "(the lines that were in flight run again)") from None
    finally:
        if handled:
            loop.remove_signal_handler(signal.SIGINT)


def _report(summary: BatchSummary) -> None:
    for problem in summary.problems[:100]:
        click.echo(problem, err=True)
    if len(summary.problems) > 100:
        click.echo(f"... and {len(summary.problems) - 100} more", err=True)
    line = f"{summary.total} lines: {summary.ok} ok, {summary.failed} failed"
    if summary.skipped:
        line += f" ({summary.skipped} done by an earlier run, skipped)"
    click.echo(line, err=True)
    if summary.budget_spent is not None:
        click.echo(f"stopped: {summary.budget_spent}; run the same command again once the "
                   "budget allows to go on", err=True)
    elif summary.stopped:
        click.echo("interrupted: run the same command again to resume", err=True)


COMMANDS = [run]
