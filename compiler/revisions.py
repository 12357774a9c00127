"""Revision numbering and contract majors. Pure: the caller reads the previous revision from disk.

* No previous revision: ``r1``, contract ``v1``.
* Compiled content identical to the latest revision (same ``content_sha256``): nothing new,
  compiling twice writes nothing.
* Otherwise ``r<N+1>``. Its contract changes are classified against the latest revision's
  schemas; any breaking change makes the major ``latest + 1``, else it stays.

The artifacts embed the major (model titles), never the revision, so the content hash of an
unchanged spec is stable. Earlier revisions are never touched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from specwright.compiler.artifacts import (
    INPUT_SCHEMA,
    OUTPUT_SCHEMA,
    render_content,
    render_revision,
)
from specwright.compiler.contract import Change, compare_contracts
from specwright.compiler.ir import CompiledSpec
from specwright.compiler.manifest import content_sha256, spec_sha256


@dataclass(frozen=True, slots=True)
class PreviousRevision:
    """What the planner needs to know about the latest revision on disk."""

    revision: int
    contract_major: int
    content_sha256: str
    input_schema: Mapping[str, Any]
    output_schema: Mapping[str, Any]
    # Reads the revision's ``spec.json`` (only called when the content changed): the rule changes
    # (``rulediff.py``) are computed against it. None: contract changes only.
    spec_json: Callable[[], Mapping[str, Any]] | None = None


@dataclass(frozen=True, slots=True)
class RevisionPlan:
    name: str
    revision: int  # the new revision, or the latest one when nothing changed
    contract_major: int
    created: bool  # True: ``files`` is a new revision directory to write
    previous_revision: int | None
    changes: tuple[Change, ...]
    content_sha256: str
    content: Mapping[str, bytes]  # every artifact but the manifest (what the compiler produces)
    files: Mapping[str, bytes] = field(default_factory=dict)  # content + manifest, when created

    @property
    def breaking(self) -> bool:
        return any(c.breaking for c in self.changes)


def plan_revision(
    compiled: CompiledSpec,
    source_text: str,
    latest: PreviousRevision | None,
    *,
    compiler_version: str | None = None,
    compiler_fingerprint: str | None = None,
) -> RevisionPlan:
    """The next revision of ``compiled`` given the ``latest`` revision on disk (None: first)."""
    stamp = (compiler_version, compiler_fingerprint)
    name = compiled.spec.name
    source_hash = spec_sha256(source_text)
    if latest is None:
        content = render_content(compiled, 1)
        return _created(compiled, source_hash, content, 1, 1, None, (), stamp)

    content = render_content(compiled, latest.contract_major)
    digest = content_sha256(content)
    if digest == latest.content_sha256:
        return RevisionPlan(
            name=name,
            revision=latest.revision,
            contract_major=latest.contract_major,
            created=False,
            previous_revision=latest.revision,
            changes=(),
            content_sha256=digest,
            content=content,
        )
    changes = compare_contracts(
        latest.input_schema,
        latest.output_schema,
        json.loads(content[INPUT_SCHEMA]),
        json.loads(content[OUTPUT_SCHEMA]),
    )
    changes = (*changes, *behaviour_changes(latest, compiled))
    major = latest.contract_major
    if any(c.breaking for c in changes):
        major += 1
        content = render_content(compiled, major)
    return _created(
        compiled, source_hash, content, latest.revision + 1, major, latest.revision, changes, stamp
    )


def behaviour_changes(latest: PreviousRevision, compiled: CompiledSpec) -> tuple[Change, ...]:
    """The rule changes since ``latest``, as manifest entries (kind ``behaviour``)."""
    if latest.spec_json is None:
        return ()
    from specwright.compiler.rulediff import rule_changes

    try:
        earlier = CompiledSpec.model_validate(latest.spec_json())
    except (OSError, ValueError):  # unreadable, or written by a compiler with another IR
        note = f"r{latest.revision}'s spec.json cannot be read: rule changes not listed"
        return (Change("behaviour", "", note),)
    return tuple(c.as_change() for c in rule_changes(earlier, compiled))


def _created(
    compiled: CompiledSpec,
    source_hash: str,
    content: dict[str, bytes],
    revision: int,
    major: int,
    previous: int | None,
    changes: tuple[Change, ...],
    stamp: tuple[str | None, str | None],
) -> RevisionPlan:
    files = render_revision(
        compiled,
        revision=revision,
        major=major,
        source_sha256=source_hash,
        previous_revision=previous,
        changes=[c.as_dict() for c in changes],
        content=content,
        compiler_version=stamp[0],
        compiler_fingerprint=stamp[1],
    )
    return RevisionPlan(
        name=compiled.spec.name,
        revision=revision,
        contract_major=major,
        created=True,
        previous_revision=previous,
        changes=changes,
        content_sha256=content_sha256(content),
        content=content,
        files=files,
    )
