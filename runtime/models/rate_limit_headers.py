"""What providers' response headers say about their rate limits, read into one shape.

* OpenAI (and servers copying it, vLLM gateways, Azure): ``x-ratelimit-limit-requests``,
  ``x-ratelimit-limit-tokens``, ``x-ratelimit-remaining-*``, ``x-ratelimit-reset-*`` as Go
  durations (``"6m0s"``, ``"1s"``, ``"120ms"``).
* Anthropic: ``anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}``, the reset as an
  RFC 3339 time.
* Both: ``retry-after`` (seconds or an HTTP date) and ``retry-after-ms`` on a 429.

One reader per header family (``FAMILIES``); a response may match none (a local server).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from specwright.runtime.models._support import retry_after

__all__ = ["FAMILIES", "Observed", "go_duration", "observe"]


@dataclass(frozen=True, slots=True)
class Observed:
    """Rate-limit facts from one response; None: not said."""

    limit_requests: int | None = None
    limit_tokens: int | None = None
    remaining_requests: int | None = None
    remaining_tokens: int | None = None
    reset_requests_s: float | None = None  # seconds until the request budget is full again
    reset_tokens_s: float | None = None
    retry_after: float | None = None  # only on a 429
    # The window of a limit in seconds when the provider says it (None: a minute)
    window_requests_s: float | None = None
    window_tokens_s: float | None = None

    @property
    def empty(self) -> bool:
        return self == Observed()


_GO_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)")
_GO_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def go_duration(text: str | None) -> float | None:
    """Seconds of a Go duration (``"6m0s"``, ``"1.5s"``, ``"20ms"``); a bare number is seconds."""
    if not text:
        return None
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    parts = _GO_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _GO_UNITS[u] for n, u in parts)


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return max(0, int(float(value)))
    except ValueError:
        return None


def _rfc3339_in(value: str | None, now: float) -> float | None:
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - now)


def _openai(headers: Mapping[str, str], now: float) -> Observed:
    p = "x-ratelimit-"
    return Observed(
        limit_requests=_int(headers, p + "limit-requests"),
        limit_tokens=_int(headers, p + "limit-tokens"),
        remaining_requests=_int(headers, p + "remaining-requests"),
        remaining_tokens=_int(headers, p + "remaining-tokens"),
        reset_requests_s=go_duration(headers.get(p + "reset-requests")),
        reset_tokens_s=go_duration(headers.get(p + "reset-tokens")),
    )


def _anthropic(headers: Mapping[str, str], now: float) -> Observed:
    p = "anthropic-ratelimit-"
    return Observed(
        limit_requests=_int(headers, p + "requests-limit"),
        limit_tokens=_int(headers, p + "tokens-limit"),
        remaining_requests=_int(headers, p + "requests-remaining"),
        remaining_tokens=_int(headers, p + "tokens-remaining"),
        reset_requests_s=_rfc3339_in(headers.get(p + "requests-reset"), now),
        reset_tokens_s=_rfc3339_in(headers.get(p + "tokens-reset"), now),
    )


Reader = Callable[[Mapping[str, str], float], Observed]
# header prefix that marks the family -> its reader
FAMILIES: dict[str, Reader] = {
    "x-ratelimit-": _openai,
    "anthropic-ratelimit-": _anthropic,
}


def observe(headers: Mapping[str, str], *, status: int = 200, now: float | None = None
            ) -> Observed | None:
    """The rate-limit facts in ``headers`` (names lower-case, as httpx gives them); None when
    they say nothing. ``retry-after`` counts only on a 429."""
    wall = time.time() if now is None else now
    found = Observed()
    for prefix, reader in FAMILIES.items():
        if any(name.startswith(prefix) for name in headers):
            found = reader(headers, wall)
            break
    if status == 429:
        wait = retry_after(headers, wall)
        found = replace(found, retry_after=1.0 if wait is None else wait)
    return None if found.empty else found
