"""Rendering a revision's prompt and building the model request.

The input reaches the model as delimited JSON *data*: the template (``prompt.j2``, written by the
compiler) puts it between tags and tells the model it is data, not instructions. Here every
``<`` in that JSON becomes ``\\u003c`` (still the same JSON value), so no string in the input can
close the tag or open a new one.
"""

from __future__ import annotations

import json
from typing import Any

from specwright.runtime.engine.catalog import LoadedRevision
from specwright.runtime.engine.sensitive import sensitive_paths, withheld_note, withhold
from specwright.runtime.models.base import Checker, Message, ModelRequest


def data_json(value: Any) -> str:
    """JSON for the prompt: deterministic, readable, and unable to contain a literal ``<``."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=False, indent=None, allow_nan=False)
    return text.replace("<", "\\u003c")


def render_messages(
    revision: LoadedRevision, input_data: dict[str, Any], decided: dict[str, Any]
) -> tuple[Message, ...]:
    """The first ask. Sensitive input (and table-decided output) values are withheld: the
    model sees ``[withheld]`` and a note naming those fields (``specwright.runtime.engine.sensitive``)."""
    module: Any = revision.prompt
    system = str(module.system())
    plan, spec = revision.plan, revision.compiled.spec
    if plan.input_sensitive:
        input_data = withhold(spec.inputs, input_data)
    if plan.output_sensitive:
        decided = withhold(spec.outputs, decided)
    user = str(module.user(data_json(input_data), data_json(decided)))
    if plan.input_sensitive:
        user += withheld_note(sensitive_paths(spec.inputs))
    return (Message("system", system), Message("user", user))


def schema_name(spec_name: str) -> str:
    """``carrier-selection`` -> ``carrier_selection_output`` (providers want [A-Za-z0-9_-]{1,64})."""
    ident = "".join(c if c.isalnum() or c == "_" else "_" for c in spec_name)
    return f"{ident[:50]}_output"


def build_request(
    revision: LoadedRevision,
    input_data: dict[str, Any],
    decided: dict[str, Any],
    *,
    check: Checker,
    deadline: float | None,
    run_id: str,
) -> ModelRequest:
    route = revision.compiled.spec.route
    return ModelRequest(
        messages=render_messages(revision, input_data, decided),
        # The spec's own sampling (front matter), else the deployment's (runtime/models/sampling.py);
        # max_tokens None: the bound derived from the Output schema.
        max_tokens=route.max_tokens,
        temperature=route.temperature,
        seed=route.seed,
        top_p=route.top_p,
        # One dict per revision, never copied: adapters and lowering only read it, and its
        # identity is what the lowering cache keys on.
        output_schema=revision.request_schema,
        schema_name=schema_name(revision.name),
        spec=revision.name,
        check=check,
        deadline=deadline,
        metadata={
            "run_id": run_id,
            "revision": revision.revision,
            "major": revision.major,
            "input": input_data,  # the validated input; the mock model matches examples on it
        },
    )
