"""Result types of compiling a project: per spec, per project, and a prepared spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from specwright.compiler.contract import Change
from specwright.compiler.errors import Diagnostic
from specwright.compiler.revisions import RevisionPlan
from specwright.runtime.project.revisions import RevisionOnDisk

if TYPE_CHECKING:
    pass

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


@dataclass(frozen=True, slots=True)
class PreparedSpec:
    """A compiled spec before anything is written: its outcome, and the plan when it is new."""

    outcome: SpecOutcome
    plan: RevisionPlan | None = None
    latest: RevisionOnDisk | None = None
    text: str = ""
