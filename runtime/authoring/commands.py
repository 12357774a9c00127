"""Model-backed authoring: ``draft``, ``infer`` and ``suggest_tests`` (the I/O half).

The pure parts (the draft's schema, rendering, citations, coverage, suggestion checks, prompts)
are in ``compiler/authoring``; the model calls and the execution log in ``authoring.session``.

* ``draft``: policy document -> ``DraftSpec`` -> markdown -> compile. Problems (compiler
  diagnostics and citations not found in the policy) go back to the model for ``repairs``
  rounds. Success writes ``specs/<name>.md``; failure writes the best draft to
  ``specs/<name>.draft.md`` and reports its problems.
* ``infer``: prose ``## Input`` / ``## Output`` sections -> field tables, with the same rounds;
  the spec is rewritten only when it compiles, else the best attempt goes to ``<name>.draft.md``.
* ``suggest_tests``: coverage, then one call for examples covering the gaps; each suggestion is
  appended only if the spec still compiles with it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specwright.compiler import compile_spec
from specwright.compiler.authoring import prompts
from specwright.compiler.authoring.citations import Policy, check_citations
from specwright.compiler.authoring.coverage import Coverage, coverage
from specwright.compiler.authoring.draft_model import (
    DraftSpec,
    InferredFields,
    draft_schema,
    inferred_schema,
)
from specwright.compiler.authoring.render import render_spec
from specwright.compiler.authoring.sections import prose_sections, rewrite_prose, spec_route
from specwright.compiler.authoring.suggest import (
    Accepted,
    Rejected,
    Suggestions,
    accept,
    suggestion_schema,
)
from specwright.compiler.errors import SpecError
from specwright.runtime.authoring.session import (
    Judgement,
    LoopResult,
    ModelAccess,
    Progress,
    Session,
    repair_loop,
    structural_check,
)
from specwright.runtime.errors import AuthoringError
from specwright.runtime.models.base import Message, ModelRequest
from specwright.runtime.project.read import display_path

__all__ = [
    "AuthoringError", "DraftOutcome", "SuggestOutcome", "draft", "draft_path", "infer",
    "suggest_tests",
]

DRAFT_MAX_TOKENS = 16_000
SMALL_MAX_TOKENS = 8_000


@dataclass(slots=True)
class DraftOutcome:
    """What ``draft`` or ``infer`` did. ``written`` is the spec (on success) or the draft file."""

    ok: bool
    written: Path | None
    problems: tuple[str, ...] = ()
    rounds: int = 0
    failure: str | None = None  # the route failed: no (further) answer
    nothing_to_do: bool = False


@dataclass(slots=True)
class SuggestOutcome:
    before: Coverage
    after: Coverage | None = None
    accepted: list[Accepted] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    written: Path | None = None


def draft_path(spec: Path) -> Path:
    """``specs/returns.md`` -> ``specs/returns.draft.md``."""
    return spec.with_name(f"{spec.stem}.draft.md")


def _problems_for(best_markdown_path: str, source: str, problems: tuple[str, ...]) -> tuple[str, ...]:
    """Diagnostics located in ``source`` re-pointed at the draft file the human will open."""
    return tuple(
        best_markdown_path + p[len(source):] if p.startswith(source + ":") else p for p in problems
    )


def _compile_problems(markdown: str, source: str) -> list[str]:
    try:
        compile_spec(markdown, source)
    except SpecError as exc:
        return [str(d) for d in exc.diagnostics]
    return []


def _finish(access: ModelAccess, result: LoopResult, target: Path, source: str) -> DraftOutcome:
    accepted = result.accepted
    if accepted is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(accepted.judgement.markdown, encoding="utf-8", newline="")
        return DraftOutcome(True, target, rounds=accepted.number)
    best = result.best
    if best is None:
        return DraftOutcome(False, None, failure=result.failure, rounds=0)
    spare = draft_path(target)
    spare.parent.mkdir(parents=True, exist_ok=True)
    spare.write_text(best.judgement.markdown, encoding="utf-8", newline="")
    shown = display_path(access.root, spare)
    return DraftOutcome(
        False, spare, _problems_for(shown, source, best.judgement.problems),
        rounds=len(result.rounds), failure=result.failure,
    )


# ----------------------------------------------------------------------------- draft


async def draft(
    access: ModelAccess, policy_file: Path, name: str, *, repairs: int = 3,
    force: bool = False, progress: Progress | None = None,
) -> DraftOutcome:
    """Draft ``specs/<name>.md`` from ``policy_file``."""
    settings = access.settings
    target = settings.path(access.root, settings.specs_dir) / f"{name}.md"
    source = display_path(access.root, target)
    if target.exists() and not force:
        raise AuthoringError(f"{source} already exists: pass --force to replace it")
    try:
        text = policy_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AuthoringError(f"cannot read the policy {policy_file}: {exc}") from None
    if not text.strip():
        raise AuthoringError(f"the policy {policy_file} is empty")
    policy = Policy(text)
    shown_draft = display_path(access.root, draft_path(target))

    def judge(data: dict[str, Any]) -> Judgement:
        checked, citation_problems = check_citations(DraftSpec.model_validate(data), policy)
        markdown = render_spec(checked, name, policy=policy_file.name)
        problems = [*_compile_problems(markdown, source), *citation_problems]
        # An answer with problems is only ever written as the draft file: its diagnostics (in
        # the log and in the repair request) name that file, as the CLI does.
        return Judgement(markdown, _problems_for(shown_draft, source, tuple(problems)))

    request = ModelRequest(
        messages=(
            Message("system", prompts.DRAFT_SYSTEM),
            Message("user", prompts.draft_user(name, policy_file.name, policy.numbered())),
        ),
        output_schema=draft_schema(), schema_name="specwright_draft",
        check=structural_check(DraftSpec), max_tokens=DRAFT_MAX_TOKENS,
    )
    summary = {
        "command": "draft", "name": name, "policy": policy_file.name,
        "policy_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "policy_lines": len(text.splitlines()),  # a final newline ends a line, adds none
    }
    async with Session(access, "drafting", f"draft:{name}") as session:
        result = await repair_loop(session, request, judge, repairs=repairs, summary=summary,
                                   what="draft", progress=progress)
    return _finish(access, result, target, source)


# ----------------------------------------------------------------------------- infer


async def infer(
    access: ModelAccess, spec_file: Path, *, repairs: int = 3, progress: Progress | None = None
) -> DraftOutcome:
    """Rewrite the prose Input/Output sections of ``spec_file`` as field tables."""
    text = _read_spec(spec_file)
    source = display_path(access.root, spec_file)
    names = [s.name for s in prose_sections(text)]
    if not names:
        return DraftOutcome(True, None, nothing_to_do=True)

    def judge(data: dict[str, Any]) -> Judgement:
        inferred = InferredFields.model_validate(data)
        lists = {"Input": inferred.input, "Output": inferred.output}
        empty = [f'"{n.lower()}" is empty: list the fields ## {n} describes'
                 for n in names if not lists[n]]
        rewritten = rewrite_prose(text, {n: lists[n] for n in names if lists[n]}, inferred.objects)
        return Judgement(rewritten, tuple([*empty, *_compile_problems(rewritten, source)]))

    request = ModelRequest(
        messages=(Message("system", prompts.INFER_SYSTEM),
                  Message("user", prompts.infer_user(text, names))),
        output_schema=inferred_schema(), schema_name="specwright_fields",
        check=structural_check(InferredFields), max_tokens=SMALL_MAX_TOKENS,
    )
    summary = {"command": "infer", "spec": source, "sections": names}
    route = spec_route(text)
    async with Session(access, "inferring fields", f"infer:{spec_file.stem}", route) as session:
        result = await repair_loop(session, request, judge, repairs=repairs, summary=summary,
                                   what="field list", progress=progress)
    return _finish(access, result, spec_file, source)


# ----------------------------------------------------------------------------- suggest-tests


async def suggest_tests(access: ModelAccess, spec_file: Path, *, most: int = 5) -> SuggestOutcome:
    """Ask for examples covering what the spec's examples do not; append the valid ones."""
    text = _read_spec(spec_file)
    source = display_path(access.root, spec_file)
    compiled = compile_spec(text, source)  # SpecError: the caller prints the diagnostics
    outcome = SuggestOutcome(before=coverage(compiled))
    gaps = [f"{g.name} (spec line {g.line}): {g.detail}" for g in outcome.before.gaps]
    if not gaps:
        return outcome
    found: dict[str, Any] = {}

    def judge(data: dict[str, Any]) -> Judgement:
        suggestions = Suggestions.model_validate(data).examples[:most]
        new_text, accepted, rejected = accept(text, source, suggestions, compiled)
        found.update(text=new_text, accepted=accepted, rejected=rejected)
        problems = () if accepted or not rejected else tuple(
            f"{r.title}: {'; '.join(r.reasons)}" for r in rejected)
        return Judgement(new_text, problems)

    request = ModelRequest(
        messages=(Message("system", prompts.SUGGEST_SYSTEM),
                  Message("user", prompts.suggest_user(text, gaps, most))),
        output_schema=suggestion_schema(compiled), schema_name="specwright_examples",
        check=structural_check(Suggestions), max_tokens=SMALL_MAX_TOKENS,
    )
    summary = {"command": "suggest-tests", "spec": source, "gaps": len(gaps)}
    label = f"suggest-tests:{spec_file.stem}"
    async with Session(access, "suggesting tests", label, compiled.spec.route) as session:
        await session.ask(request, judge, summary)
    outcome.accepted = found.get("accepted", [])
    outcome.rejected = found.get("rejected", [])
    if outcome.accepted:
        new_text: str = found["text"]
        outcome.after = coverage(compile_spec(new_text, source))
        spec_file.write_text(new_text, encoding="utf-8", newline="")
        outcome.written = spec_file
    return outcome


def _read_spec(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise AuthoringError(f"cannot read {path}: {exc}") from None
