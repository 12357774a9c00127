"""The structured draft a model answers with when it drafts a spec from a policy document.

The model never writes markdown: it answers with a ``DraftSpec`` (fields, rules, decision tables,
guardrails and examples as data) whose JSON Schema (``draft_schema``) is the request's output
schema, lowered for the provider like any spec output. ``render.render_spec`` turns it into spec
markdown. Every rule, table row, guardrail and example carries the policy line and sentence it
came from (``source_line``, ``source_quote``) so the domain expert can check it
(``citations.check_citations``).

``InferredFields`` is the answer to ``specwright infer`` (the fields of a prose Input/Output
section). Both models are closed (``extra="forbid"``) so their schemas are strict-mode friendly.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "DraftExample",
    "DraftField",
    "DraftGuardrail",
    "DraftObject",
    "DraftRow",
    "DraftRule",
    "DraftSpec",
    "DraftTable",
    "InferredFields",
    "draft_schema",
    "inferred_schema",
    "validation_problems",
]

HitPolicy = Literal[
    "first", "unique", "any", "priority", "collect", "rule order", "output order",
    "collect sum", "collect min", "collect max", "collect count",
]
_HIT_POLICY = (
    "first unless the policy needs another: unique (at most one row can match), any (matching "
    "rows agree), priority (the matching row whose first result ranks highest in its one-of "
    "order wins), collect / rule order / output order (every matching row's results, as lists), "
    "collect sum / min / max / count (one number over every matching row, e.g. points added up)"
)

_LINE = "1-based number of the policy line where the quoted sentence starts"
_QUOTE = "the sentence of the policy this comes from, copied word for word"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DraftField(_Model):
    """One field of ``## Input``, ``## Output`` or an object type."""

    name: str = Field(description="snake_case field name, like order_total")
    type: str = Field(
        description='a spec type: text, integer, number, money, yes/no, date, datetime, time, '
        '"one of: a, b, c", "list of <type>", or the name of an object type'
    )
    constraints: str = Field(
        "",
        description='comma-separated constraints, like "> 0", "1..14", "optional", '
        '"default no", "max 200 characters"; empty when there are none',
    )
    description: str = Field("", description="what the field means, in one short phrase")


class DraftObject(_Model):
    """An object type: a ``## <Name>`` section with its own field table."""

    name: str = Field(description='the type name fields refer to, like "Line item"')
    fields: list[DraftField]


class DraftRule(_Model):
    """A plain-English rule: judgment the model applies at run time."""

    text: str = Field(description="the rule, one or two plain sentences")
    source_line: int = Field(description=_LINE)
    source_quote: str = Field(description=_QUOTE)


class DraftRow(_Model):
    """One row of a decision table."""

    conditions: list[str] = Field(
        description='one test per input column: "> 500", "2..3", "\\"AK\\", \\"HI\\"", '
        'yes, no, or "-" for any value'
    )
    result: str = Field(description="the output value this row gives")
    more_results: list[str] = Field(
        default_factory=list,
        description="one value per field of the table's more_outputs, in that order; "
        "empty when the table decides one field",
    )
    source_line: int = Field(description=_LINE)
    source_quote: str = Field(description=_QUOTE)


class DraftTable(_Model):
    """A decision table for one output field (or several the same conditions decide), for a
    threshold the policy states crisply."""

    output_field: str = Field(description="the Output field this table decides")
    more_outputs: list[str] = Field(
        default_factory=list,
        description="further Output fields the same rows decide (one table, one result column "
        "each, instead of one table per field repeating the conditions); empty for one field",
    )
    hit_policy: HitPolicy = Field("first", description=_HIT_POLICY)
    input_columns: list[str] = Field(description="the Input fields the rows test")
    rows: list[DraftRow]


class DraftGuardrail(_Model):
    """A hard limit of the policy, as a CEL check over ``input`` and ``output``."""

    label: str = Field(description="the limit in plain English")
    expression: str = Field(description="CEL, like output.refund_amount <= input.order_total")
    source_line: int = Field(description=_LINE)
    source_quote: str = Field(description=_QUOTE)


class DraftExample(_Model):
    """An input and its expected (possibly partial) output, drawn from the policy text."""

    title: str = Field(description="a short, unique title")
    input_json: str = Field(description="the complete input, as one JSON object in a string")
    output_json: str = Field(
        description="the expected output as one JSON object in a string; it may name only "
        "the fields the policy settles"
    )
    source_line: int = Field(description=_LINE)
    source_quote: str = Field(description=_QUOTE)


class DraftSpec(_Model):
    """A whole spec, as data."""

    title: str = Field(description="a short human title for the decision")
    owner: str = Field("", description="the team that owns the policy, or empty")
    purpose: str = Field(description="one paragraph: what the decision is for and who reads it")
    inputs: list[DraftField]
    outputs: list[DraftField]
    objects: list[DraftObject] = Field(default_factory=list)
    rules: list[DraftRule] = Field(default_factory=list)
    tables: list[DraftTable] = Field(default_factory=list)
    guardrails: list[DraftGuardrail] = Field(default_factory=list)
    examples: list[DraftExample] = Field(default_factory=list)
    review_when: str = Field(
        "",
        description="when the policy hands cases to a person (escalate, refer, manual review): "
        'that condition in CEL over input and output, like output.decision == "refer" or '
        "output.needs_review; empty when the policy never escalates",
    )


class InferredFields(_Model):
    """The fields of prose ``## Input`` / ``## Output`` sections (``specwright infer``)."""

    input: list[DraftField] = Field(description="the Input fields; empty if not asked for")
    output: list[DraftField] = Field(description="the Output fields; empty if not asked for")
    objects: list[DraftObject] = Field(default_factory=list)


@functools.cache
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def draft_schema() -> dict[str, Any]:
    """The JSON Schema a drafting model must answer (the same dict each call: do not mutate)."""
    return _schema(DraftSpec)


def inferred_schema() -> dict[str, Any]:
    """The JSON Schema of ``InferredFields`` (the same dict each call: do not mutate)."""
    return _schema(InferredFields)


def validation_problems(error: ValidationError) -> list[str]:
    """A Pydantic validation error as one readable problem per wrong value."""
    problems = []
    for err in error.errors(include_url=False, include_context=False, include_input=False):
        path = ".".join(str(p) for p in err["loc"]) or "(answer)"
        problems.append(f"{path}: {err['msg']}")
    return problems
