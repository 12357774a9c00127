"""Whether a run is traced: decided once, at its start, before anything of OpenTelemetry runs.

The rules are the OpenTelemetry SDK's samplers, applied to ids of our own so that a run that is
not sampled costs a decrement or a comparison and nothing else (no span, no context, no SDK call):

* parent-based (the SDK's default, ``parentbased_*``): a caller's valid W3C ``traceparent``
  decides by its sampled flag, and its trace continues; without one, the root rule decides;
* ``traceidratio``: sampled when the low 64 bits of the trace id are below
  ``ratio * 2**64`` (the SDK's ``TraceIdRatioBased``, so every service sampling at the same ratio
  keeps the same traces). A run that starts its trace is kept with that probability, each run
  independently, and the trace id it is given then reads as kept by that rule. The draws are
  not made per run: the number of runs to pass over before the next one kept is drawn once per
  kept run (geometric, which makes the same Bernoulli process), so a run passed over costs one
  decrement (a random draw per run, between two runs, reaches the generator's state from a cold
  cache: docs/performance.md);
* ``always_on`` / ``always_off``: ratio 1 and 0.

``OTEL_TRACES_SAMPLER`` and ``OTEL_TRACES_SAMPLER_ARG`` choose, as they do for the SDK.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field

TRACE_ID_LIMIT = (1 << 64) - 1
# The W3C trace-context header (version 00, and the future-version rule: a longer value whose
# first four fields parse); the same pattern as the SDK's TraceContextTextMapPropagator.
_TRACEPARENT = re.compile(
    r"^[ \t]*([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?[ \t]*$")

# OTEL_TRACES_SAMPLER -> (parent-based, ratio; None: OTEL_TRACES_SAMPLER_ARG)
SAMPLERS: dict[str, tuple[bool, float | None]] = {
    "always_on": (False, 1.0),
    "always_off": (False, 0.0),
    "traceidratio": (False, None),
    "parentbased_always_on": (True, 1.0),
    "parentbased_always_off": (True, 0.0),
    "parentbased_traceidratio": (True, None),
}


def parse_traceparent(header: str) -> tuple[int, int, bool] | None:
    """(trace id, parent span id, sampled) of a valid ``traceparent``; None when invalid."""
    match = _TRACEPARENT.match(header)
    if match is None:
        return None
    version, trace_hex, span_hex, flags_hex, rest = match.groups()
    if version == "ff" or (version == "00" and rest):
        return None
    trace_id, span_id = int(trace_hex, 16), int(span_hex, 16)
    if trace_id == 0 or span_id == 0:
        return None
    return trace_id, span_id, bool(int(flags_hex, 16) & 1)


@dataclass(slots=True)
class Sampling:
    """A sampling rule and, for runs that start their trace, the count of runs still to pass
    over (decided on the event loop's thread, one run at a time)."""

    ratio: float = 1.0
    parent_based: bool = True
    bound: int = field(init=False)  # TraceIdRatioBased's: sampled when low 64 bits < bound
    skip: int = field(init=False, compare=False, repr=False)  # -1: none is ever kept

    def __post_init__(self) -> None:
        self.bound = round(self.ratio * (TRACE_ID_LIMIT + 1))
        self.skip = self._gap()

    def _gap(self) -> int:
        """Runs to pass over before the next one kept: P(gap >= k) = (1 - p)**k."""
        if self.bound > TRACE_ID_LIMIT:
            return 0
        if self.bound <= 0:
            return -1
        keep = self.bound / (TRACE_ID_LIMIT + 1)
        return int(math.log(1.0 - random.random()) / math.log1p(-keep))

    def decide(self, traceparent: str | None) -> tuple[int, int] | None:
        """(trace id, caller's span id or 0) when the run is traced; None when it is not."""
        parent = parse_traceparent(traceparent) if traceparent else None
        if parent is not None:
            trace_id, span_id, sampled = parent
            if self.parent_based:
                return (trace_id, span_id) if sampled else None
            return (trace_id, span_id) if trace_id & TRACE_ID_LIMIT < self.bound else None
        skip = self.skip
        if skip:
            if skip > 0:
                self.skip = skip - 1
            return None
        self.skip = self._gap()
        low = random.randrange(min(self.bound, TRACE_ID_LIMIT + 1))  # kept by the ratio rule
        return (random.getrandbits(64) << 64 | low) or 1, 0


def sampling_from_env(env: dict[str, str]) -> Sampling:
    """The sampler ``OTEL_TRACES_SAMPLER`` (default ``parentbased_always_on``) names."""
    name = env.get("OTEL_TRACES_SAMPLER", "").strip().lower() or "parentbased_always_on"
    if name not in SAMPLERS:
        raise RuntimeError(
            f"OTEL_TRACES_SAMPLER={name!r} is not a sampler Specwright's traces know; "
            f"use one of: {', '.join(SAMPLERS)}")
    parent_based, ratio = SAMPLERS[name]
    if ratio is None:
        arg = env.get("OTEL_TRACES_SAMPLER_ARG", "1.0").strip() or "1.0"
        try:
            ratio = float(arg)
        except ValueError:
            ratio = -1.0
        if not 0.0 <= ratio <= 1.0:
            raise RuntimeError(
                f"OTEL_TRACES_SAMPLER_ARG={arg!r} is not a ratio: give a number from 0 to 1 "
                "(0.05 traces one run in twenty)")
    return Sampling(ratio=ratio, parent_based=parent_based)
