"""The progress display of ``specwright run``: Rich's progress bar with the batch's rate, time
left, failures and cost so far, on standard error (the results may be on standard output)."""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from specwright.runtime.engine.bulk import LineResult
from specwright.runtime.models.batch_api import BatchStatus


class RunProgress:
    """``with RunProgress(label, total) as p: ... p.started(skipped); p.advance(result)``."""

    def __init__(self, label: str, total: int, *, visible: bool = True,
                 console: Console | None = None) -> None:
        self.total = total
        self.failed = 0
        self.cost = 0.0
        self.cost_known = True
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TextColumn("{task.fields[cost]}"),
            TimeElapsedColumn(),
            console=console or Console(file=sys.stderr),
            transient=False,
            disable=not visible,
        )
        self._task: TaskID | None = None
        self._label = label

    def __enter__(self) -> RunProgress:
        self._progress.__enter__()
        rate, failed, cost = self._fields()
        self._task = self._progress.add_task(self._label, total=self.total, rate=rate,
                                             failed=failed, cost=cost)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._progress.__exit__(exc_type, exc, tb)

    def started(self, skipped: int) -> None:
        """Lines an earlier run already did: counted as done, not in the rate."""
        if self._task is not None and skipped:
            self._progress.update(self._task, completed=skipped)
            self._progress.reset(self._task, total=self.total - skipped, completed=0,
                                 description=f"{self._label} (resumed, {skipped} done before)")

    def batch_status(self, status: BatchStatus) -> None:
        """A provider batch being processed: its counts in the description."""
        if self._task is not None:
            state = "ended" if status.ended else "processing"
            self._progress.update(self._task, description=(
                f"{self._label}: batch {state}, {status.succeeded + status.failed}/"
                f"{status.total} answered"))

    def advance(self, result: LineResult) -> None:
        if not result.ok:
            self.failed += 1
        if result.cost_usd is None:
            self.cost_known = False
        else:
            self.cost += result.cost_usd
        if self._task is not None:
            rate, failed, cost = self._fields()
            self._progress.update(self._task, advance=1, rate=rate, failed=failed, cost=cost)

    def _fields(self) -> tuple[str, str, str]:
        speed = None
        if self._task is not None:
            speed = self._progress.tasks[self._task].speed
        rate = f"{speed:.1f}/s" if speed else "-/s"
        cost = f"${self.cost:.4f}" + ("" if self.cost_known else " + unknown")
        return rate, str(self.failed), cost
