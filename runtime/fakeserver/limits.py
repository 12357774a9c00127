"""Rate limits of the fake server, enforced like the providers do, with their headers.

Per ``api:model``, requests per minute and tokens per minute (a request's tokens: its prompt
estimate plus its ``max_tokens``/``max_completion_tokens``, as OpenAI counts them at admission).
Each limit is a GCRA schedule allowing a burst of ``burst_s`` seconds' worth of the limit:
providers enforce per-minute limits over shorter windows too (60,000 requests a minute may be
refused as more than 1,000 in one second). A request over a limit gets a 429 with the vendor's
headers and nothing else happens; every answered request carries the limit headers too:

* OpenAI: ``x-ratelimit-{limit,remaining,reset}-{requests,tokens}``, resets as Go durations;
* Anthropic: ``anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}``, resets in RFC 3339;
* both: ``retry-after`` (whole seconds, rounded up) on a 429.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

Headers = tuple[tuple[str, str], ...]


@dataclass(slots=True)
class _Window:
    per_minute: float
    burst_s: float
    tat: float = 0.0

    @property
    def interval(self) -> float:
        return 60.0 / self.per_minute

    @property
    def tolerance(self) -> float:
        return max(1.0, self.per_minute / 60.0 * self.burst_s) * self.interval

    def wait(self, now: float, cost: float) -> float:
        """Seconds until ``cost`` conforms (0: now)."""
        new_tat = max(self.tat, now) + cost * self.interval
        tolerance = max(self.tolerance, cost * self.interval)
        return max(0.0, new_tat - tolerance - now)

    def take(self, now: float, cost: float) -> None:
        self.tat = max(self.tat, now) + cost * self.interval

    def remaining(self, now: float) -> int:
        return max(0, math.floor((self.tolerance - max(0.0, self.tat - now)) / self.interval))

    def reset_s(self, now: float) -> float:
        return max(0.0, self.tat - now)


class RateLimiter:
    """The fake's limits for every ``api:model`` it serves."""

    def __init__(self, rpm: float | None, tpm: float | None, burst_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self.rpm, self.tpm, self.burst_s = rpm, tpm, burst_s
        self._clock, self._wall = clock, wall
        self._windows: dict[str, tuple[_Window | None, _Window | None]] = {}

    @property
    def active(self) -> bool:
        return bool(self.rpm or self.tpm)

    def admit(self, api: str, key: str, tokens: int) -> tuple[bool, Headers]:
        """(admitted, headers to send). A refused request takes nothing from the limits."""
        windows = self._windows.get(key)
        if windows is None:
            windows = self._windows[key] = (
                _Window(self.rpm, self.burst_s) if self.rpm else None,
                _Window(self.tpm, self.burst_s) if self.tpm else None)
        requests, token_window = windows
        now = self._clock()
        wait = max(requests.wait(now, 1.0) if requests else 0.0,
                   token_window.wait(now, float(tokens)) if token_window else 0.0)
        admitted = wait <= 0.0
        if admitted:
            if requests:
                requests.take(now, 1.0)
            if token_window:
                token_window.take(now, float(tokens))
        headers = HEADERS[api](requests, token_window, now, self._wall())
        if not admitted:
            headers += (("retry-after", str(max(1, math.ceil(wait)))),)
        return admitted, headers


def _go(seconds: float) -> str:
    """A Go duration as OpenAI writes it: ``6m0s``, ``1s``, ``120ms``."""
    if seconds < 1:
        return f"{max(1, round(seconds * 1000))}ms"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}m{rest:g}s" if minutes else f"{rest:.3g}s"


def _openai(req: _Window | None, tok: _Window | None, now: float, wall: float) -> Headers:
    out: list[tuple[str, str]] = []
    for name, w in (("requests", req), ("tokens", tok)):
        if w is not None:
            out += [(f"x-ratelimit-limit-{name}", f"{w.per_minute:g}"),
                    (f"x-ratelimit-remaining-{name}", str(w.remaining(now))),
                    (f"x-ratelimit-reset-{name}", _go(w.reset_s(now)))]
    return tuple(out)


def _anthropic(req: _Window | None, tok: _Window | None, now: float, wall: float) -> Headers:
    out: list[tuple[str, str]] = []
    for name, w in (("requests", req), ("tokens", tok)):
        if w is not None:
            reset = dt.datetime.fromtimestamp(wall + w.reset_s(now), dt.UTC)
            out += [(f"anthropic-ratelimit-{name}-limit", f"{w.per_minute:g}"),
                    (f"anthropic-ratelimit-{name}-remaining", str(w.remaining(now))),
                    (f"anthropic-ratelimit-{name}-reset",
                     reset.isoformat(timespec="seconds").replace("+00:00", "Z"))]
    return tuple(out)


HEADERS: dict[str, Callable[[_Window | None, _Window | None, float, float], Headers]] = {
    "openai": _openai,
    "anthropic": _anthropic,
}


def requested_tokens(request: dict[str, object], body_bytes: int) -> int:
    """What a request counts against a tokens-per-minute limit: prompt + its answer bound."""
    bound = request.get("max_completion_tokens") or request.get("max_tokens") or 0
    return max(1, body_bytes // 4) + (int(bound) if isinstance(bound, (int, float)) else 0)
