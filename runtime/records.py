"""Records shared by the execution pipeline, the model layer and the execution log.

A *run* is one execution of a spec revision; an *attempt* is one call to one model inside a run
(a run may retry, repair and fall back). Both are plain frozen dataclasses: cheap to build on the
hot path, and the log store decides how they are stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

RunStatus = Literal[
    "ok",  # answered 200
    "invalid_input",  # 422 before anything ran
    "guardrail_failed",  # guardrail still violated after repair
    "model_error",  # every model of the route failed
    "model_not_configured",  # no key / unknown provider
    "escalated",  # answered, but the decision hands the case to a human
    "no_decision",  # 422: a decision table cannot decide this valid input (no row matched, a
    # `unique` table matched several, or a table could not be evaluated): a gap in the spec
    "error",  # anything else (bug): logged, answered as a typed 500
]

AttemptPurpose = Literal["call", "retry", "repair", "fallback"]


@dataclass(frozen=True, slots=True)
class Attempt:
    provider: str  # "openai", "anthropic", "local", "fake", "mock", "replay"
    model: str  # model name without provider prefix
    purpose: AttemptPurpose
    started_at: float  # unix epoch seconds
    latency_ms: float
    status: Literal["ok", "error"]
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    cost_usd: float | None = None  # None when the price is unknown: never 0 for "unknown"
    error_class: str | None = None  # name of the SpecwrightError subclass
    error: str | None = None  # message, with keys never included
    # The model's raw answer of this attempt (capped, sensitive output values redacted) and the
    # results of the guardrails checked on it: why an answer was rejected stays explainable.
    answer: str | None = None
    guardrails: tuple[dict[str, Any], ...] | None = None
    # Prompt tokens the provider wrote to its prompt cache on this attempt (Anthropic's
    # ``cache_creation_input_tokens``), priced at the cache-write rate; part of ``input_tokens``.
    cache_write_tokens: int | None = None
    # The provider batch (``specwright run --batch-api``) that served this attempt, by the
    # provider's batch id; None for a live call. Such an attempt is priced at the batch rate.
    batch_id: str | None = None


class EncodedColumns(NamedTuple):
    """JSON texts of a run's values that the pipeline already holds (it remembers them per
    revision, ``specwright.runtime.engine.run_plan``): the log stores these instead of encoding the values again.
    Each is exactly ``specwright.runtime.jsontext.dumps`` of the record's value, or None (encode it).
    (A named tuple: built on every run, and cheaper to build than a frozen dataclass.)"""

    output: str | None = None
    rule_trace: str | None = None
    guardrails: str | None = None


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: str  # ULID: sortable by creation time
    spec: str
    revision: int
    major: int
    created_at: float  # unix epoch seconds
    status: RunStatus
    latency_ms: float
    input: dict[str, Any] | None  # sensitive fields already redacted
    output: dict[str, Any] | None  # sensitive fields already redacted
    error: dict[str, Any] | None = None  # {"type", "message", "details"}
    model: str | None = None  # "provider:model" that produced the answer
    mock: bool = False
    rule_trace: tuple[dict[str, Any], ...] = ()  # [{"table", "rows": [n...], "line"}]
    guardrails: tuple[dict[str, Any], ...] = ()  # [{"label", "passed", "line"}]
    attempts: tuple[Attempt, ...] = field(default_factory=tuple)
    key_id: str | None = None  # the API key that made the run (its id, never the key)
    # Served from the answer cache: the id of the run whose answer was returned (no model call).
    cached_from: str | None = None
    # Not part of the run: texts the log may use instead of encoding (see EncodedColumns).
    encoded: EncodedColumns | None = field(default=None, compare=False, repr=False)

    @property
    def input_tokens(self) -> int:
        return sum(a.input_tokens or 0 for a in self.attempts)

    @property
    def output_tokens(self) -> int:
        return sum(a.output_tokens or 0 for a in self.attempts)

    @property
    def cost_usd(self) -> float | None:
        """Summed over every attempt; None if any attempt's price is unknown."""
        total = 0.0
        for a in self.attempts:
            if a.cost_usd is None:
                return None
            total += a.cost_usd
        return total


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0  # every prompt token, cached ones included
    output_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens read from the provider's prompt cache
    cache_write_tokens: int = 0  # prompt tokens written to it (Anthropic), priced higher


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
