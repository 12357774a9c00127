"""What the fake model server answers: latency, the fault mix, the answers it builds.

A ``FaultMix`` maps each fault kind to the probability that one model request gets it; the rest
of the requests are answered normally. Faults are drawn from a ``random.Random(seed)`` in the
order requests arrive, so a sequential client sees the same faults on every run.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

from specwright.runtime.fakeserver.dialects import DIALECTS

FaultKind = Literal[
    "rate_limit",  # 429 with Retry-After
    "server_error",  # 500
    "timeout",  # never answers (until hang_s): the client's timeout fires
    "reset",  # the connection is aborted with a TCP RST, no response
    "malformed",  # 200, the answer text is truncated JSON
    "schema_invalid",  # 200, valid JSON that does not match the requested schema
    "bad_answer",  # 200, the configured ``bad_answer`` merged into a valid answer
    "truncated_body",  # 200, the HTTP body itself is cut-off JSON (a proxy or upstream failure)
]
FAULT_KINDS: tuple[FaultKind, ...] = (
    "rate_limit", "server_error", "timeout", "reset", "malformed", "schema_invalid", "bad_answer",
    "truncated_body",
)
ALIASES: Mapping[str, FaultKind] = MappingProxyType({
    "429": "rate_limit", "500": "server_error", "hang": "timeout", "connection_reset": "reset",
    "invalid": "schema_invalid", "guardrail": "bad_answer", "truncated": "truncated_body",
})
OK: Literal["ok"] = "ok"


def fault_kind(name: str) -> FaultKind:
    """A fault kind by name or alias (``429``, ``500``, ``hang``...); ValueError names them all."""
    key = name.strip().lower().replace("-", "_")
    if key in ALIASES:
        return ALIASES[key]
    for kind in FAULT_KINDS:
        if kind == key:
            return kind
    raise ValueError(f"unknown fault kind {name!r}: use one of {', '.join(FAULT_KINDS)}")


@dataclass(frozen=True, slots=True)
class FaultMix:
    """Probability of each fault kind per model request (their sum is at most 1)."""

    rates: Mapping[FaultKind, float] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        for kind, rate in self.rates.items():
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {kind!r}")
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"fault rate of {kind} must be within 0..1, not {rate}")
        if sum(self.rates.values()) > 1.0 + 1e-9:
            raise ValueError("the fault rates add up to more than 1")
        object.__setattr__(self, "rates", MappingProxyType(dict(self.rates)))

    @classmethod
    def uniform(cls, rate: float, kinds: Iterable[str]) -> FaultMix:
        """``rate`` of all requests fail, split equally over ``kinds``."""
        chosen = tuple(dict.fromkeys(fault_kind(k) for k in kinds))
        if not chosen or rate <= 0:
            return cls()
        return cls({k: rate / len(chosen) for k in chosen})

    @classmethod
    def parse(cls, text: str) -> FaultMix:
        """``"429=0.1,500=0.05,reset=0.02"``: explicit rates per kind."""
        rates: dict[FaultKind, float] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"expected kind=rate, got {part!r}")
            rates[fault_kind(name)] = rates.get(fault_kind(name), 0.0) + float(value)
        return cls(rates)

    @property
    def total(self) -> float:
        return sum(self.rates.values())

    def draw(self, rng: random.Random) -> FaultKind | Literal["ok"]:
        """One outcome; consumes exactly one random number whatever the mix."""
        x = rng.random()
        for kind in FAULT_KINDS:
            rate = self.rates.get(kind, 0.0)
            if x < rate:
                return kind
            x -= rate
        return OK


@dataclass(frozen=True, slots=True)
class FakeConfig:
    """Everything the fake server does; ``FakeServer.configure`` swaps it while serving."""

    latency_ms: float = 0.0  # added before every model response (faults included, not hangs)
    jitter_ms: float = 0.0  # uniform extra latency in 0..jitter_ms
    faults: FaultMix = field(default_factory=FaultMix)
    seed: int = 0
    retry_after_s: float = 1.0  # the Retry-After header of a 429
    hang_s: float = 300.0  # a "timeout" fault closes the connection after this long
    answer: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    bad_answer: Mapping[str, Any] | None = None  # merged into a valid answer for "bad_answer"
    # Rate limits per api:model (limits.py): None: not limited. A request over one gets a 429
    # with the vendor's headers; burst: seconds' worth of a limit admitted at once.
    rpm: float | None = None
    tpm: float | None = None
    rate_burst_s: float = 1.0
    batch_s: float = 0.0  # a batch (either provider's batch API) ends this long after creation
    dialect: str = "generic"  # which real server's request parsing to emulate (dialects.py)

    def __post_init__(self) -> None:
        if (self.rpm is not None and self.rpm <= 0) or (self.tpm is not None and self.tpm <= 0) \
                or self.rate_burst_s <= 0:
            raise ValueError("rpm, tpm and rate_burst_s must be positive")
        if self.latency_ms < 0 or self.jitter_ms < 0 or self.hang_s < 0 or self.retry_after_s < 0:
            raise ValueError("latency, jitter, hang and retry-after must not be negative")
        if self.dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {self.dialect!r}: use one of {', '.join(DIALECTS)}")
        if self.faults.rates.get("bad_answer") and self.bad_answer is None:
            raise ValueError("the bad_answer fault needs a bad_answer payload (--bad-answer JSON)")

    def with_changes(self, changes: Mapping[str, Any]) -> FakeConfig:
        """A copy with JSON-ish changes applied (what ``POST /_fake/config`` accepts)."""
        kw: dict[str, Any] = {}
        for key, value in changes.items():
            if key == "faults":
                kw["faults"] = FaultMix.parse(value) if isinstance(value, str) else FaultMix(
                    {fault_kind(k): float(v) for k, v in dict(value).items()})
            elif key in ("latency_ms", "jitter_ms", "retry_after_s", "hang_s", "rate_burst_s",
                         "batch_s"):
                kw[key] = float(value)
            elif key in ("rpm", "tpm"):
                kw[key] = None if value is None else float(value)
            elif key == "seed":
                kw[key] = int(value)
            elif key == "dialect":
                kw[key] = str(value)
            elif key in ("answer", "bad_answer"):
                kw[key] = None if value is None else _object(value, key)
            else:
                raise ValueError(f"unknown setting {key!r}")
        return replace(self, **kw)

    def as_dict(self) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms, "jitter_ms": self.jitter_ms,
            "faults": dict(self.faults.rates), "seed": self.seed,
            "retry_after_s": self.retry_after_s, "hang_s": self.hang_s,
            "answer": dict(self.answer),
            "bad_answer": None if self.bad_answer is None else dict(self.bad_answer),
            "rpm": self.rpm, "tpm": self.tpm, "rate_burst_s": self.rate_burst_s,
            "batch_s": self.batch_s,
            "dialect": self.dialect,
        }


def _object(value: Any, what: str) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a JSON object")
    return value
