"""Sampling settings and the token bound of a request: what each provider is sent.

Three places can set them, the most specific winning: the spec's front matter (carried by the
``ModelRequest``), the deployment (``[deployments.X]`` in ``specwright.toml``), and the defaults
here: temperature 0, because a decision should come out the same for the same input.

``max_tokens`` is different: every request carries a bound derived from its Output schema
(``output_budget``), so no answer can run on for thousands of tokens and hold a local server
for minutes; a spec may set its own, a deployment's ``max_tokens`` caps it, and a known context
window caps it again (prompt included). Only what a provider accepts is sent
(``Accepts``): a key it does not know may be refused, or silently mean something else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from specwright.runtime.models.base import ModelRequest

__all__ = [
    "DEFAULT_TEMPERATURE", "MIN_OUTPUT_TOKENS", "Accepts", "Sampling", "output_budget",
    "sampling_body",
]

DEFAULT_TEMPERATURE = 0.0
MIN_OUTPUT_TOKENS = 64  # never ask for fewer: a JSON object needs room for its braces and keys
_SLACK = 2.0  # the schema estimate is rough; whitespace and wording vary by model
_EXTRA = 48


@dataclass(frozen=True, slots=True)
class Sampling:
    """A deployment's settings (None: not set there)."""

    temperature: float | None = None
    seed: int | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    context_window: int | None = None


@dataclass(frozen=True, slots=True)
class Accepts:
    """Which sampling keys a provider's API takes."""

    temperature: bool = True
    seed: bool = True
    top_p: bool = True


def output_budget(schema: dict[str, Any]) -> int:
    """A token bound for an answer to ``schema``: twice the shape's estimate, plus room.

    The estimate is the one the ``cheapest`` strategy uses (enum values, ``maxLength``,
    ``maxItems`` of the schema), so a schema with long free-text fields gets a larger bound.
    """
    from specwright.runtime.models.route_strategies import output_tokens

    return max(MIN_OUTPUT_TOKENS, int(output_tokens(schema) * _SLACK) + _EXTRA)


def _prompt_tokens(request: ModelRequest) -> int:
    chars = sum(len(m.content) for m in request.messages)
    return (chars + len(json.dumps(request.output_schema))) // 3  # generous: ~3 chars per token


def max_tokens_for(request: ModelRequest, sampling: Sampling) -> int:
    """The request's bound, capped by the deployment's ``max_tokens`` and context window."""
    bound = request.max_tokens if request.max_tokens is not None else output_budget(
        request.output_schema)
    if sampling.max_tokens is not None:
        bound = min(bound, sampling.max_tokens)
    if sampling.context_window is not None:
        room = sampling.context_window - _prompt_tokens(request)
        bound = min(bound, max(MIN_OUTPUT_TOKENS, room))
    return bound


def sampling_body(request: ModelRequest, sampling: Sampling, accepts: Accepts) -> dict[str, Any]:
    """``temperature``, ``seed`` and ``top_p`` to send: request, else deployment, else default."""
    body: dict[str, Any] = {}
    if accepts.temperature:
        t = request.temperature if request.temperature is not None else sampling.temperature
        body["temperature"] = DEFAULT_TEMPERATURE if t is None else t
    if accepts.seed:
        seed = request.seed if request.seed is not None else sampling.seed
        if seed is not None:
            body["seed"] = seed
    if accepts.top_p:
        top_p = request.top_p if request.top_p is not None else sampling.top_p
        if top_p is not None:
            body["top_p"] = top_p
    return body
