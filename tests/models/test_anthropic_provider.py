"""The Anthropic adapter with the real SDK client over a fake HTTP endpoint: a forced tool."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2
import pytest
from mdl_support import ANT_SECRET, GOOD, FakeHTTP, claude, error, ok, request, settings

from specwright.runtime.errors import (
    ContextTooLong,
    FatalProviderError,
    ModelNotConfigured,
    RateLimited,
    RetryableProviderError,
    UnparseableOutput,
)
from specwright.runtime.models.base import Completion, Message
from specwright.runtime.models.lowering import lower
from specwright.runtime.models.registry import ClientPool, build_model

ENV = {"ANTHROPIC_API_KEY": ANT_SECRET}


async def call(fake: FakeHTTP, env: dict[str, str] = ENV, **kw: Any) -> Completion:
    pool = ClientPool(fake.client)
    try:
        model = build_model("anthropic:claude-haiku-4-5", settings(), env, pool=pool)
        return await model.complete(request(**kw))
    finally:
        await pool.aclose()


async def test_wire_request_forces_a_tool_whose_input_schema_is_the_output() -> None:
    fake = FakeHTTP([ok(claude(GOOD, inp=200, out=40, cache_read=50))])
    comp = await call(fake, max_tokens=512)
    req = fake.requests[0]
    assert req.url == "https://api.anthropic.com/v1/messages"
    assert ANT_SECRET in (req.headers.get("x-api-key", "") + req.headers.get("authorization", ""))
    body = fake.bodies[0]
    assert body["model"] == "claude-haiku-4-5" and body["max_tokens"] == 512
    # the static system prompt is one block carrying the prompt-cache breakpoint
    assert body["system"] == [{"type": "text", "text": "You choose carriers.",
                               "cache_control": {"type": "ephemeral"}}]
    assert body["messages"] == [{"role": "user", "content": "Order A-1"}]
    (tool,) = body["tools"]
    assert tool["name"] == "carrier_selection_output"
    assert tool["input_schema"] == lower(request().output_schema, "anthropic").schema
    assert tool["input_schema"]["properties"]["reason"]["maxLength"] == 200  # kept for Claude
    assert body["tool_choice"] == {"type": "tool", "name": "carrier_selection_output",
                                   "disable_parallel_tool_use": True}
    assert comp.data == GOOD and json.loads(comp.text) == GOOD
    assert comp.model == "anthropic:claude-haiku-4-5"
    # input tokens include the cache reads; cached tokens are priced apart
    assert (comp.usage.input_tokens, comp.usage.output_tokens, comp.usage.cached_tokens) == (250, 40, 50)


async def test_the_request_is_the_one_messages_create_would_send() -> None:
    """The adapter posts its body with the client's ``post`` rather than ``messages.create``
    (which builds the SDK's ``Message`` from the answer): the two requests must be the same,
    body and headers, so an SDK release that starts to send something else fails here."""
    import anthropic

    fake = FakeHTTP([ok(claude(GOOD))])
    await call(fake, max_tokens=512)
    ours = fake.requests[0]
    sdk = anthropic.AsyncAnthropic(api_key=ANT_SECRET, max_retries=0, http_client=fake.client())
    body = fake.bodies[0]
    await sdk.messages.create(**body, timeout=30.0)
    await sdk.close()
    theirs = fake.requests[1]
    assert (ours.method, ours.url) == (theirs.method, theirs.url)
    assert fake.bodies[1] == body
    volatile = {"x-stainless-read-timeout", "x-stainless-timeout", "content-length"}
    assert {k: v for k, v in ours.headers.items() if k not in volatile} == {
        k: v for k, v in theirs.headers.items() if k not in volatile}


def test_a_deprecated_model_is_named_in_a_warning_when_it_is_routed_to(
        caplog: pytest.LogCaptureFixture) -> None:
    """``messages.create`` warns about deprecated models; the adapter does not call it, so it
    says so itself, once, when a route is built."""
    from anthropic._data import DEPRECATED_MODELS

    if not DEPRECATED_MODELS:
        pytest.skip("the installed anthropic SDK lists no deprecated model")
    model, end_of_life = next(iter(DEPRECATED_MODELS.items()))
    pool = ClientPool(FakeHTTP([ok(claude(GOOD))]).client)
    with caplog.at_level("WARNING", logger="specwright.models"):
        build_model("anthropic:claude-haiku-4-5", settings(), ENV, pool=pool)
        assert not caplog.records
        build_model(f"anthropic:{model}", settings(), ENV, pool=pool)
    asyncio.run(pool.aclose())
    (record,) = caplog.records
    assert f"anthropic:{model} is deprecated" in record.getMessage()
    assert end_of_life in record.getMessage()


async def test_an_answer_labelled_as_text_is_still_read() -> None:
    """A JSON answer sent as ``text/plain`` comes back from the SDK as text; it is read as the
    JSON it is."""
    reply = httpx2.Response(200, content=json.dumps(claude(GOOD)).encode(),
                            headers={"content-type": "text/plain"})
    assert (await call(FakeHTTP([reply]))).data == GOOD


async def test_repair_turns_alternate_roles() -> None:
    fake = FakeHTTP([ok(claude(GOOD))])
    req = request()
    req = type(req)(**{**{f: getattr(req, f) for f in req.__slots__},  # type: ignore[attr-defined]
                       "messages": (*req.messages, Message("assistant", "{}"),
                                    Message("user", "fix it"))})
    pool = ClientPool(fake.client)
    model = build_model("anthropic:claude-haiku-4-5", settings(), ENV, pool=pool)
    await model.complete(req)
    await pool.aclose()
    assert [m["role"] for m in fake.bodies[0]["messages"]] == ["user", "assistant", "user"]


async def test_text_answer_without_the_tool_is_parsed_leniently() -> None:
    fake = FakeHTTP([ok(claude(None, text=f"Here: ```json\n{json.dumps(GOOD)}\n```", stop="end_turn"))])
    assert (await call(fake)).data == GOOD


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (claude(None, text="I would pick UPS.", stop="end_turn"), "did not call"),
        (claude({"carrier": "ups"}, stop="max_tokens"), "cut off"),
        (claude(None, stop="refusal"), "refused"),
    ],
)
async def test_unusable_answers(body: dict[str, Any], message: str) -> None:
    with pytest.raises(UnparseableOutput, match=message) as info:
        await call(FakeHTTP([ok(body)]))
    assert info.value.usage.input_tokens == 120


def overloaded() -> httpx2.Response:
    return httpx2.Response(529, json={"type": "error", "error": {"type": "overloaded_error",
                                                                 "message": "Overloaded"}})


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (error(429, "rate_limit", kind="rate_limit_error", headers={"retry-after": "3"}), RateLimited),
        (overloaded(), RetryableProviderError),
        (error(500, "internal", kind="api_error"), RetryableProviderError),
        (httpx2.ReadTimeout("slow"), RetryableProviderError),
        (error(400, "prompt is too long: 250000 tokens > 200000 maximum",
               kind="invalid_request_error"), ContextTooLong),
        (error(413, "Request exceeds the maximum allowed number of bytes.",
               kind="request_too_large"), ContextTooLong),
        (error(400, "tools.0.input_schema: invalid", kind="invalid_request_error"), FatalProviderError),
        (error(401, f"invalid x-api-key {ANT_SECRET}", kind="authentication_error"), FatalProviderError),
    ],
)
async def test_vendor_errors_are_mapped_once(reply: Any, kind: type) -> None:
    fake = FakeHTTP([reply])
    with pytest.raises(kind) as info:
        await call(fake)
    assert type(info.value) is kind
    assert ANT_SECRET not in str(info.value)
    if kind is RateLimited:
        assert info.value.retry_after == 3.0
    assert len(fake.requests) == 1


async def test_missing_key() -> None:
    with pytest.raises(ModelNotConfigured, match="no key for anthropic: set ANTHROPIC_API_KEY"):
        await call(FakeHTTP([ok(claude(GOOD))]), env={})
