"""The model interface: one method, a request in, a completion out.

Every provider adapter, the fake, the mock, the replayer and the router implement ``Model``.
The router is itself a ``Model`` that owns retries, repair and fallback across other models.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from specwright.runtime.records import (
    Attempt,
    FailureKind,
    ModelFailure,
    Problem,
    Usage,
    guardrail_of,
)

# Defined with the records every layer shares; the model layer's public names.
__all__ = [
    "Attempt", "Checker", "Completion", "FailureKind", "Message", "Model", "ModelFailure",
    "ModelRequest", "Problem", "Usage", "guardrail_of",
]


@dataclass(frozen=True, slots=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str


# Called with the parsed JSON object a model produced; returns the precise problems
# (schema validation and guardrails), empty when the answer is acceptable. The router uses it
# to re-ask the same model with those problems before falling back.
Checker = Callable[[dict[str, Any]], Sequence[str]]


@dataclass(frozen=True, slots=True)
class ModelRequest:
    messages: tuple[Message, ...]
    output_schema: dict[str, Any]  # canonical JSON Schema (2020-12) of the model-decided fields
    schema_name: str  # e.g. "carrier_selection_output"; providers need a name for the schema
    spec: str = ""  # spec name, for logs and cassettes
    check: Checker | None = None
    max_tokens: int | None = None  # None: the bound derived from ``output_schema`` (sampling.py)
    temperature: float | None = None  # None: the deployment's, else 0 (sampling.py)
    deadline: float | None = None  # absolute time.monotonic() by which the run must finish
    metadata: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None  # None: the deployment's, else not sent
    top_p: float | None = None  # None: the deployment's, else not sent


@dataclass(frozen=True, slots=True)
class Completion:
    data: dict[str, Any]  # the parsed JSON object (not yet validated by the caller)
    model: str  # "provider:model" that produced it
    text: str = ""  # raw text as the provider sent it
    usage: Usage = Usage()
    cost_usd: float | None = None  # summed over attempts; None if any price is unknown
    attempts: tuple[Attempt, ...] = ()  # every attempt made for this completion, failed ones too
    mock: bool = False


@runtime_checkable
class Model(Protocol):
    name: str  # "provider:model"

    async def complete(self, request: ModelRequest) -> Completion: ...


# How a route fails, for the pipeline:
#
# * ``check`` may return ``Problem`` strings instead of plain ``str`` to say a problem came from a
#   guardrail: ``Problem("refund exceeds the order total", guardrail="Refund within order total")``.
#   Plain strings are treated as schema/validation problems.
# * ``Router.complete`` (itself a ``Model``) raises, after recording every attempt:
#     - ``ModelsExhausted`` (a ``RoutingExhausted``, 502): every model of the route failed; see
#       its docstring for ``guardrail_only``, which the pipeline maps to 422 ``guardrail_failed``.
#     - ``ModelNotConfigured`` (503): no model of the route could even be called (missing key,
#       unknown provider, empty route). Carries ``attempts`` and ``failures``.
#     - ``ReplayMiss`` (503) from a replaying cassette, unchanged: it must fail loudly.
# * ``request.metadata["input"]``: the validated input as a JSON dict. ``MockModel`` uses it to
#   answer with a spec example's output when the input matches that example.
class CheckResult(list[str]):
    """What a ``Checker`` may return instead of a plain list: the problems, plus the guardrail
    results of the answer (``{"label", "passed", "line"}`` dicts), which the router keeps on the
    attempt for the execution log. ``guardrails`` is None when the guardrails did not run (the
    answer failed the Output model first)."""

    guardrails: tuple[dict[str, Any], ...] | None

    def __init__(self, problems: Sequence[str] = (),
                 guardrails: Sequence[dict[str, Any]] | None = None) -> None:
        super().__init__(problems)
        self.guardrails = None if guardrails is None else tuple(guardrails)

