"""A reviewer's final output for a case, held to the contract the run was answered under.

The output must validate against the run's revision's ``Output`` model and pass its guardrails
(evaluated on the run's logged input), exactly as an answer of the pipeline must. What the
reviewer changed, compared with what the run answered, is an *override*: ``specwright stats``
counts them per table row that decided the run.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from specwright.compiler.evaluate import evaluate_guardrails, to_cel_values
from specwright.runtime.engine.catalog import Catalog, LoadedRevision
from specwright.runtime.engine.failures import validation_details
from specwright.runtime.errors import GuardrailViolation, NotFound, ResolutionInvalid


def revision_of(catalog: Catalog, spec: str, revision: int) -> LoadedRevision:
    entry = catalog.specs.get(spec)
    found = entry.get(revision) if entry is not None else None
    if found is None:
        raise NotFound(f"{spec} r{revision} is not loaded: the case cannot be checked against it")
    return found


def checked_resolution(
    revision: LoadedRevision, case_input: dict[str, Any] | None, output: Any
) -> dict[str, Any]:
    """The final output as the Output model dumps it; else 422 naming every problem."""
    try:
        final = revision.output_model.model_validate(output)
    except ValidationError as exc:
        details = validation_details(exc, ("body", "output"))
        raise ResolutionInvalid(
            f"the final output does not match the {revision.name} r{revision.revision} output: "
            f"{len(details)} error(s)",
            details=details,
        ) from None
    out_json: dict[str, Any] = final.model_dump(mode="json", by_alias=True)
    spec = revision.compiled.spec
    results = evaluate_guardrails(
        revision.compiled.guardrails,
        to_cel_values(spec.inputs, case_input or {}),
        to_cel_values(spec.outputs, out_json),
    )
    failed = [r for r in results if not r.passed]
    if failed:
        raise GuardrailViolation(
            f"the final output violates: {'; '.join(r.label for r in failed)}",
            details=[{"label": r.label, "line": r.line} for r in failed],
        )
    return out_json


def changed_fields(answered: dict[str, Any] | None, final: dict[str, Any]) -> list[str]:
    """The output fields whose final value differs from the run's answer, in output order."""
    answered = answered or {}
    keys = list(final) + [k for k in answered if k not in final]
    return [k for k in keys if answered.get(k) != final.get(k)]
