"""Per-model routing state (in flight, latency, circuit breaker) and the routing strategies.

A strategy only *orders* the candidates of a route for one run; the router then tries them in
that order (fallback). Strategies are looked up by name in ``STRATEGIES``.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from specwright.runtime.models.base import Model, ModelRequest
from specwright.runtime.models.pricing import ModelPrice

__all__ = ["STRATEGIES", "Candidate", "estimate_tokens", "output_tokens"]

EMA_ALPHA = 0.3


@dataclass(slots=True, eq=False)
class Candidate:
    """One model of a route and what the router has observed about it (per Router instance)."""

    model: Model
    ref: str  # "provider:model"
    provider: str
    model_name: str
    weight: float = 1.0
    price: ModelPrice | None = None
    context_window: int | None = None
    in_flight: int = 0
    latency_ema: float | None = None  # seconds, successful transport calls only
    failures: int = 0  # consecutive transport/fatal failures
    cooling_until: float = 0.0

    def cooling(self, now: float) -> bool:
        return now < self.cooling_until

    def succeeded(self, latency_s: float) -> None:
        self.failures = 0
        self.cooling_until = 0.0
        ema = self.latency_ema
        self.latency_ema = latency_s if ema is None else EMA_ALPHA * latency_s + (1 - EMA_ALPHA) * ema

    def failed(self, now: float, threshold: int, cooldown_s: float) -> bool:
        """Count a failure; True when the breaker is (still) open afterwards."""
        self.failures += 1
        if self.failures >= threshold:
            self.cooling_until = now + cooldown_s
            return True
        return False


Order = Callable[[Sequence[Candidate], ModelRequest, random.Random], list[Candidate]]


def _fallback(cands: Sequence[Candidate], request: ModelRequest, rng: random.Random) -> list[Candidate]:
    return list(cands)


def _weighted(cands: Sequence[Candidate], request: ModelRequest, rng: random.Random) -> list[Candidate]:
    """Weighted order without replacement (Efraimidis-Spirakis): weight 2 is first twice as often."""

    def key(c: Candidate) -> float:
        if c.weight <= 0:
            return -1.0
        return float(rng.random() ** (1.0 / c.weight))

    keys = [(key(c), i, c) for i, c in enumerate(cands)]
    keys.sort(key=lambda t: (-t[0], t[1]))
    return [c for _, _, c in keys]


def _least_busy(cands: Sequence[Candidate], request: ModelRequest, rng: random.Random) -> list[Candidate]:
    return sorted(cands, key=lambda c: c.in_flight)


def _cheapest(cands: Sequence[Candidate], request: ModelRequest, rng: random.Random) -> list[Candidate]:
    tokens_in, tokens_out = estimate_tokens(request)

    def cost(c: Candidate) -> float:
        if c.price is None:
            return math.inf
        return tokens_in * c.price.input + tokens_out * c.price.output

    return sorted(cands, key=cost)


def _fastest(cands: Sequence[Candidate], request: ModelRequest, rng: random.Random) -> list[Candidate]:
    return sorted(cands, key=lambda c: -1.0 if c.latency_ema is None else c.latency_ema)


STRATEGIES: dict[str, Order] = {
    "fallback": _fallback,
    "weighted": _weighted,
    "least-busy": _least_busy,
    "cheapest": _cheapest,
    "fastest": _fastest,
}


# --------------------------------------------------------------------------- token estimates

_out_cache: dict[int, tuple[dict[str, Any], int, int]] = {}


def estimate_tokens(request: ModelRequest) -> tuple[int, int]:
    """(prompt, output) tokens, roughly: characters / 4, and the output from the schema's shape."""
    schema = request.output_schema
    hit = _out_cache.get(id(schema))
    if hit is None or hit[0] is not schema:
        if len(_out_cache) > 512:
            _out_cache.clear()
        hit = (schema, len(json.dumps(schema)) // 4, _output_tokens(schema, 0))
        _out_cache[id(schema)] = hit
    chars = sum(len(m.content) for m in request.messages)
    return chars // 4 + hit[1], hit[2]


def output_tokens(schema: dict[str, Any]) -> int:
    """Output tokens an answer to ``schema`` takes, roughly, from the schema's shape."""
    return _output_tokens(schema, 0)


def _output_tokens(node: Any, depth: int) -> int:
    if not isinstance(node, dict) or depth > 12:
        return 2
    if "enum" in node:
        return 1 + max((len(str(v)) // 4 for v in node["enum"]), default=1)
    variants = node.get("anyOf") or node.get("oneOf")
    if variants:
        return max(_output_tokens(v, depth + 1) for v in variants)
    props = node.get("properties")
    if isinstance(props, dict):
        return 2 + sum(len(k) // 4 + 2 + _output_tokens(v, depth + 1) for k, v in props.items())
    kind = node.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if kind == "array":
        count = min(int(node.get("maxItems") or node.get("minItems") or 3), 10)
        return 2 + count * _output_tokens(node.get("items"), depth + 1)
    if kind == "string":
        return min(int(node.get("maxLength") or 80), 2000) // 4 + 1
    return 2
