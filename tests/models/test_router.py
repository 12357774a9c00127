"""Routing decisions, retries, repair, fallback, breaker, deadline, attempts, tokens and cost."""

from __future__ import annotations

import random
from typing import Any

import pytest
from mdl_support import GOOD, Clock, check_carrier, request, settings

from specwright.compiler.ir import Route, RouteModel
from specwright.runtime.errors import ModelNotConfigured, ModelsExhausted, ReplayMiss
from specwright.runtime.models.base import Completion, Usage
from specwright.runtime.models.fake import (
    ScriptedModel,
    context_too_long,
    no_sleep,
    rate_limited,
    rejected,
    server_error,
    timed_out,
)
from specwright.runtime.models.pricing import ModelPrice, PriceBook
from specwright.runtime.models.registry import build_route
from specwright.runtime.models.router import Router

USAGE = Usage(100, 20)


def fake(name: str, *script: Any) -> ScriptedModel:
    return ScriptedModel(list(script), name=name, usage=USAGE)


def router(*models: ScriptedModel, clock: Clock | None = None, strategy: str = "fallback",
           seed: int = 1, **routing: Any) -> Router:
    clock = clock or Clock()
    prices = PriceBook(settings(prices={m.name: {"input": 1.0, "output": 10.0} for m in models}))
    return Router.of(
        list(models), prices=prices, strategy=strategy, rng=random.Random(seed),
        settings=settings(routing=routing).routing, sleep=clock.sleep, clock=clock,
    )


def purposes(comp_or_exc: Completion | ModelsExhausted) -> list[tuple[str, str, str]]:
    return [(f"{a.provider}:{a.model}", a.purpose, a.status) for a in comp_or_exc.attempts]


async def test_first_model_answers() -> None:
    a, b = fake("fake:a", GOOD), fake("fake:b", GOOD)
    comp = await router(a, b).complete(request())
    assert comp.data == GOOD and comp.model == "fake:a"
    assert purposes(comp) == [("fake:a", "call", "ok")]
    assert b.requests == []
    assert comp.usage == USAGE and comp.cost_usd == pytest.approx((100 * 1 + 20 * 10) / 1e6)


async def test_429_retry_after_is_honoured_up_to_the_cap() -> None:
    clock = Clock()
    a = fake("fake:a", rate_limited(retry_after=2.5), rate_limited(retry_after=99), GOOD)
    comp = await router(a, clock=clock, retry_after_cap_s=10).complete(request())
    assert clock.sleeps == [2.5, 10.0]
    assert purposes(comp) == [("fake:a", "call", "error"), ("fake:a", "retry", "error"),
                              ("fake:a", "retry", "ok")]
    assert comp.attempts[0].error_class == "RateLimited"
    assert comp.attempts[0].cost_usd == 0.0 and comp.attempts[0].input_tokens is None


async def test_5xx_and_timeouts_back_off_with_full_jitter_then_fall_back() -> None:
    clock = Clock()
    a = fake("fake:a", server_error(), timed_out(), server_error(503))
    b = fake("fake:b", GOOD)
    r = router(a, b, clock=clock, max_retries=2, backoff_base_s=1.0, backoff_max_s=3.0,
               cooldown_failures=5)
    comp = await r.complete(request())
    assert comp.model == "fake:b"
    assert purposes(comp) == [("fake:a", "call", "error"), ("fake:a", "retry", "error"),
                              ("fake:a", "retry", "error"), ("fake:b", "fallback", "ok")]
    assert len(clock.sleeps) == 2
    assert 0 <= clock.sleeps[0] <= 1.0 and 0 <= clock.sleeps[1] <= 2.0  # base * 2**n, jittered
    jitter = random.Random(1)
    assert clock.sleeps == [jitter.uniform(0, 1.0), jitter.uniform(0, 2.0)]  # deterministic


async def test_rejected_requests_fall_back_at_once() -> None:
    clock = Clock()
    a, b = fake("fake:a", rejected(401)), fake("fake:b", GOOD)
    comp = await router(a, b, clock=clock).complete(request())
    assert clock.sleeps == [] and len(a.requests) == 1
    assert purposes(comp) == [("fake:a", "call", "error"), ("fake:b", "fallback", "ok")]
    assert comp.attempts[0].error_class == "FatalProviderError"


async def test_context_too_long_goes_to_a_larger_window_only() -> None:
    small, same, large = (fake("fake:small", context_too_long()), fake("fake:same", GOOD),
                          fake("fake:large", GOOD))
    r = router(small, same, large)
    windows = {"fake:small": 8_000, "fake:same": 8_000, "fake:large": 128_000}
    for c in r.candidates:
        c.context_window = windows[c.ref]
    comp = await r.complete(request())
    assert comp.model == "fake:large" and same.requests == []
    assert purposes(comp) == [("fake:small", "call", "error"), ("fake:large", "fallback", "ok")]


async def test_malformed_json_is_repaired_on_the_same_model_with_the_error() -> None:
    a = fake("fake:a", '{"carrier": "ups", "reason": "cut', '```json\n{"carrier": "dhl", "reason": "x"}\n```')
    comp = await router(a).complete(request())
    assert comp.data == {"carrier": "dhl", "reason": "x"}
    assert purposes(comp) == [("fake:a", "call", "error"), ("fake:a", "repair", "ok")]
    assert comp.attempts[0].error_class == "UnparseableOutput"
    repair = a.requests[1].messages
    assert repair[-2].role == "assistant" and repair[-2].content.startswith('{"carrier": "ups"')
    assert repair[-1].role == "user" and "incomplete" in repair[-1].content
    # tokens and cost summed over both attempts
    assert comp.usage == Usage(200, 40) and comp.cost_usd == pytest.approx(2 * 300 / 1e6)


async def test_schema_invalid_answer_is_repaired_with_the_precise_problems() -> None:
    a = fake("fake:a", {"carrier": "royal-mail", "reason": "x"}, GOOD)
    comp = await router(a).complete(request())
    assert comp.data == GOOD
    assert purposes(comp) == [("fake:a", "call", "error"), ("fake:a", "repair", "ok")]
    assert comp.attempts[0].error_class == "OutputInvalid"
    assert "'royal-mail' is not one of" in (comp.attempts[0].error or "")
    assert "- carrier: 'royal-mail' is not one of" in a.requests[1].messages[-1].content


async def test_repairs_are_bounded_then_the_next_model_gets_the_original_request() -> None:
    a = fake("fake:a", {"carrier": "x", "reason": "1"}, {"carrier": "y", "reason": "2"})
    b = fake("fake:b", GOOD)
    comp = await router(a, b, max_repairs=1).complete(request())
    assert comp.model == "fake:b"
    assert purposes(comp) == [("fake:a", "call", "error"), ("fake:a", "repair", "error"),
                              ("fake:b", "fallback", "ok")]
    assert b.requests[0].messages == request().messages
    assert comp.usage.input_tokens == 300


async def test_guardrail_violation_after_every_repair_is_reported_as_such() -> None:
    usps = {"carrier": "usps", "reason": "cheap"}
    a, b = fake("fake:a", usps, usps), fake("fake:b", usps, usps)
    with pytest.raises(ModelsExhausted) as info:
        await router(a, b, max_repairs=1).complete(request())
    exc = info.value
    assert exc.guardrail_only and exc.guardrail_labels == ("No hazmat with USPS",)
    assert "still violates guardrails" in exc.message
    assert [a.error_class for a in exc.attempts] == ["GuardrailViolation"] * 4
    assert [f.kind for f in exc.failures] == ["output", "output"]
    assert exc.details["problems"][0]["guardrail"] == "No hazmat with USPS"
    assert sum(a.input_tokens or 0 for a in exc.attempts) == 400


async def test_mixed_failures_are_not_guardrail_only() -> None:
    a, b = fake("fake:a", {"carrier": "usps", "reason": "x"}), fake("fake:b", rejected(403))
    with pytest.raises(ModelsExhausted) as info:
        await router(a, b, max_repairs=0).complete(request())
    assert not info.value.guardrail_only
    assert [f.kind for f in info.value.failures] == ["output", "rejected"]
    assert "fake:b: HTTP 403" in info.value.message


async def test_breaker_opens_skips_then_half_opens_after_cooldown() -> None:
    clock = Clock()
    a = ScriptedModel(lambda req: server_error(), name="fake:a", usage=USAGE)
    b = ScriptedModel(lambda req: GOOD, name="fake:b", usage=USAGE)
    r = router(a, b, clock=clock, max_retries=0, cooldown_failures=2, cooldown_s=30)
    await r.complete(request())
    await r.complete(request())  # second consecutive failure: breaker opens
    assert len(a.requests) == 2
    comp = await r.complete(request())
    assert len(a.requests) == 2  # skipped while cooling
    assert purposes(comp) == [("fake:b", "call", "ok")]
    clock.now += 31
    await r.complete(request())
    assert len(a.requests) == 3  # tried again after the cooldown


async def test_bad_output_does_not_open_the_breaker() -> None:
    a = ScriptedModel(lambda req: {"carrier": "nope", "reason": "x"}, name="fake:a", usage=USAGE)
    b = ScriptedModel(lambda req: GOOD, name="fake:b", usage=USAGE)
    r = router(a, b, max_repairs=0, cooldown_failures=1)
    for _ in range(3):
        await r.complete(request())
    assert len(a.requests) == 3


async def test_when_every_model_cools_down_they_are_tried_anyway() -> None:
    clock = Clock()
    a = ScriptedModel(lambda req: server_error(), name="fake:a", usage=USAGE)
    r = router(a, clock=clock, max_retries=0, cooldown_failures=1)
    for _ in range(3):
        with pytest.raises(ModelsExhausted):
            await r.complete(request())
    assert len(a.requests) == 3


async def test_breaker_stops_retrying_a_model_that_just_opened() -> None:
    clock = Clock()
    a = ScriptedModel(lambda req: server_error(), name="fake:a", usage=USAGE)
    b = fake("fake:b", GOOD)
    comp = await router(a, b, clock=clock, max_retries=5, cooldown_failures=2).complete(request())
    assert len(a.requests) == 2 and comp.model == "fake:b"


async def test_retries_never_sleep_past_the_deadline() -> None:
    clock = Clock()
    a = fake("fake:a", rate_limited(retry_after=20), GOOD)
    b = fake("fake:b", GOOD)
    comp = await router(a, b, clock=clock).complete(request(deadline=clock.now + 10))
    assert clock.sleeps == [] and comp.model == "fake:b"


async def test_deadline_already_spent() -> None:
    clock = Clock()
    a = fake("fake:a", GOOD)
    with pytest.raises(ModelsExhausted) as info:
        await router(a, clock=clock).complete(request(deadline=clock.now - 1))
    assert info.value.failures[0].kind == "deadline" and a.requests == []


async def test_the_run_deadline_defaults_from_settings_and_reaches_the_model() -> None:
    clock = Clock()
    a = fake("fake:a", GOOD)
    await router(a, clock=clock, deadline_s=12).complete(request())
    assert a.requests[0].deadline == clock.now + 12


async def test_missing_keys_everywhere_is_model_not_configured() -> None:
    route = Route(models=(RouteModel(ref="openai:gpt-4.1-mini"),
                          RouteModel(ref="anthropic:claude-haiku-4-5")))
    r = build_route(route, settings(), {})
    with pytest.raises(ModelNotConfigured) as info:
        await r.complete(request())
    assert "no key for openai: set OPENAI_API_KEY or route this spec to another model" in str(info.value)
    assert "no key for anthropic: set ANTHROPIC_API_KEY" in str(info.value)
    assert info.value.status == 503 and len(info.value.attempts) == 2


async def test_a_missing_key_falls_back_to_a_configured_model() -> None:
    route = Route(models=(RouteModel(ref="anthropic:claude-haiku-4-5"), RouteModel(ref="fake:b")))
    b = fake("fake:b", GOOD)
    r = build_route(route, settings(), {}, overrides={"fake:b": b})
    comp = await r.complete(request())
    assert comp.model == "fake:b"
    assert [(a.provider, a.error_class) for a in comp.attempts] == [
        ("anthropic", "ModelNotConfigured"), ("fake", None)]


async def test_empty_route_names_the_fix() -> None:
    r = build_route(Route(), settings(), {})
    with pytest.raises(ModelNotConfigured, match=r"\[default_route\] models"):
        await r.complete(request())


async def test_replay_miss_is_loud_and_never_falls_back() -> None:
    a, b = fake("fake:a", ReplayMiss("no recording")), fake("fake:b", GOOD)
    with pytest.raises(ReplayMiss):
        await router(a, b).complete(request())
    assert b.requests == []


async def test_unknown_price_makes_the_total_cost_unknown() -> None:
    a = fake("fake:a", {"carrier": "x", "reason": "1"}, GOOD)
    r = Router.of([a], prices=PriceBook(settings(prices={})), sleep=no_sleep)
    r.candidates[0].price = None
    comp = await r.complete(request())
    assert comp.cost_usd is None and comp.usage.input_tokens == 200


async def test_no_check_accepts_any_object() -> None:
    a = fake("fake:a", {"anything": 1})
    assert (await router(a).complete(request(check=None))).data == {"anything": 1}


# ------------------------------------------------------------------------------- strategies


async def test_weighted_is_deterministic_with_a_seeded_rng_and_follows_weights() -> None:
    a = ScriptedModel(lambda req: GOOD, name="fake:a", usage=USAGE)
    b = ScriptedModel(lambda req: GOOD, name="fake:b", usage=USAGE)
    counts = {"fake:a": 0, "fake:b": 0}
    r = Router.of([a, b], weights=[3.0, 1.0], strategy="weighted", rng=random.Random(7),
                  sleep=no_sleep)
    for _ in range(400):
        counts[(await r.complete(request())).model] += 1
    assert 250 < counts["fake:a"] < 350
    again = Router.of([a, b], weights=[3.0, 1.0], strategy="weighted", rng=random.Random(7),
                      sleep=no_sleep)
    firsts = [(await again.complete(request())).model for _ in range(20)]
    r2 = Router.of([a, b], weights=[3.0, 1.0], strategy="weighted", rng=random.Random(7),
                   sleep=no_sleep)
    assert firsts == [(await r2.complete(request())).model for _ in range(20)]


async def test_weighted_order_is_also_the_fallback_order() -> None:
    a = fake("fake:a", server_error())
    b = fake("fake:b", GOOD)
    r = Router.of([a, b], weights=[0.0, 1.0], strategy="weighted", sleep=no_sleep,
                  settings=settings(routing={"max_retries": 0}).routing)
    comp = await r.complete(request())
    assert comp.model == "fake:b" and a.requests == []


async def test_least_busy_prefers_fewest_in_flight() -> None:
    a, b = fake("fake:a", GOOD), fake("fake:b", GOOD)
    r = router(a, b, strategy="least-busy")
    r.candidates[0].in_flight = 3
    assert (await r.complete(request())).model == "fake:b"
    assert r.candidates[1].in_flight == 0


async def test_cheapest_uses_price_times_estimated_tokens_unknown_last() -> None:
    a, b, c = fake("fake:a", GOOD), fake("fake:b", GOOD), fake("fake:c", GOOD)
    r = router(a, b, c, strategy="cheapest")
    r.candidates[0].price = ModelPrice(5.0, 20.0)
    r.candidates[1].price = None
    r.candidates[2].price = ModelPrice(0.1, 0.4)
    comp = await r.complete(request())
    assert comp.model == "fake:c"
    order = [c.ref for c in r._order(r.candidates, request(), random.Random())]
    assert order == ["fake:c", "fake:a", "fake:b"]


async def test_fastest_tries_untried_first_then_lowest_latency() -> None:
    a, b = ScriptedModel(lambda r: GOOD, name="fake:a"), ScriptedModel(lambda r: GOOD, name="fake:b")
    r = router(a, b, strategy="fastest")
    r.candidates[0].latency_ema = 0.5
    assert (await r.complete(request())).model == "fake:b"  # untried first
    r.candidates[1].latency_ema = 0.9
    assert (await r.complete(request())).model == "fake:a"


def test_unknown_strategy() -> None:
    with pytest.raises(ValueError, match="unknown routing strategy"):
        Router([], strategy="random")


def test_check_helper_is_consistent() -> None:
    assert check_carrier(GOOD) == []


async def test_a_models_own_output_invalid_is_repaired_too() -> None:
    from specwright.runtime.errors import OutputInvalid

    a = fake("fake:a", OutputInvalid("no content"), GOOD)
    comp = await router(a).complete(request())
    assert [x.purpose for x in comp.attempts] == ["call", "repair"]
    assert comp.attempts[0].error_class == "OutputInvalid"
