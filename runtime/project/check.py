"""``specwright compile --check``: is ``generated/`` exactly what ``specs/`` compiles to? Writes nothing.

Drift is: a spec with no generated revision, a spec whose compiled content would make a new
revision, a file of any revision that differs from its manifest hash (or from what the spec
compiles to), a missing or extra file, and a generated directory whose spec is gone (orphan).

Fast and still exact: a spec whose text, compiler version and compiler fingerprint (a hash of
the compiler's source files) match its latest manifest, and whose files all match their hashes,
is up to date without compiling it (the compiler is deterministic). Only the other specs are
compiled and compared byte for byte. ``full=True`` compiles every spec regardless.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from specwright.compiler.contract import summarize
from specwright.compiler.errors import SpecError
from specwright.compiler.manifest import MANIFEST
from specwright.runtime.config import Settings
from specwright.runtime.project.compile import CompileFn
from specwright.runtime.project.compile_all import map_specs
from specwright.runtime.project.outcomes import ProjectResult, SpecOutcome
from specwright.runtime.project.plan import compile_and_plan, unchanged_revisions
from specwright.runtime.project.read import discover_specs, display_path, generated_names
from specwright.runtime.project.revisions import RevisionOnDisk, read_revisions

DIFF_LINES_PER_FILE = 40
DIFF_LINES_PER_SPEC = 160


def file_diff(old: bytes | None, new: bytes | None, old_label: str, new_label: str) -> list[str]:
    """A unified diff of two file versions, at most ``DIFF_LINES_PER_FILE`` lines."""
    import difflib  # only when something differs: the no-change check never needs it

    a = old.decode("utf-8", "replace").splitlines() if old is not None else []
    b = new.decode("utf-8", "replace").splitlines() if new is not None else []
    lines = list(difflib.unified_diff(a, b, old_label, new_label, n=2, lineterm=""))
    if len(lines) > DIFF_LINES_PER_FILE:
        more = len(lines) - DIFF_LINES_PER_FILE
        lines = [*lines[:DIFF_LINES_PER_FILE], f"... ({more} more diff lines)"]
    return lines


def files_diff(
    old: Mapping[str, bytes], new: Mapping[str, bytes], old_dir: str, new_dir: str
) -> list[str]:
    out: list[str] = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            out += file_diff(old.get(name), new.get(name), f"{old_dir}/{name}", f"{new_dir}/{name}")
    if len(out) > DIFF_LINES_PER_SPEC:
        more = len(out) - DIFF_LINES_PER_SPEC
        out = [*out[:DIFF_LINES_PER_SPEC], f"... ({more} more diff lines)"]
    return out


def earlier_problems(root: Path, revisions: list[RevisionOnDisk]) -> list[str]:
    """Integrity of every revision but the latest (revisions are immutable once written)."""
    out = []
    for rev in revisions[:-1]:
        where = display_path(root, rev.path)
        out += [f"{where}/{p}" for p in rev.integrity_problems()]
    return out


def check_unchanged(root: Path, settings: Settings, path: Path) -> SpecOutcome | None:
    """The outcome of a spec whose latest revision is provably current, else None."""
    found = unchanged_revisions(root, settings, path)
    if found is None:
        return None
    prepared, revisions = found
    drift = earlier_problems(root, revisions)
    return replace(prepared.outcome, drift=tuple(drift))


def check_spec(
    root: Path,
    settings: Settings,
    path: Path,
    *,
    full: bool = False,
    compile_fn: CompileFn | None = None,
) -> SpecOutcome:
    if not full and (quick := check_unchanged(root, settings, path)) is not None:
        return quick
    planned = compile_and_plan(root, settings, path, compile_fn)
    if isinstance(planned, SpecOutcome):
        return planned
    name, source, _text, plan, latest, _warnings = planned
    generated_dir = settings.path(root, settings.generated_dir)
    try:
        revisions = read_revisions(generated_dir, name)
    except SpecError as exc:
        return SpecOutcome(name, source, diagnostics=exc.diagnostics)
    spec_dir = display_path(root, generated_dir / name)
    drift = earlier_problems(root, revisions)
    if plan.created:
        new_dir = f"{spec_dir}/r{plan.revision}"
        if latest is None:
            drift.insert(0, f"{spec_dir}: no generated revision; compiling writes {new_dir}")
        else:
            old_dir = display_path(root, latest.path)
            drift.insert(0, f"compiling writes {new_dir} (v{plan.contract_major}):"
                            f" {summarize(plan.changes)}")
            drift[1:1] = [f"  - {c.message}" for c in plan.changes]
            old_files = {k: v for k, v in latest.files().items() if k != MANIFEST}
            drift += files_diff(old_files, plan.content, old_dir, new_dir)
        return SpecOutcome(name, source, plan.revision, plan.contract_major, created=True,
                           changes=plan.changes, drift=tuple(drift))
    assert latest is not None
    where = display_path(root, latest.path)
    known = set(plan.content) | set(latest.manifest.get("artifacts", {}))
    on_disk = {k: v for k, v in latest.files().items() if k in known}
    if on_disk != dict(plan.content):
        drift.append(f"{where} differs from what {source} compiles to:")
        drift += files_diff(on_disk, plan.content, f"{where} (on disk)", f"{where} (compiled)")
    drift += [f"{where}/{p}" for p in latest.integrity_problems()
              if not any(p.startswith(f"{f} ") for f in known)]
    return SpecOutcome(name, source, plan.revision, plan.contract_major, path=latest.path,
                       drift=tuple(drift))


def check_project(
    root: Path,
    settings: Settings,
    *,
    full: bool = False,
    compile_fn: CompileFn | None = None,
    jobs: int = 1,
) -> ProjectResult:
    """Compare ``generated/`` with what ``specs/`` compiles to; write nothing.

    Specs provably current are settled without compiling; the others are compiled (in ``jobs``
    worker processes when there are many) and compared byte for byte.
    """
    paths = discover_specs(root, settings)
    quick = [None if full else check_unchanged(root, settings, p) for p in paths]
    todo = [p for p, q in zip(paths, quick, strict=True) if q is None]
    fn = functools.partial(check_spec, root, settings, full=True, compile_fn=compile_fn)
    done = iter(map_specs(fn, todo, jobs))
    outcomes = [q if q is not None else next(done) for q in quick]
    generated_dir = settings.path(root, settings.generated_dir)
    claimed = {o.name for o in outcomes} | {Path(o.source).stem for o in outcomes}
    orphans = tuple(n for n in generated_names(generated_dir) if n not in claimed)
    return ProjectResult(tuple(outcomes), orphans, checked=True)
