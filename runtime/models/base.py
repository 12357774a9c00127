"""The model interface: one method, a request in, a completion out.

Every provider adapter, the fake, the mock, the replayer and the router implement ``Model``.
The router is itself a ``Model`` that owns retries, repair and fallback across other models.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from specwright.runtime.errors import ModelNotConfigured, OutputInvalid, RoutingExhausted
from specwright.runtime.records import Attempt


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
    max_tokens: int | None = None
    temperature: float | None = None
    deadline: float | None = None  # absolute time.monotonic() by which the run must finish
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0


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


# ----------------------------------------------------------------------------------------------
# Additions for the model layer (additive: nothing above changes).
#
# What the pipeline needs to know:
#
# * ``check`` may return ``Problem`` strings instead of plain ``str`` to say a problem came from a
#   guardrail: ``Problem("refund exceeds the order total", guardrail="Refund within order total")``.
#   Plain strings are treated as schema/validation problems.
# * ``Router.complete`` (itself a ``Model``) raises, after recording every attempt:
#     - ``ModelsExhausted`` (a ``RoutingExhausted``, 502): every model of the route failed. It
#       carries ``attempts``, ``failures`` (one ``ModelFailure`` per model tried or skipped) and
#       ``last_problems`` (the problems of the last answer that failed ``check``).
#       ``guardrail_only`` is True when every model that could be called answered, and the last
#       answer's only problems were guardrail problems (models skipped by the breaker or lacking a
#       key are ignored): map it to 422 ``guardrail_failed`` using ``guardrail_labels``.
#     - ``ModelsNotConfigured`` (a ``ModelNotConfigured``, 503): no model of the route could even
#       be called (missing key, unknown provider, empty route). Also carries ``attempts``.
#     - ``ReplayMiss`` (503) from a replaying cassette, unchanged: it must fail loudly.
# * ``request.metadata["input"]``: the validated input as a JSON dict. ``MockModel`` uses it to
#   answer with a spec example's output when the input matches that example.
# ----------------------------------------------------------------------------------------------

class Problem(str):
    """A problem returned by a ``Checker``; ``guardrail`` is the label when a guardrail failed."""

    guardrail: str | None

    def __new__(cls, message: str, *, guardrail: str | None = None) -> Problem:
        obj = super().__new__(cls, message)
        obj.guardrail = guardrail
        return obj


def guardrail_of(problem: str) -> str | None:
    """The guardrail label of a problem, or None for a schema/validation problem."""
    return getattr(problem, "guardrail", None)


FailureKind = Literal[
    "output",  # answered, but the answer failed parsing or ``check`` after every repair
    "transport",  # 429 / 5xx / timeout / connection, after every retry
    "rejected",  # 400 / 401 / 403 / 404: the provider refused the request
    "context",  # the prompt does not fit the model's context window
    "not_configured",  # no key, unknown provider
    "cooling",  # skipped: circuit breaker open
    "deadline",  # the run's time budget ran out
]


@dataclass(frozen=True, slots=True)
class ModelFailure:
    """How one model of a route failed, for the error body and the logs."""

    model: str  # "provider:model"
    kind: FailureKind
    message: str  # short, never contains keys

    def as_dict(self) -> dict[str, str]:
        return {"model": self.model, "kind": self.kind, "message": self.message}


class UnparseableOutput(OutputInvalid):
    """A model answered, but the answer is not one JSON object (raised by leaf models).

    Carries the raw ``text`` and the ``usage`` of the call so that the router can count the
    tokens and re-ask the same model with the parse error.
    """

    def __init__(self, message: str, *, text: str = "", usage: Usage | None = None) -> None:
        super().__init__(message)
        self.text = text
        self.usage = usage or Usage()


class ModelsExhausted(RoutingExhausted):
    """Every model of a route failed. See the module notes above for how to map it."""

    def __init__(
        self,
        message: str,
        *,
        attempts: Sequence[Attempt] = (),
        failures: Sequence[ModelFailure] = (),
        last_problems: Sequence[str] = (),
    ) -> None:
        self.attempts: tuple[Attempt, ...] = tuple(attempts)
        self.failures: tuple[ModelFailure, ...] = tuple(failures)
        self.last_problems: tuple[str, ...] = tuple(last_problems)
        details: dict[str, Any] = {"models": [f.as_dict() for f in self.failures]}
        if self.last_problems:
            details["problems"] = [
                {"message": str(p), "guardrail": guardrail_of(p)} for p in self.last_problems
            ]
        super().__init__(message, details)

    @property
    def guardrail_only(self) -> bool:
        """True when the route failed only because answers kept violating guardrails."""
        answered = [f for f in self.failures if f.kind not in ("cooling", "not_configured")]
        return (
            bool(self.last_problems)
            and all(guardrail_of(p) for p in self.last_problems)
            and bool(answered)
            and all(f.kind == "output" for f in answered)
        )

    @property
    def guardrail_labels(self) -> tuple[str, ...]:
        """Labels of the guardrails the last answer violated, in order, without repeats."""
        labels = (guardrail_of(p) for p in self.last_problems)
        return tuple(dict.fromkeys(label for label in labels if label))


class ModelsNotConfigured(ModelNotConfigured):
    """No model of the route could be called: every one lacks a key or is unknown (503)."""

    def __init__(
        self, message: str, *, attempts: Sequence[Attempt] = (), failures: Sequence[ModelFailure] = ()
    ) -> None:
        self.attempts: tuple[Attempt, ...] = tuple(attempts)
        self.failures: tuple[ModelFailure, ...] = tuple(failures)
        super().__init__(message, {"models": [f.as_dict() for f in self.failures]})
