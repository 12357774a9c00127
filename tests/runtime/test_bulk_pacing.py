"""How many lines ``specwright run`` keeps in flight (``engine/bulk.Pacer``)."""

from __future__ import annotations

from specwright.runtime.engine.bulk import MAX_AUTO_CONCURRENCY, Pacer
from specwright.runtime.models.rate_limit_headers import Observed
from specwright.runtime.models.rate_limits import Limiter, Limits


def test_the_window_follows_the_limit_and_the_measured_latency() -> None:
    limiter = Limiter("p:m", Limits(requests_per_minute=6000))
    pacer = Pacer(lambda: [limiter])
    assert pacer() == 100 * 1 * 2 + 2  # before any answer: one second assumed
    for _ in range(200):
        limiter.observe_latency(0.25)
    assert pacer() == 100 * 0.25 * 2 + 2  # 25 calls in flight keep up with 100 a second
    limiter.observe_latency(30.0)
    assert pacer() == MAX_AUTO_CONCURRENCY  # never more than the ceiling


def test_without_a_known_limit_the_window_is_the_fallback_until_one_is_learned() -> None:
    limiter = Limiter("p:m", Limits())
    pacer = Pacer(lambda: [limiter], fallback=4)
    assert pacer() == 4
    limiter.learn(Observed(limit_requests=600))
    limiter.observe_latency(1.0)
    assert pacer() == 10 * 1 * 2 + 2
    assert Pacer(lambda: [limiter], fixed=7)() == 7  # --concurrency 7
    assert Pacer(list)() == 4  # a rules-only spec: no model, no limit
