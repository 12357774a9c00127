"""Compiling every spec of a project (in worker processes when there are many) or one file.

A spec with errors writes nothing; the other specs are still written.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from specwright.compiler.errors import Diagnostic
from specwright.runtime.config import Settings
from specwright.runtime.project.compile import CompileFn
from specwright.runtime.project.outcomes import PreparedSpec, ProjectResult, SpecOutcome
from specwright.runtime.project.plan import prepare_spec, prepare_unchanged
from specwright.runtime.project.read import discover_specs, generated_names
from specwright.runtime.project.write import commit_spec, prepare_and_write

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

T = TypeVar("T")


PARALLEL_MIN = 24  # specs to compile before worker processes pay for themselves


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _preload_compiler() -> None:
    """Import the whole compiler (markdown and YAML parsers, CEL engine, renderers) once, in
    the parent, before worker processes are forked: every forked worker then starts with it
    instead of importing it again (~0.3 s of CPU per worker)."""
    # Imported for their side effect only: loaded modules are inherited by forked workers.
    from specwright.compiler import (  # noqa: F401
        analysis,
        check,
        models_gen,
        parse,
        prompt,
        schema,
        testgen,
    )
    from specwright.compiler.cel_engine import engine

    engine()  # the CEL extension, which specwright.compiler.evaluate loads on first use


def _fork_context() -> BaseContext | None:
    """The ``fork`` start method where it is safe and available, else the default.

    With fork, workers inherit the parent's imported modules (see ``_preload_compiler``); with
    spawn or forkserver they would import everything themselves. Safe means Linux and a
    process with no other thread: a thread holding a lock at the fork would leave that lock
    held forever in the child (the CLI has none; an embedding program may)."""
    import multiprocessing
    import threading

    if (
        sys.platform == "linux"
        and threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
    ):
        return multiprocessing.get_context("fork")
    return None


def map_specs(fn: Callable[[Path], T], paths: list[Path], jobs: int) -> list[T]:
    """``[fn(p) for p in paths]``, in worker processes when ``jobs > 1`` and there are enough
    specs for the workers to pay off. ``fn`` must be picklable (a partial of a module function).
    The server calls with ``jobs=1``: it never forks."""
    jobs = min(jobs, len(paths))
    if jobs <= 1 or len(paths) < PARALLEL_MIN:
        return [fn(p) for p in paths]
    # Imported here: a command with nothing to compile (the no-change check) never needs it.
    from concurrent.futures import ProcessPoolExecutor

    context = _fork_context()
    if context is not None:
        _preload_compiler()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        return list(pool.map(fn, paths, chunksize=max(1, len(paths) // (jobs * 4))))


def reject_duplicates(prepared: list[PreparedSpec]) -> list[PreparedSpec]:
    """A spec whose name an earlier spec already uses becomes an error (nothing written)."""
    seen: dict[str, str] = {}
    out = []
    for p in prepared:
        o = p.outcome
        if not o.errors and o.name in seen:
            msg = f'spec name "{o.name}" is already used by {seen[o.name]}; names must be unique'
            p = PreparedSpec(SpecOutcome(o.name, o.source,
                                         diagnostics=(Diagnostic(o.source, 1, 1, msg),)))
        seen.setdefault(o.name, o.source)
        out.append(p)
    return out


def prepare_project(
    root: Path,
    settings: Settings,
    *,
    full: bool = False,
    compile_fn: CompileFn | None = None,
    jobs: int = 1,
    write: bool = False,
) -> tuple[list[PreparedSpec], tuple[str, ...]]:
    """Every spec prepared (duplicates rejected), and the orphan generated directories.

    Specs provably unchanged are settled first without compiling; the others are compiled,
    in ``jobs`` worker processes when there are many of them. ``write``: each new revision is
    written as soon as it is compiled (``prepare_and_write``); what is returned for it is its
    final outcome, with nothing left to commit.
    """
    paths = discover_specs(root, settings)
    quick = [None if full else prepare_unchanged(root, settings, p) for p in paths]
    todo = [p for p, q in zip(paths, quick, strict=True) if q is None]
    # Writing as soon as compiled is safe only when no spec can be refused as a duplicate
    # later: the real compiler reports any name other than the file's, so names are unique.
    # A custom ``compile_fn`` (tests) can break that; its revisions wait for the duplicate check.
    early = write and compile_fn is None
    prepare = prepare_and_write if early else prepare_spec
    fn = functools.partial(prepare, root, settings, full=True, compile_fn=compile_fn)
    done = iter(map_specs(fn, todo, jobs))
    prepared = reject_duplicates([q if q is not None else next(done) for q in quick])
    generated_dir = settings.path(root, settings.generated_dir)
    claimed = {p.outcome.name for p in prepared} | {Path(p.outcome.source).stem for p in prepared}
    orphans = tuple(n for n in generated_names(generated_dir) if n not in claimed)
    return prepared, orphans


def compile_project(
    root: Path,
    settings: Settings,
    *,
    write: bool = True,
    full: bool = False,
    compile_fn: CompileFn | None = None,
    jobs: int = 1,
) -> ProjectResult:
    """Compile every spec of the project; write new revisions when ``write``.

    ``jobs > 1`` compiles in worker processes when many specs need compiling (the CLI); keep
    the default 1 in a threaded process such as the server.
    """
    prepared, orphans = prepare_project(root, settings, full=full, compile_fn=compile_fn,
                                        jobs=jobs, write=write)
    outcomes = tuple(commit_spec(p, settings, root) if write else p.outcome for p in prepared)
    return ProjectResult(outcomes, orphans)


def compile_spec_file(
    root: Path,
    settings: Settings,
    path: Path,
    *,
    write: bool = True,
    full: bool = False,
    compile_fn: CompileFn | None = None,
) -> SpecOutcome:
    """Compile one spec file and (when ``write``) write its new revision, if any."""
    prepared = prepare_spec(root, settings, path, full=full, compile_fn=compile_fn)
    return commit_spec(prepared, settings, root) if write else prepared.outcome
