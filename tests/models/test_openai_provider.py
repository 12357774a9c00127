"""The OpenAI adapter with the real SDK client over a fake HTTP endpoint (httpx2.MockTransport)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import httpx2
import openai
import pytest
from mdl_support import GOOD, SECRET, FakeHTTP, chat, error, ok, request, settings

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
from specwright.runtime.models.openai_provider import OpenAIProvider
from specwright.runtime.models.registry import ClientPool, build_model

ENV = {"OPENAI_API_KEY": SECRET}
JSON_OBJECT_DEPLOYMENT = {"ollama": {"kind": "openai-compatible", "base_url": "http://127.0.0.1:11434/v1",
                                     "structured": "json_object"}}


async def call(fake: FakeHTTP, env: dict[str, str] = ENV, **kw: Any) -> Completion:
    pool = ClientPool(fake.client)
    try:
        model = build_model("openai:gpt-4.1-mini", settings(), env, pool=pool)
        return await model.complete(request(**kw))
    finally:
        await pool.aclose()


async def test_wire_request_carries_the_strict_lowered_schema() -> None:
    fake = FakeHTTP([ok(chat(json.dumps(GOOD), prompt=90, completion=12, cached=40))])
    comp = await call(fake, max_tokens=300, temperature=0.2)
    req = fake.requests[0]
    assert req.url == "https://api.openai.com/v1/chat/completions"
    assert req.headers["authorization"] == f"Bearer {SECRET}"
    body = fake.bodies[0]
    assert body["model"] == "gpt-4.1-mini"
    assert body["messages"] == [{"role": "system", "content": "You choose carriers."},
                                {"role": "user", "content": "Order A-1"}]
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["name"] == "carrier_selection_output"
    assert fmt["json_schema"]["schema"] == lower(request().output_schema, "openai").schema
    assert fmt["json_schema"]["schema"]["required"] == ["carrier", "reason", "note"]
    assert body["max_completion_tokens"] == 300 and body["temperature"] == 0.2
    assert comp.data == GOOD
    assert comp.model == "openai:gpt-4.1-mini"
    assert (comp.usage.input_tokens, comp.usage.output_tokens, comp.usage.cached_tokens) == (90, 12, 40)


async def test_the_sdks_parameter_transform_would_change_nothing_we_send() -> None:
    """The adapter posts its body without ``chat.completions.create``'s parameter transform;
    this holds that the transform, run on exactly what was sent, gives it back unchanged (every
    role, the strict schema, both token-limit names, temperature, the json_object format)."""
    from openai._utils import async_maybe_transform
    from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming

    fake = FakeHTTP([ok(chat(json.dumps(GOOD)))] * 3)
    pool = ClientPool(fake.client)
    conversation = (
        Message("system", "You choose carriers."),
        Message("user", "Order A-1 <input>{\"x\": 1}</input>"),
        Message("assistant", '{"carrier": "fax"}'),
        Message("user", "carrier: not one of ups, fedex, usps, dhl"),
    )
    for ref, env, kw in [
        ("openai:gpt-4.1-mini", ENV, {"max_tokens": 300, "temperature": 0.2}),
        ("openai:o4-mini", ENV, {"max_tokens": 50}),
        ("ollama:llama3.1:8b", {}, {}),
    ]:
        model = build_model(ref, settings(deployments=JSON_OBJECT_DEPLOYMENT), env, pool=pool)
        await model.complete(replace(request(**kw), messages=conversation))
    await pool.aclose()
    assert len(fake.bodies) == 3
    for sent in fake.bodies:
        assert await async_maybe_transform(sent, CompletionCreateParamsNonStreaming) == sent


async def test_nulls_of_optional_fields_are_removed() -> None:
    fake = FakeHTTP([ok(chat(json.dumps({**GOOD, "note": None})))])
    assert (await call(fake)).data == GOOD


async def test_reasoning_models_get_no_temperature() -> None:
    fake = FakeHTTP([ok(chat(json.dumps(GOOD)))])
    pool = ClientPool(fake.client)
    model = build_model("openai:o4-mini", settings(), ENV, pool=pool)
    await model.complete(request(temperature=0.0))
    await pool.aclose()
    assert "temperature" not in fake.bodies[0]


async def test_one_sdk_client_per_endpoint_without_sdk_retries() -> None:
    fake = FakeHTTP([ok(chat(json.dumps(GOOD)))])
    pool = ClientPool(fake.client)
    a = build_model("openai:gpt-4.1-mini", settings(), ENV, pool=pool)
    b = build_model("openai:gpt-4o", settings(), ENV, pool=pool)
    assert isinstance(a, OpenAIProvider) and isinstance(b, OpenAIProvider)
    assert a._client is b._client
    assert a._client is not None and a._client.max_retries == 0
    await pool.aclose()


@pytest.mark.parametrize(
    ("reply", "kind", "detail"),
    [
        (error(429, "Rate limit reached", headers={"retry-after": "7"}), RateLimited, "7.0"),
        (error(429, "Rate limit", headers={"retry-after-ms": "1500"}), RateLimited, "1.5"),
        (error(429, "You exceeded your current quota", code="insufficient_quota"),
         FatalProviderError, ""),
        (error(500, "boom"), RetryableProviderError, ""),
        (error(503, "overloaded"), RetryableProviderError, ""),
        (httpx2.ReadTimeout("slow"), RetryableProviderError, "timed out"),
        (httpx2.ConnectError("refused"), RetryableProviderError, "could not connect"),
        (error(400, "This model's maximum context length is 128000 tokens.",
               code="context_length_exceeded"), ContextTooLong, ""),
        (error(400, "Invalid schema for response_format"), FatalProviderError, ""),
        (error(403, "Forbidden"), FatalProviderError, ""),
        (error(404, "The model does not exist"), FatalProviderError, ""),
    ],
)
async def test_vendor_errors_are_mapped_once(reply: Any, kind: type, detail: str) -> None:
    fake = FakeHTTP([reply])
    with pytest.raises(kind) as info:
        await call(fake)
    assert type(info.value) is kind
    assert info.value.provider == "openai" and info.value.model == "gpt-4.1-mini"
    if kind is RateLimited:
        assert str(info.value.retry_after) == detail
    elif detail:
        assert detail in info.value.message
    assert len(fake.requests) == 1  # the SDK never retried on its own


async def test_keys_never_appear_in_error_messages() -> None:
    fake = FakeHTTP([error(401, f"Incorrect API key provided: {SECRET}. Also sk-proj-abcdef123456.")])
    with pytest.raises(FatalProviderError) as info:
        await call(fake)
    assert SECRET not in str(info.value) and "sk-proj-abcdef" not in str(info.value)
    assert "HTTP 401" in str(info.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (chat("not json at all"), "no JSON object"),
        (chat('{"carrier": "ups", "reason": "cut'), "incomplete"),
        (chat('{"carrier": "ups"', finish="length"), "cut off at the token limit"),
        (chat(None, refusal="I can't help with that."), "refused"),
    ],
)
async def test_unreadable_answers_raise_with_usage(body: dict[str, Any], message: str) -> None:
    fake = FakeHTTP([ok(body)])
    with pytest.raises(UnparseableOutput, match=message) as info:
        await call(fake)
    assert info.value.usage.input_tokens == 100


async def test_missing_key_raises_model_not_configured_only_when_called() -> None:
    fake = FakeHTTP([ok(chat(json.dumps(GOOD)))])
    with pytest.raises(ModelNotConfigured) as info:
        await call(fake, env={})
    assert str(info.value) == (
        "no key for openai: set OPENAI_API_KEY or route this spec to another model")
    assert fake.requests == []


async def test_base_url_from_the_environment_mapping() -> None:
    fake = FakeHTTP([ok(chat(json.dumps(GOOD)))])
    await call(fake, env={**ENV, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert str(fake.requests[0].url) == "http://127.0.0.1:9/v1/chat/completions"


def test_sdk_exception_types_exist() -> None:
    # the mapping relies on these names of the installed SDK
    for name in ("RateLimitError", "APITimeoutError", "APIConnectionError", "APIStatusError",
                 "InternalServerError", "BadRequestError", "AuthenticationError"):
        assert hasattr(openai, name)
