"""Running generated test modules in-process with pytest, counting outcomes per spec.

Used by ``specwright test``; usable from a project's own tooling too::

    from specwright.runtime.testing.runner import latest_test_modules, run_suites
    code, results = run_suites(latest_test_modules(Path("generated")))
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from specwright.runtime.testing.modes import MODE_ENV, NO_RECORDING

_REVISION = re.compile(r"r([1-9][0-9]*)")


@dataclass(frozen=True, slots=True)
class Target:
    spec: str
    revision: int
    module: Path | None  # None: the revision has no generated test module


@dataclass(slots=True)
class SpecResult:
    spec: str
    revision: int
    passed: int = 0
    failed: int = 0
    no_recording: int = 0
    skipped: int = 0
    known_wrong: int = 0  # xfailed: the recorded model's listed wrong answer (known_wrong.py)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0


def revision_number(name: str) -> int | None:
    """3 for a revision directory named ``r3``; None for any other name."""
    m = _REVISION.fullmatch(name)
    return int(m.group(1)) if m else None


def latest_revision_dir(spec_dir: Path) -> Path | None:
    found = [(n, p) for p in spec_dir.iterdir()
             if p.is_dir() and (n := revision_number(p.name)) is not None]
    return max(found)[1] if found else None


def latest_test_modules(generated: Path, specs: Iterable[str] = ()) -> list[Target]:
    """The test module of the latest revision of each spec (every spec when ``specs`` is empty)."""
    names = list(specs)
    if not names and generated.is_dir():
        names = sorted(p.name for p in generated.iterdir() if p.is_dir())
    out = []
    for name in names:
        rev_dir = latest_revision_dir(generated / name) if (generated / name).is_dir() else None
        if rev_dir is None:
            continue
        modules = sorted(rev_dir.glob("test_*.py"))
        out.append(Target(name, int(rev_dir.name[1:]), modules[0] if modules else None))
    return out


class Collector:
    """A pytest plugin counting each test's outcome under its spec."""

    def __init__(self, targets: Sequence[Target]) -> None:
        self.by_path = {str(t.module.resolve()): t for t in targets if t.module is not None}
        self.results = {t.spec: SpecResult(t.spec, t.revision) for t in targets}

    rootpath: Path = Path(".")

    def pytest_configure(self, config: pytest.Config) -> None:
        self.rootpath = config.rootpath

    def _result(self, nodeid: str) -> SpecResult | None:
        # Node ids are relative to pytest's rootdir, whatever the current directory.
        path = (self.rootpath / nodeid.split("::", 1)[0]).resolve()
        target = self.by_path.get(str(path))
        return self.results[target.spec] if target else None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = self._result(report.nodeid)
        if result is None:
            return
        if report.failed:
            result.failed += 1
            result.failures.append(report.nodeid.split("::")[-1])
        elif report.skipped and hasattr(report, "wasxfail"):
            result.known_wrong += 1
        elif report.skipped and report.when in ("setup", "call"):
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            if reason.removeprefix("Skipped: ").startswith(NO_RECORDING):
                result.no_recording += 1
            else:
                result.skipped += 1
        elif report.passed and report.when == "call":
            result.passed += 1

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            result = self._result(report.nodeid)
            if result is not None:
                result.failed += 1
                result.failures.append("(the test module does not load)")


def run_suites(
    targets: Sequence[Target],
    *,
    mode: str = "replay",
    rootdir: Path | None = None,
    pytest_args: Sequence[str] = (),
) -> tuple[int, list[SpecResult]]:
    """Run the targets' test modules in this process; (exit code for CI, results per spec)."""
    collector = Collector(targets)
    for target in targets:
        if target.module is None:
            result = collector.results[target.spec]
            result.failed += 1
            result.failures.append("no generated test module: run `specwright compile`")
    modules = [str(t.module) for t in targets if t.module is not None]
    code = 0
    if modules:
        # In-process, after the CLI imported the runtime: pytest cannot assertion-rewrite the
        # plugins already imported (anyio), which is harmless; the project's own warning filters
        # (e.g. "error") still apply to everything else.
        args: list[str] = [*modules, "--import-mode=importlib", "-p", "no:cacheprovider",
                           "-W", "ignore::pytest.PytestAssertRewriteWarning", *pytest_args]
        if rootdir is not None:
            args.append(f"--rootdir={rootdir}")
        previous = os.environ.get(MODE_ENV)
        os.environ[MODE_ENV] = mode
        try:
            code = int(pytest.main(args, plugins=[collector]))
        finally:
            _restore(MODE_ENV, previous)
    results = [collector.results[t.spec] for t in targets]
    if "-k" not in pytest_args:  # every module has tests: none counted means none ran
        for r, t in zip(results, targets, strict=True):
            if t.module is not None and not (r.passed or r.failed or r.no_recording or r.skipped
                                             or r.known_wrong):
                r.failed += 1
                r.failures.append("no test of the module ran")
    failed = any(not r.ok for r in results) or code not in (0, 5)
    return (1 if failed else 0), results


def _restore(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def summary_table(results: Sequence[SpecResult]) -> str:
    headers = ("spec", "revision", "passed", "failed", "known wrong", "skipped: no recording",
               "skipped: other")
    rows = [(r.spec, f"r{r.revision}", str(r.passed), str(r.failed), str(r.known_wrong),
             str(r.no_recording), str(r.skipped)) for r in results]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[Any]) -> str:
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(headers), *(line(r) for r in rows)])
