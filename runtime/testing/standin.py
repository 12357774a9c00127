"""A stand-in for the model, so an example runs offline when only table-decided fields are compared.

It answers every model-decided field: with the example's own expected value where the example
names one, and otherwise with a schema-valid value, choosing among a few (every choice of a
``one of`` field, yes and no, the simplest value of other types) one that passes the run's
``check`` (output schema and guardrails) when one exists. Its answers are never compared.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from hypothesis import find

from specwright.compiler.testgen import fields_read
from specwright.runtime.engine.catalog import LoadedRevision
from specwright.runtime.engine.pipeline import RunResult
from specwright.runtime.models.base import Completion, ModelRequest
from specwright.runtime.testing.input_strategies import schema_strategy
from specwright.runtime.testing.profile import ci_settings

MAX_ANSWERS = 256


def _candidates(root: Mapping[str, Any], sub: Mapping[str, Any]) -> list[Any]:
    defs = {**root.get("definitions", {}), **root.get("$defs", {})}
    while "$ref" in sub:
        sub = defs[str(sub["$ref"]).rsplit("/", 1)[-1]]
    alternatives = sub.get("anyOf") or sub.get("oneOf")
    if alternatives:
        return [v for alt in alternatives for v in _candidates(root, alt)]
    if "enum" in sub:
        return list(sub["enum"])
    if "const" in sub:
        return [sub["const"]]
    if sub.get("type") == "boolean":
        return [False, True]
    if sub.get("type") == "null":
        return [None]
    strategy = schema_strategy(dict(root), dict(sub))
    return [find(strategy, lambda _: True, settings=ci_settings())]


class StandInModel:
    name = "test:stand-in"

    def __init__(self, revision: LoadedRevision, expected: Mapping[str, Any]) -> None:
        self.revision = revision
        self.expected = dict(expected)
        self.made_up: set[str] = set()
        self.problems: list[str] = []  # the check's problems when no made-up answer passed it

    async def complete(self, request: ModelRequest) -> Completion:
        schema = request.output_schema
        props: dict[str, Any] = schema.get("properties", {})
        fixed = {k: v for k, v in self.expected.items() if k in props}
        free = [k for k in props if k not in fixed]
        self.made_up = set(free)
        options = [_candidates(schema, props[k]) for k in free]
        first: dict[str, Any] | None = None
        for combo in itertools.islice(itertools.product(*options), MAX_ANSWERS):
            answer = {**fixed, **dict(zip(free, combo, strict=True))}
            first = answer if first is None else first
            if request.check is None or not list(request.check(answer)):
                return Completion(data=answer, model=self.name, mock=True)
        answer = first or dict(fixed)
        if request.check is not None:
            self.problems = [str(p) for p in request.check(answer)]
        return Completion(data=answer, model=self.name, mock=True)

    def filled_guardrail_fields(self, result: RunResult) -> bool:
        """True when a violated guardrail reads a field this stand-in made up (not the example's)."""
        details = result.body.get("details") if isinstance(result.body, dict) else None
        labels = {d.get("label") for d in details if isinstance(d, dict)} if isinstance(
            details, list) else set()
        spec = self.revision.compiled.spec
        for guardrail in self.revision.compiled.guardrails:
            named = guardrail.label in labels or any(f'"{guardrail.label}"' in p for p in self.problems)
            if named and fields_read(spec, guardrail.cel, "output") & self.made_up:
                return True
        return False
