"""The model interface: one method, a request in, a completion out.

Every provider adapter, the fake, the mock, the replayer and the router implement ``Model``.
The router is itself a ``Model`` that owns retries, repair and fallback across other models.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from runtime.records import Attempt


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
