"""The project on disk: ``specs/*.md`` in, ``generated/<spec>/r<N>/`` out. The only file writer.

Public API (the CLI and the server's hot reload call these):

* ``compile_project(root, settings, write=True)`` compiles every spec and writes the new
  revisions; returns a ``ProjectResult`` with one ``SpecOutcome`` per spec.
* ``compile_spec_file(root, settings, path, write=True)`` does the same for one spec file.
* ``check_project(root, settings)`` (in ``specwright.runtime.project.check``) reports drift, writes nothing.
* ``read_revisions(generated_dir, name)`` lists a spec's revisions on disk, oldest first.

A new revision is written into a temporary directory beside its final place and renamed into
place, so a reader (the server) never sees half a revision. A spec with errors writes nothing;
the other specs are still written. Unchanged specs are recognised without recompiling when the
spec text, compiler version and compiler fingerprint match the latest manifest and every file
matches its hash.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from specwright.compiler.artifacts import INPUT_SCHEMA, content_files
from specwright.compiler.contract import Change
from specwright.compiler.errors import Diagnostic, SpecError
from specwright.compiler.ir import CompiledSpec
from specwright.compiler.manifest import spec_sha256
from specwright.compiler.revisions import RevisionPlan, plan_revision
from specwright.runtime.config import Settings
from specwright.runtime.project.revisions import (
    RevisionOnDisk,
    RevisionReadError,
    read_revisions,
    write_revision,
)

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

__all__ = [
    "ProjectResult",
    "RevisionOnDisk",
    "RevisionReadError",
    "SpecOutcome",
    "compile_project",
    "compile_spec_file",
    "prepare_project",
    "prepare_spec",
    "read_revisions",
    "write_revision",
]

CompileFn = Callable[[str, str], CompiledSpec]  # (text, source) -> CompiledSpec, or SpecError
T = TypeVar("T")
PARALLEL_MIN = 24  # specs to compile before worker processes pay for themselves


def _default_compile(text: str, source: str) -> CompiledSpec:
    from specwright.compiler import compile_spec

    result: CompiledSpec = compile_spec(text, source)
    return result


def compiler_version() -> str:
    from specwright.compiler import __version__

    return __version__


@functools.cache
def compiler_fingerprint() -> str:
    """sha256 over the compiler package's source files (line endings normalised).

    Recorded in each new manifest: the fast up-to-date check trusts a manifest only when the
    same compiler code wrote it, so editing the compiler without bumping its version is still
    caught by ``specwright compile --check``.
    """
    import specwright.compiler
    package = Path(specwright.compiler.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class SpecOutcome:
    name: str  # the spec's name (its file stem when it does not compile)
    source: str  # "specs/carrier-selection.md"
    revision: int | None = None  # written/would-be revision, or the unchanged latest one
    major: int | None = None
    created: bool = False  # a new revision was written (or would be, when not writing)
    diagnostics: tuple[Diagnostic, ...] = ()
    changes: tuple[Change, ...] = ()
    path: Path | None = None  # the revision directory
    drift: tuple[str, ...] = ()  # check only: what differs, as printable lines

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def ok(self) -> bool:
        return not self.errors and not self.drift


@dataclass(frozen=True, slots=True)
class ProjectResult:
    outcomes: tuple[SpecOutcome, ...]
    orphans: tuple[str, ...] = ()  # generated/<name> directories with no spec
    checked: bool = False  # produced by check_project
    diagnostics: tuple[Diagnostic, ...] = field(default=())

    @property
    def specs(self) -> tuple[SpecOutcome, ...]:
        return self.outcomes

    @property
    def all_diagnostics(self) -> list[Diagnostic]:
        diags = [*self.diagnostics, *(d for o in self.outcomes for d in o.diagnostics)]
        return sorted(diags, key=lambda d: (d.file, d.line, d.col))

    @property
    def ok(self) -> bool:
        if any(d.severity == "error" for d in self.diagnostics):
            return False
        return all(o.ok for o in self.outcomes) and not (self.checked and self.orphans)


def source_name(root: Path, path: Path) -> str:
    """The spec's path as shown in diagnostics: relative to the project root when possible."""
    return display_path(root, path)


def discover_specs(root: Path, settings: Settings) -> list[Path]:
    """``specs/*.md`` except README.md, files starting with ``_`` or ``.``, and the
    ``NAME.draft.md`` files ``specwright draft`` leaves for a human when a draft does not compile."""
    specs_dir = settings.path(root, settings.specs_dir)
    if not specs_dir.is_dir():
        return []
    return sorted(
        p for p in specs_dir.glob("*.md")
        if p.is_file()
        and p.name.lower() != "readme.md"
        and not p.name.startswith(("_", "."))
        and not p.name.endswith(".draft.md")
    )


def read_spec(path: Path, source: str) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError([Diagnostic(source, 1, 1, f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise SpecError([Diagnostic(source, 1, 1, f"cannot read: {exc.strerror}")]) from None


def fast_unchanged(latest: RevisionOnDisk | None, text_sha: str, source: str) -> bool:
    """True when the latest revision was compiled from this very text by this compiler and is
    intact: the spec is unchanged without compiling it."""
    if latest is None:
        return False
    m = latest.manifest
    expected = (text_sha, compiler_version(), compiler_fingerprint(), source)
    if (m.get("spec_sha256"), m.get("compiler_version"), m.get("compiler_fingerprint"),
            m.get("source")) != expected:
        return False
    if tuple(sorted(m.get("artifacts", {}))) != content_files(str(m.get("name", ""))):
        return False
    return not latest.integrity_problems()


def internal_error(source: str, exc: Exception) -> SpecError:
    msg = f"internal compiler error: {type(exc).__name__}: {exc} (please report this)"
    return SpecError([Diagnostic(source, 1, 1, msg)])


def compile_source(
    text: str, source: str, compile_fn: CompileFn | None = None
) -> CompiledSpec:
    """Run the compiler; a compiler bug becomes a located diagnostic, never a traceback."""
    fn = compile_fn or _default_compile
    try:
        return fn(text, source)
    except SpecError:
        raise
    except Exception as exc:  # noqa: BLE001 - reported as a diagnostic, never a traceback
        raise internal_error(source, exc) from exc


def display_path(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def latest_revision(generated_dir: Path, name: str, source: str) -> RevisionOnDisk | None:
    """The latest revision of ``name``; an unreadable one is an error of the spec ``source``."""
    try:
        revisions = read_revisions(generated_dir, name)
    except RevisionReadError as exc:
        diags = [Diagnostic(source, 1, 1, f"{d.file}: {d.message}") for d in exc.diagnostics]
        raise SpecError(diags) from None
    return revisions[-1] if revisions else None


def plan_spec(
    generated_dir: Path, compiled: CompiledSpec, text: str, source: str
) -> tuple[RevisionPlan, RevisionOnDisk | None]:
    latest = latest_revision(generated_dir, compiled.spec.name, source)
    try:
        previous = latest.as_previous() if latest is not None else None
    except (OSError, ValueError) as exc:
        assert latest is not None
        msg = f"{latest.path / INPUT_SCHEMA}: unreadable schema: {exc}"
        raise SpecError([Diagnostic(source, 1, 1, msg)]) from None
    try:
        plan = plan_revision(compiled, text, previous, compiler_version=compiler_version(),
                             compiler_fingerprint=compiler_fingerprint())
        return plan, latest
    except Exception as exc:  # noqa: BLE001 - a renderer bug is a diagnostic, not a traceback
        raise internal_error(source, exc) from exc


@dataclass(frozen=True, slots=True)
class PreparedSpec:
    """A compiled spec before anything is written: its outcome, and the plan when it is new."""

    outcome: SpecOutcome
    plan: RevisionPlan | None = None
    latest: RevisionOnDisk | None = None
    text: str = ""


def unchanged_revisions(
    root: Path, settings: Settings, path: Path
) -> tuple[PreparedSpec, list[RevisionOnDisk]] | None:
    """``prepare_unchanged``, with every revision of the spec it read (oldest first), so that
    ``compile --check`` does not list and parse the manifests a second time."""
    source = source_name(root, path)
    generated_dir = settings.path(root, settings.generated_dir)
    try:
        text = read_spec(path, source)
        revisions = read_revisions(generated_dir, path.stem)  # RevisionReadError is a SpecError
    except SpecError:
        return None
    latest = revisions[-1] if revisions else None
    if latest is None or not fast_unchanged(latest, spec_sha256(text), source):
        return None
    outcome = SpecOutcome(path.stem, source, latest.revision, latest.contract_major,
                          path=latest.path)
    return PreparedSpec(outcome, None, latest, text), revisions


def prepare_unchanged(root: Path, settings: Settings, path: Path) -> PreparedSpec | None:
    """The spec's outcome when its latest revision is provably current (no compiling), else None.

    A spec that cannot be read or whose revisions cannot be read is "not provably current":
    the full path reports it.
    """
    found = unchanged_revisions(root, settings, path)
    return None if found is None else found[0]


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
    from specwright.compiler import check, models_gen, parse, prompt, schema, testgen  # noqa: F401
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


class Planned(NamedTuple):
    """A spec that compiled, with the plan for its next revision (nothing written)."""

    name: str
    source: str
    text: str
    plan: RevisionPlan
    latest: RevisionOnDisk | None


def compile_and_plan(
    root: Path, settings: Settings, path: Path, compile_fn: CompileFn | None = None
) -> Planned | SpecOutcome:
    """Read and compile one spec and plan its next revision; when it does not compile, its
    outcome carrying every diagnostic. Shared by ``compile`` and ``compile --check``."""
    source = source_name(root, path)
    generated_dir = settings.path(root, settings.generated_dir)
    name = path.stem
    try:
        text = read_spec(path, source)
        compiled = compile_source(text, source, compile_fn)
        name = compiled.spec.name
        plan, latest = plan_spec(generated_dir, compiled, text, source)
    except SpecError as exc:
        return SpecOutcome(name, source, diagnostics=exc.diagnostics)
    return Planned(name, source, text, plan, latest)


def prepare_spec(
    root: Path,
    settings: Settings,
    path: Path,
    *,
    full: bool = False,
    compile_fn: CompileFn | None = None,
) -> PreparedSpec:
    """Read and compile one spec and plan its next revision. Writes nothing."""
    if not full and (quick := prepare_unchanged(root, settings, path)) is not None:
        return quick
    planned = compile_and_plan(root, settings, path, compile_fn)
    if isinstance(planned, SpecOutcome):
        return PreparedSpec(planned)
    name, source, text, plan, latest = planned
    generated_dir = settings.path(root, settings.generated_dir)
    if plan.created:
        target = generated_dir / name / f"r{plan.revision}"
        outcome = SpecOutcome(name, source, plan.revision, plan.contract_major, created=True,
                              changes=plan.changes, path=target)
        return PreparedSpec(outcome, plan, latest, text)
    assert latest is not None
    where = display_path(root, latest.path)
    diags = tuple(
        Diagnostic(source, 1, 1, f"{where}/{p}: the revision was changed after it was written;"
                   " restore it (git checkout) or delete the directory")
        for p in latest.integrity_problems()
    )
    outcome = SpecOutcome(name, source, plan.revision, plan.contract_major,
                          diagnostics=diags, path=latest.path)
    return PreparedSpec(outcome, plan, latest, text)


def commit_spec(prepared: PreparedSpec, settings: Settings, root: Path) -> SpecOutcome:
    """Write the prepared new revision (if any) atomically."""
    o, plan = prepared.outcome, prepared.plan
    if plan is None or not o.created or o.errors:
        return o
    spec_dir = settings.path(root, settings.generated_dir) / o.name
    try:
        path = write_revision(spec_dir, plan.revision, plan.files)
    except OSError as exc:
        msg = f"cannot write {spec_dir / f'r{plan.revision}'}: {exc} (another compile running?)"
        return SpecOutcome(o.name, o.source, diagnostics=(Diagnostic(o.source, 1, 1, msg),))
    return SpecOutcome(o.name, o.source, o.revision, o.major, True, (), o.changes, path)


def prepare_and_write(
    root: Path,
    settings: Settings,
    path: Path,
    *,
    full: bool = False,
    compile_fn: CompileFn | None = None,
) -> PreparedSpec:
    """``prepare_spec``, then its new revision (if any) written right away, by the process that
    compiled it: with worker processes the writes overlap with compiling (creating files is
    most of a cold compile's time on a slow file system) instead of all coming after it in the
    parent, and only the small outcome is sent back instead of every rendered file.

    Only for the real compiler (see ``prepare_project``), and only a spec named like its file
    is written here; any other is returned unwritten, with its plan, for ``compile_project`` to
    check for duplicates and write as before.
    """
    prepared = prepare_spec(root, settings, path, full=full, compile_fn=compile_fn)
    if prepared.outcome.name != path.stem:
        return prepared
    return PreparedSpec(commit_spec(prepared, settings, root))


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


def generated_names(generated_dir: Path) -> list[str]:
    if not generated_dir.is_dir():
        return []
    return sorted(p.name for p in generated_dir.iterdir()
                  if p.is_dir() and not p.name.startswith("."))


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
