"""The rate-limit scheduler (``models/rate_limits.py``) and what it learns from headers.

Schedules are checked on a virtual clock, against the fake provider's own enforcement
(``fakeserver/limits.py``): what the scheduler lets through, the fake admits.
"""

from __future__ import annotations

import datetime as dt

import pytest
from virtual_time import VirtualTime

from specwright.runtime.fakeserver.limits import RateLimiter
from specwright.runtime.models.rate_limit_headers import Observed, go_duration, observe
from specwright.runtime.models.rate_limits import Gcra, Limiter, Limits, ideal_seconds


@pytest.mark.parametrize(("text", "seconds"), [
    ("6m0s", 360.0), ("1s", 1.0), ("120ms", 0.12), ("1h2m3.5s", 3723.5), ("2.5", 2.5),
    ("0s", 0.0), ("soon", None), ("", None), ("3x", None),
])
def test_go_durations(text: str, seconds: float | None) -> None:
    assert go_duration(text) == pytest.approx(seconds) if seconds is not None else (
        go_duration(text) is None)


def test_openai_headers() -> None:
    seen = observe({"x-ratelimit-limit-requests": "500", "x-ratelimit-limit-tokens": "30000",
                    "x-ratelimit-remaining-requests": "0", "x-ratelimit-remaining-tokens": "299",
                    "x-ratelimit-reset-requests": "120ms", "x-ratelimit-reset-tokens": "6m0s"})
    assert seen == Observed(limit_requests=500, limit_tokens=30000, remaining_requests=0,
                            remaining_tokens=299, reset_requests_s=0.12, reset_tokens_s=360.0)


def test_anthropic_headers_and_retry_after() -> None:
    now = 1_700_000_000.0
    reset = dt.datetime.fromtimestamp(now + 30, dt.UTC).isoformat().replace("+00:00", "Z")
    seen = observe({"anthropic-ratelimit-requests-limit": "50",
                    "anthropic-ratelimit-requests-remaining": "0",
                    "anthropic-ratelimit-requests-reset": reset, "retry-after": "7"},
                   status=429, now=now)
    assert seen is not None
    assert (seen.limit_requests, seen.remaining_requests) == (50, 0)
    assert seen.reset_requests_s == pytest.approx(30.0)
    assert seen.retry_after == 7.0
    assert observe({"retry-after": "7"}) is None  # only a 429's retry-after counts
    assert observe({"content-type": "application/json"}) is None


def test_gcra_spaces_calls_after_its_burst() -> None:
    g = Gcra(6000, burst_s=0.05)  # 100/s, 5 at once
    times = [g.reserve(0.0) for _ in range(10)]
    assert times[:5] == [0.0] * 5
    assert times[5:] == pytest.approx([0.01, 0.02, 0.03, 0.04, 0.05])


async def _bulk(limiter: Limiter, vt: VirtualTime, calls: int, workers: int,
                latency_s: float) -> list[float]:
    """``workers`` tasks make ``calls`` calls; returns when each call was sent."""
    sent: list[float] = []
    remaining = iter(range(calls))

    async def worker() -> None:
        for _ in remaining:
            await limiter.acquire(100)
            sent.append(vt.now)
            await vt.sleep(latency_s)
            limiter.settle(100, 100)

    await vt.run(worker() for _ in range(workers))
    return sent


async def test_ten_thousand_calls_at_6000_per_minute_take_the_ideal_time_and_pass_the_server(
) -> None:
    vt = VirtualTime()
    limiter = Limiter("fake:m", Limits(requests_per_minute=6000), clock=vt.clock, sleep=vt.sleep)
    sent = await _bulk(limiter, vt, 10_000, workers=64, latency_s=0.3)
    ideal = ideal_seconds(10_000, 6000)
    assert ideal == pytest.approx(99.99)
    assert sent[-1] <= ideal * 1.10  # virtual time: the schedule itself, not this machine
    assert sent[-1] >= ideal - limiter.requests.burst * 0.01  # never faster than the limit
    server = RateLimiter(6000, None, burst_s=1.0, clock=vt.clock)
    refused = 0
    for at in sorted(sent):
        vt.now = at
        refused += not server.admit("openai", "openai:m", 1)[0]
    assert refused == 0


async def test_tokens_per_minute_pace_calls_and_usage_corrects_the_estimate() -> None:
    vt = VirtualTime()
    limiter = Limiter("fake:m", Limits(tokens_per_minute=60_000), clock=vt.clock, sleep=vt.sleep)
    # 1,000 tokens a second: calls estimated at 500 tokens go two a second
    for _ in range(5):
        await vt.run([limiter.acquire(500)])
    assert vt.now == pytest.approx(2.0)
    limiter.settle(500, 100)  # the last call used 100: 400 tokens (0.4 s) are given back
    await vt.run([limiter.acquire(400)])
    assert vt.now == pytest.approx(2.1)  # not 2.5, as without the correction


async def test_headers_teach_a_limit_and_a_lower_configured_limit_wins() -> None:
    vt = VirtualTime()
    learned = Limiter("p:m", Limits(), clock=vt.clock, sleep=vt.sleep)
    assert not learned.limited
    learned.learn(Observed(limit_requests=600, limit_tokens=90_000))
    assert learned.requests is not None and learned.requests.per_minute == 600
    assert learned.tokens is not None and learned.tokens.per_minute == 90_000
    capped = Limiter("p:m", Limits(requests_per_minute=100), clock=vt.clock, sleep=vt.sleep)
    capped.learn(Observed(limit_requests=600))
    assert capped.requests is not None and capped.requests.per_minute == 100


async def test_a_429_pauses_every_call_of_the_model_and_remaining_zero_waits_for_reset(
) -> None:
    vt = VirtualTime()
    limiter = Limiter("p:m", Limits(), clock=vt.clock, sleep=vt.sleep)
    limiter.learn(Observed(retry_after=3.0))
    assert limiter.rate_limited == 1
    await vt.run([limiter.acquire(10), limiter.acquire(10)])
    assert vt.now == pytest.approx(3.0)
    limiter.learn(Observed(remaining_requests=0, reset_requests_s=2.0))
    await vt.run([limiter.acquire(10)])
    assert vt.now == pytest.approx(5.0)


async def test_a_call_that_could_only_go_after_its_deadline_is_refused_at_once() -> None:
    vt = VirtualTime()
    limiter = Limiter("p:m", Limits(requests_per_minute=60, burst_s=1.0), clock=vt.clock,
                      sleep=vt.sleep)
    assert await vt.run([limiter.acquire(1, deadline=5.0)]) == [True]  # the burst: now
    assert await vt.run([limiter.acquire(1, deadline=5.0)]) == [True]  # at 1 s
    assert vt.now == pytest.approx(1.0)
    assert await vt.run([limiter.acquire(1, deadline=1.5)]) == [False]  # would be 2 s
    assert vt.now == pytest.approx(1.0)  # not waited for
    # the refused booking was given back: the next call goes at 2 s, not 3 s
    assert await vt.run([limiter.acquire(1, deadline=5.0)]) == [True]
    assert vt.now == pytest.approx(2.0)
