"""Planning a spec's next revision: unchanged (no compile needed), unchanged content, or new.

Nothing here writes; ``write`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from specwright.compiler.artifacts import INPUT_SCHEMA, content_files, render_content
from specwright.compiler.errors import Diagnostic, SpecError
from specwright.compiler.ir import CompiledSpec
from specwright.compiler.manifest import content_sha256, spec_sha256
from specwright.compiler.revisions import RevisionPlan, plan_revision
from specwright.runtime.config import Settings
from specwright.runtime.errors import RevisionReadError
from specwright.runtime.project.compile import (
    CompileFn,
    compile_source,
    compiler_fingerprint,
    compiler_version,
    internal_error,
)
from specwright.runtime.project.outcomes import PreparedSpec, SpecOutcome
from specwright.runtime.project.read import display_path, read_spec
from specwright.runtime.project.revisions import RevisionOnDisk, read_revisions

if TYPE_CHECKING:
    pass

def latest_revision(generated_dir: Path, name: str, source: str) -> RevisionOnDisk | None:
    """The latest revision of ``name``; an unreadable one is an error of the spec ``source``."""
    try:
        revisions = read_revisions(generated_dir, name)
    except RevisionReadError as exc:
        diags = [Diagnostic(source, 1, 1, f"{d.file}: {d.message}") for d in exc.diagnostics]
        raise SpecError(diags) from None
    return revisions[-1] if revisions else None


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
        if plan.created and latest is not None:
            earlier = earlier_match(generated_dir, compiled, text, source)
            if earlier is not None:
                return earlier
        return plan, latest
    except SpecError:
        raise
    except Exception as exc:  # noqa: BLE001 - a renderer bug is a diagnostic, not a traceback
        raise internal_error(source, exc) from exc


def earlier_match(
    generated_dir: Path, compiled: CompiledSpec, text: str, source: str
) -> tuple[RevisionPlan, RevisionOnDisk] | None:
    """An earlier revision compiled from this very text by this compiler, with the same content:
    restoring a spec's earlier text gives that revision back instead of a new one (and never a
    new contract major). Newest first; only intact revisions count."""
    digest = spec_sha256(text)
    stamp = (compiler_version(), compiler_fingerprint())
    revisions = read_revisions(generated_dir, compiled.spec.name)
    for rev in reversed(revisions[:-1]):
        m = rev.manifest
        if (m.get("spec_sha256"), (m.get("compiler_version"), m.get("compiler_fingerprint"))
                ) != (digest, stamp):
            continue
        content = render_content(compiled, rev.contract_major)
        if content_sha256(content) != rev.content_sha256 or rev.integrity_problems():
            continue
        plan = RevisionPlan(name=compiled.spec.name, revision=rev.revision,
                            contract_major=rev.contract_major, created=False,
                            previous_revision=rev.revision, changes=(),
                            content_sha256=rev.content_sha256, content=content)
        return plan, rev
    return None


def unchanged_revisions(
    root: Path, settings: Settings, path: Path
) -> tuple[PreparedSpec, list[RevisionOnDisk]] | None:
    """``prepare_unchanged``, with every revision of the spec it read (oldest first), so that
    ``compile --check`` does not list and parse the manifests a second time."""
    source = display_path(root, path)
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


class Planned(NamedTuple):
    """A spec that compiled, with the plan for its next revision (nothing written)."""

    name: str
    source: str
    text: str
    plan: RevisionPlan
    latest: RevisionOnDisk | None
    warnings: tuple[Diagnostic, ...] = ()


def compile_and_plan(
    root: Path, settings: Settings, path: Path, compile_fn: CompileFn | None = None
) -> Planned | SpecOutcome:
    """Read and compile one spec and plan its next revision; when it does not compile, its
    outcome carrying every diagnostic. Shared by ``compile`` and ``compile --check``."""
    source = display_path(root, path)
    generated_dir = settings.path(root, settings.generated_dir)
    name = path.stem
    try:
        text = read_spec(path, source)
        compiled = compile_source(text, source, compile_fn)
        name = compiled.spec.name
        plan, latest = plan_spec(generated_dir, compiled, text, source)
    except SpecError as exc:
        return SpecOutcome(name, source, diagnostics=exc.diagnostics)
    warnings = tuple(Diagnostic(source, w.line, w.col, w.message, "warning")
                     for w in compiled.warnings)
    return Planned(name, source, text, plan, latest, warnings)


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
    name, source, text, plan, latest, warnings = planned
    generated_dir = settings.path(root, settings.generated_dir)
    if plan.created:
        target = generated_dir / name / f"r{plan.revision}"
        outcome = SpecOutcome(name, source, plan.revision, plan.contract_major, created=True,
                              diagnostics=warnings, changes=plan.changes, path=target)
        return PreparedSpec(outcome, plan, latest, text)
    assert latest is not None
    where = display_path(root, latest.path)
    diags = tuple(
        Diagnostic(source, 1, 1, f"{where}/{p}: the revision was changed after it was written;"
                   " restore it (git checkout) or delete the directory")
        for p in latest.integrity_problems()
    )
    outcome = SpecOutcome(name, source, plan.revision, plan.contract_major,
                          diagnostics=(*warnings, *diags), path=latest.path)
    return PreparedSpec(outcome, plan, latest, text)
