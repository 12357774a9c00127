"""Client-side rate limits: calls are scheduled to stay under a deployment's limits instead of
retrying into 429s.

Each (deployment, model) has one ``Limiter`` per process (``LIMITERS``), shared by every route,
request and batch line that calls it. A limiter holds two GCRA schedules (the generic cell rate
algorithm: a token bucket written as one "theoretical arrival time"):

* requests per minute: each call costs 1;
* tokens per minute: each call costs its estimate (prompt characters / 4 + the answer's token
  bound), corrected with the usage reported once it answered.

A call waits until both schedules admit it. The burst each schedule allows is a small share of
the limit (``burst_s`` seconds' worth), because providers enforce per-minute limits over shorter
windows too. Limits come from the deployment's configuration and are learned from the
provider's headers (``rate_limit_headers.py``): a lower advertised limit replaces the configured
one, "remaining 0 until reset" holds every call until the reset, and a 429's ``retry-after``
pauses every call of that model, not only the one that got it.

Clock and sleep are injectable, so the scheduler's timing is tested on a fake clock.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from specwright.runtime.models.rate_limit_headers import Observed

__all__ = ["LIMITERS", "Gcra", "Limiter", "LimiterRegistry", "Limits"]

DEFAULT_BURST_S = 0.25  # the burst a schedule allows, in seconds of its limit


@dataclass(frozen=True, slots=True)
class Limits:
    """Configured limits of one deployment; None: not limited (until learned)."""

    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    burst_s: float = DEFAULT_BURST_S
    pause_cap_s: float = 30.0  # the longest hold a header may ask for (routing.retry_after_cap_s)


class Gcra:
    """One per-minute limit as a schedule: ``reserve(cost)`` returns when the cost may be spent.

    ``tat`` (theoretical arrival time) is when the schedule is empty again; a cost is admitted
    once ``tat + cost·interval - now`` fits within the burst tolerance. Reservations are taken
    in call order, so concurrent callers are spaced evenly rather than racing.
    """

    __slots__ = ("burst", "burst_s", "interval", "per_minute", "tat")

    def __init__(self, per_minute: float, burst_s: float = DEFAULT_BURST_S) -> None:
        self.burst_s = burst_s
        self.tat = 0.0
        self._set(per_minute)

    def _set(self, per_minute: float) -> None:
        self.per_minute = per_minute
        self.interval = 60.0 / per_minute
        self.burst = max(1.0, per_minute / 60.0 * self.burst_s)  # in units of cost

    def reserve(self, now: float, cost: float = 1.0) -> float:
        """Book ``cost`` and return the time at which it may be spent (``>= now``)."""
        tat = max(self.tat, now)
        new_tat = tat + cost * self.interval
        tolerance = max(self.burst, cost) * self.interval
        self.tat = new_tat
        return max(now, new_tat - tolerance)

    def refund(self, cost: float) -> None:
        """Give back part of a booked cost (negative: charge more), once the real cost is known."""
        self.tat -= cost * self.interval

    def retune(self, per_minute: float) -> None:
        """A new limit; what is booked stays booked, at the new pace from now on."""
        if per_minute != self.per_minute:
            self._set(per_minute)  # the backlog keeps its end time (``tat``)


class Limiter:
    """Admits the calls of one (deployment, model) to stay under its limits."""

    def __init__(
        self,
        name: str,
        limits: Limits = Limits(),
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.name = name
        self.configured = limits
        self._clock = clock
        self._sleep = sleep
        self.requests = _schedule(limits.requests_per_minute, limits.burst_s)
        self.tokens = _schedule(limits.tokens_per_minute, limits.burst_s)
        self.paused_until = 0.0
        self.waited_s = 0.0  # total time calls were held (for progress and the bench)
        self.admitted = 0
        self.rate_limited = 0  # 429s reported back
        self.latency_s: float | None = None  # moving average of a call, waits excluded

    def observe_latency(self, seconds: float) -> None:
        """How long a call took once admitted: how many calls in flight the limit allows."""
        self.latency_s = seconds if self.latency_s is None else (
            0.9 * self.latency_s + 0.1 * seconds)

    @property
    def requests_per_second(self) -> float | None:
        return None if self.requests is None else self.requests.per_minute / 60.0

    @property
    def limited(self) -> bool:
        return self.requests is not None or self.tokens is not None

    async def acquire(self, estimated_tokens: int, deadline: float | None = None) -> bool:
        """Wait until a call estimated at ``estimated_tokens`` may be sent. False, at once and
        with nothing booked, when it would have to wait past ``deadline`` (a ``clock`` time; a
        call that need not wait always goes, the router judges its deadline)."""
        now = self._clock()
        at = max(now, self.paused_until)
        booked_requests = self.requests.reserve(now, 1.0) if self.requests is not None else now
        booked_tokens = (self.tokens.reserve(now, float(estimated_tokens))
                         if self.tokens is not None else now)
        at = max(at, booked_requests, booked_tokens)
        if deadline is not None and at > now and at > deadline:
            if self.requests is not None:
                self.requests.refund(1.0)
            if self.tokens is not None:
                self.tokens.refund(float(estimated_tokens))
            return False
        self.admitted += 1
        while True:  # a pause learned while waiting (a 429 elsewhere) holds this call too
            wait = at - self._clock()
            if wait <= 0:
                return True
            self.waited_s += wait
            await self._sleep(wait)
            at = max(at, self.paused_until)

    def settle(self, estimated_tokens: int, actual_tokens: int | None) -> None:
        """Correct the token schedule with what the call really used."""
        if self.tokens is not None and actual_tokens is not None:
            self.tokens.refund(float(estimated_tokens - actual_tokens))

    def pause(self, seconds: float) -> None:
        """Hold every call for ``seconds`` (a 429's retry-after, or "remaining 0 until reset"),
        at most ``pause_cap_s``."""
        hold = min(max(0.0, seconds), self.configured.pause_cap_s)
        self.paused_until = max(self.paused_until, self._clock() + hold)

    def learn(self, observed: Observed) -> None:
        """Adopt what the provider's headers say (see ``rate_limit_headers.Observed``)."""
        if observed.retry_after is not None:
            self.rate_limited += 1
            self.pause(observed.retry_after)
        refused = observed.retry_after is not None
        new_requests, new_tokens = self.requests is None or refused, self.tokens is None or refused
        self.requests = _adopt(self.requests, self.configured.requests_per_minute,
                               observed.limit_requests, observed.window_requests_s,
                               self.configured.burst_s)
        self.tokens = _adopt(self.tokens, self.configured.tokens_per_minute,
                             observed.limit_tokens, observed.window_tokens_s,
                             self.configured.burst_s)
        now = self._clock()
        # A limit just learned, or a refusal, puts the schedule where the provider's is (its
        # budget is whole again at ``reset``): calls sent before it was known used some of it.
        cap = self.configured.pause_cap_s
        if new_requests and self.requests is not None and observed.reset_requests_s:
            self.requests.tat = max(self.requests.tat, now + min(observed.reset_requests_s, cap))
        if new_tokens and self.tokens is not None and observed.reset_tokens_s:
            self.tokens.tat = max(self.tokens.tat, now + min(observed.reset_tokens_s, cap))
        if observed.remaining_requests == 0 and observed.reset_requests_s:
            self.pause(observed.reset_requests_s)
        if observed.remaining_tokens == 0 and observed.reset_tokens_s:
            self.pause(observed.reset_tokens_s)


def _schedule(per_minute: float | None, burst_s: float) -> Gcra | None:
    return Gcra(per_minute, burst_s) if per_minute else None


def _adopt(current: Gcra | None, configured: float | None, advertised: int | None,
           window_s: float | None, burst_s: float) -> Gcra | None:
    """The schedule after a header advertised ``advertised`` per ``window_s`` (a minute unless
    told): the lower of that and the configured limit."""
    if not advertised:
        return current
    per_minute = advertised * 60.0 / window_s if window_s else float(advertised)
    if configured:
        per_minute = min(per_minute, configured)
    if current is None:
        return Gcra(per_minute, burst_s)
    current.retune(per_minute)
    return current


class LimiterRegistry:
    """One ``Limiter`` per (deployment, model, endpoint) for the whole process."""

    def __init__(self) -> None:
        self._limiters: dict[tuple[str, str, str], Limiter] = {}

    def get(self, provider: str, model: str, base_url: str, limits: Limits) -> Limiter:
        key = (provider, model, base_url)
        limiter = self._limiters.get(key)
        if limiter is None or limiter.configured != limits:
            limiter = self._limiters[key] = Limiter(f"{provider}:{model}", limits)
        return limiter

    def find(self, ref: str) -> Limiter | None:
        """The limiter of ``ref`` (the latest endpoint's, if it moved)."""
        provider, _, model = ref.partition(":")
        found = [lim for (p, m, _), lim in self._limiters.items() if (p, m) == (provider, model)]
        return found[-1] if found else None

    def clear(self) -> None:
        self._limiters.clear()


LIMITERS = LimiterRegistry()


def ideal_seconds(calls: int, requests_per_minute: float) -> float:
    """How long ``calls`` take at exactly the limit (what a scheduled batch is measured against)."""
    return max(0, calls - 1) * 60.0 / requests_per_minute if requests_per_minute > 0 else math.inf
