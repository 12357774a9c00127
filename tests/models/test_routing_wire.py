"""The router over the real SDK adapters and fake HTTP endpoints: the whole model layer."""

from __future__ import annotations

import json
import random

import pytest
from mdl_support import (
    ANT_SECRET,
    GOOD,
    SECRET,
    Clock,
    FakeHTTP,
    chat,
    claude,
    error,
    ok,
    request,
    settings,
)

from specwright.compiler.ir import Route, RouteModel
from specwright.runtime.errors import ModelsExhausted
from specwright.runtime.models.pricing import shipped_table
from specwright.runtime.models.registry import ClientPool, build_route

ROUTE = Route(models=(RouteModel(ref="openai:gpt-4.1-mini"),
                      RouteModel(ref="anthropic:claude-haiku-4-5")))
ENV = {"OPENAI_API_KEY": SECRET, "ANTHROPIC_API_KEY": ANT_SECRET}


def routed_pool(openai_fake: FakeHTTP, anthropic_fake: FakeHTTP) -> ClientPool:
    fakes = iter([openai_fake, anthropic_fake])  # clients are created in route order
    return ClientPool(lambda: next(fakes).client())


async def test_retry_after_then_5xx_then_repair_then_fallback_with_summed_cost() -> None:
    clock = Clock()
    oa = FakeHTTP([
        error(429, "slow down", headers={"retry-after": "1.5"}),
        error(500, "internal"),
        ok(chat("I think UPS", prompt=1000, completion=100)),  # malformed: repair
        ok(chat(json.dumps({"carrier": "usps", "reason": "x"}), prompt=1200, completion=50)),
    ])
    an = FakeHTTP([ok(claude(GOOD, inp=800, out=60))])
    pool = routed_pool(oa, an)
    s = settings(routing={"max_retries": 2, "max_repairs": 1, "backoff_base_s": 0.5})
    r = build_route(ROUTE, s, ENV, pool=pool, rng=random.Random(3), sleep=clock.sleep, clock=clock)
    comp = await r.complete(request())
    await pool.aclose()

    assert comp.data == GOOD and comp.model == "anthropic:claude-haiku-4-5"
    assert [(a.provider, a.purpose, a.status, a.error_class) for a in comp.attempts] == [
        ("openai", "call", "error", "RateLimited"),
        ("openai", "retry", "error", "RetryableProviderError"),
        ("openai", "retry", "error", "UnparseableOutput"),
        ("openai", "repair", "error", "GuardrailViolation"),
        ("anthropic", "fallback", "ok", None),
    ]
    assert clock.sleeps[0] == 1.5 and 0 <= clock.sleeps[1] <= 1.0
    # the repair re-asked the same model with its answer and the parse error
    repair_msgs = oa.bodies[3]["messages"]
    assert repair_msgs[-2] == {"role": "assistant", "content": "I think UPS"}
    assert "could not be read as one JSON object" in repair_msgs[-1]["content"]
    # the fallback model got the original request, not the repair conversation
    assert an.bodies[0]["messages"] == [{"role": "user", "content": "Order A-1"}]
    assert comp.usage.input_tokens == 1000 + 1200 + 800
    assert comp.usage.output_tokens == 100 + 50 + 60
    p_oa = shipped_table().prices["openai:gpt-4.1-mini"]
    p_an = shipped_table().prices["anthropic:claude-haiku-4-5"]
    expected = (2200 * p_oa.input + 150 * p_oa.output + 800 * p_an.input + 60 * p_an.output) / 1e6
    assert comp.cost_usd == pytest.approx(expected)
    assert [a.cost_usd for a in comp.attempts[:2]] == [0.0, 0.0]
    for a in comp.attempts:
        assert SECRET not in (a.error or "") and ANT_SECRET not in (a.error or "")


async def test_everything_fails_attempts_are_on_the_exception() -> None:
    clock = Clock()
    oa = FakeHTTP([error(401, f"Incorrect API key provided: {SECRET}")])
    an = FakeHTTP([error(529, "Overloaded", kind="overloaded_error")])
    pool = routed_pool(oa, an)
    s = settings(routing={"max_retries": 1})
    r = build_route(ROUTE, s, ENV, pool=pool, sleep=clock.sleep, clock=clock)
    with pytest.raises(ModelsExhausted) as info:
        await r.complete(request())
    await pool.aclose()
    exc = info.value
    assert exc.status == 502
    assert [(a.provider, a.purpose, a.error_class) for a in exc.attempts] == [
        ("openai", "call", "FatalProviderError"),
        ("anthropic", "fallback", "RetryableProviderError"),
        ("anthropic", "retry", "RetryableProviderError"),
    ]
    assert [f.kind for f in exc.failures] == ["rejected", "transport"]
    assert SECRET not in str(exc) and SECRET not in json.dumps(exc.to_body())
    assert len(oa.requests) == 1 and len(an.requests) == 2


async def test_a_schema_openai_cannot_express_falls_back_to_anthropic() -> None:
    schema = {"type": "object", "properties": {
        "carrier": {"type": "string"},
        "extras": {"type": "object", "additionalProperties": {"type": "string"}}},
        "required": ["carrier"]}
    oa = FakeHTTP([ok(chat(json.dumps(GOOD)))])
    an = FakeHTTP([ok(claude({"carrier": "dhl", "extras": {"a": "b"}}, name="x"))])
    pool = routed_pool(oa, an)
    r = build_route(ROUTE, settings(), ENV, pool=pool)
    req = request(check=None)
    req = type(req)(messages=req.messages, output_schema=schema, schema_name="x")
    comp = await r.complete(req)
    await pool.aclose()
    assert comp.data == {"carrier": "dhl", "extras": {"a": "b"}}
    assert oa.requests == []  # rejected before sending
    assert comp.attempts[0].error_class == "FatalProviderError"
    assert "cannot express this output" in (comp.attempts[0].error or "")
