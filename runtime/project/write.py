"""Writing a planned revision: into a temporary directory, renamed into place, so a reader
(the server) never sees half a revision.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from specwright.compiler.errors import Diagnostic
from specwright.runtime.config import Settings
from specwright.runtime.project.compile import CompileFn
from specwright.runtime.project.outcomes import PreparedSpec, SpecOutcome
from specwright.runtime.project.plan import prepare_spec
from specwright.runtime.project.revisions import write_revision

if TYPE_CHECKING:
    pass

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
    return SpecOutcome(o.name, o.source, o.revision, o.major, True, o.diagnostics, o.changes, path)


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
