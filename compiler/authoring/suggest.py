"""Suggested examples (``specwright suggest-tests``): their schema, their markdown, their checks.

The model answers a ``Suggestions`` object. Its JSON Schema (``suggestion_schema``) embeds the
spec's own Input schema and its Output schema with every field optional (an example's expected
output may be partial), so a schema-constrained provider can only answer well-typed examples.
``accept`` then holds each suggestion to the whole spec, exactly as the compiler holds a
hand-written example (schemas, decision tables, guardrails): a suggestion is appended only when
the spec still compiles with it; the others are dropped with the compiler's reason.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from specwright.compiler.authoring.render import render_example_block
from specwright.compiler.authoring.sections import append_to_examples
from specwright.compiler.check import check_spec
from specwright.compiler.errors import SpecError
from specwright.compiler.ir import CompiledSpec
from specwright.compiler.parse import parse_spec
from specwright.compiler.schema import input_schema, output_schema

__all__ = [
    "SUGGESTED_NOTE",
    "Accepted",
    "Rejected",
    "SuggestedExample",
    "Suggestions",
    "accept",
    "suggestion_schema",
]

SUGGESTED_NOTE = "<!-- suggested by specwright suggest-tests: review before relying on it -->"


class SuggestedExample(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    covers: str = Field("", description="what this example is meant to cover")
    rules: list[int] = Field(default_factory=list, description="numbers of the rules it exercises")
    input: dict[str, Any]
    output: dict[str, Any]


class Suggestions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    examples: list[SuggestedExample]


@dataclass(frozen=True, slots=True)
class Accepted:
    title: str
    lines: tuple[str, ...]  # the markdown appended


@dataclass(frozen=True, slots=True)
class Rejected:
    title: str
    reasons: tuple[str, ...]


def suggestion_schema(compiled: CompiledSpec) -> dict[str, Any]:
    """``{"examples": [{title, covers, rules, input: <Input>, output: <partial Output>}]}``."""
    inp = input_schema(compiled, 1)
    out = output_schema(compiled, 1)
    defs = {**inp.get("$defs", {}), **out.get("$defs", {})}
    inp = {k: v for k, v in inp.items() if k not in ("$schema", "$defs", "examples")}
    out = {k: v for k, v in out.items() if k not in ("$schema", "$defs", "examples")}
    out["required"] = []
    out["description"] = "the expected output; name only the fields the spec settles"
    example = {
        "type": "object",
        "properties": {
            "title": {"type": "string", "description": "short; says what the example checks"},
            "covers": {"type": "string", "description": "the gap(s) it covers"},
            "rules": {"type": "array", "items": {"type": "integer"},
                      "description": "numbers of the rules it exercises"},
            "input": inp,
            "output": out,
        },
        "required": ["title", "covers", "rules", "input", "output"],
        "additionalProperties": False,
    }
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"examples": {"type": "array", "items": example}},
        "required": ["examples"],
        "additionalProperties": False,
    }
    if defs:
        schema["$defs"] = copy.deepcopy(defs)
    return schema


def title_for(suggestion: SuggestedExample) -> str:
    title = " ".join(suggestion.title.split()) or "example"
    rules = sorted(set(suggestion.rules))
    if rules:
        listed = ", ".join(str(n) for n in rules[:-1]) + (" and " if len(rules) > 1 else "")
        title += f" ({'rules' if len(rules) > 1 else 'rule'} {listed}{rules[-1]})"
    return f"Suggested: {title}"


def example_lines(title: str, suggestion: SuggestedExample) -> list[str]:
    lines = [f"### {title}", "", SUGGESTED_NOTE]
    covers = " ".join(suggestion.covers.split())
    if covers:
        lines.append(f"Meant to cover: {covers}")
    lines.append("")
    return lines + render_example_block(
        json.dumps(suggestion.input, ensure_ascii=False),
        json.dumps(suggestion.output, ensure_ascii=False),
    )


def accept(
    text: str, source: str, suggestions: Sequence[SuggestedExample], compiled: CompiledSpec
) -> tuple[str, list[Accepted], list[Rejected]]:
    """The spec text with every valid suggestion appended under ``## Examples``, the accepted
    and the rejected suggestions. ``text`` must compile (``compiled`` is its result)."""
    taken = {e.title.lower() for e in compiled.spec.examples}
    accepted: list[Accepted] = []
    rejected: list[Rejected] = []
    rule_numbers = {r.number for r in compiled.spec.rules}
    for suggestion in suggestions:
        title = _unique(title_for(suggestion), taken)
        reasons: list[str] = []
        if not suggestion.output:
            reasons.append("its output names no field, so it would check nothing")
        unknown = sorted(set(suggestion.rules) - rule_numbers)
        if unknown:
            reasons.append(f"the spec has no rule {', '.join(map(str, unknown))}")
        lines = example_lines(title, suggestion)
        if not reasons:
            reasons = _compile_problems(append_to_examples(text, [lines]), source)
        if reasons:
            rejected.append(Rejected(title, tuple(reasons)))
            continue
        taken.add(title.lower())
        accepted.append(Accepted(title, tuple(lines)))
    if not accepted:
        return text, accepted, rejected
    return append_to_examples(text, [list(a.lines) for a in accepted]), accepted, rejected


def _compile_problems(text: str, source: str) -> list[str]:
    try:
        check_spec(parse_spec(text, source))
    except SpecError as exc:
        return [d.message for d in exc.diagnostics if d.severity == "error"]
    return []


def _unique(title: str, taken: set[str]) -> str:
    if title.lower() not in taken:
        return title
    n = 2
    while f"{title} {n}".lower() in taken:
        n += 1
    return f"{title} {n}"
