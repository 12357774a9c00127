"""A 200 whose body is garbled: the adapters map it to ``MalformedResponse`` and the router
retries, then falls back, recording every attempt.

Real SDK clients over ``httpx2.MockTransport``: the SDKs decode the body themselves (a cut-off
one raises ``json.JSONDecodeError`` inside ``create``) and build their response objects without
validating them (``[1, 2]``, ``"message": null`` or a string token count come through as is), so
both paths are exercised for OpenAI, Anthropic and an OpenAI-compatible deployment.
"""

from __future__ import annotations

import json
import random
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from mdl_support import (
    ANT_SECRET,
    GOOD,
    SECRET,
    Clock,
    FakeHTTP,
    chat,
    claude,
    ok,
    request,
    settings,
)

from specwright.compiler.ir import Route, RouteModel
from specwright.runtime.errors import (
    MalformedResponse,
    ModelsExhausted,
    RetryableProviderError,
    UnparseableOutput,
)
from specwright.runtime.models.anthropic_provider import AnthropicProvider
from specwright.runtime.models.base import Completion
from specwright.runtime.models.openai_provider import OpenAIProvider
from specwright.runtime.models.registry import ClientPool, build_model, build_route

LOCAL_KEY = "sk-local-0123456789abcdefLOCAL"
DEPLOYMENTS = {"local": {"kind": "openai-compatible", "base_url": "http://127.0.0.1:8000/v1",
                         "api_key_env": "LOCAL_KEY"}}
ENV = {"OPENAI_API_KEY": SECRET, "ANTHROPIC_API_KEY": ANT_SECRET, "LOCAL_KEY": LOCAL_KEY}
SECRETS = (SECRET, ANT_SECRET, LOCAL_KEY)
REFS = {"openai": "openai:gpt-4.1-mini", "anthropic": "anthropic:claude-haiku-4-5",
        "compat": "local:qwen2.5-7b"}
API = {"openai": "openai", "compat": "openai", "anthropic": "anthropic"}


def raw(body: bytes, content_type: str = "application/json") -> httpx2.Response:
    return httpx2.Response(200, content=body, headers={"content-type": content_type})


def _chat() -> dict[str, Any]:
    return chat(json.dumps(GOOD))


def _claude() -> dict[str, Any]:
    return claude(GOOD)


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def _chat_message(message: Any) -> dict[str, Any]:
    body = _chat()
    body["choices"][0]["message"] = message
    return body


# Garbled 200s of the Chat Completions API (OpenAI and OpenAI-compatible servers).
CHAT_GARBLED: dict[str, httpx2.Response] = {
    "cut-off JSON": raw(json.dumps(_chat()).encode()[:150]),
    "HTML as JSON": raw(b"<html><body>502 Bad Gateway</body></html>"),
    "HTML": raw(b"<html><body>502 Bad Gateway</body></html>", "text/html"),
    "not UTF-8": raw(b"\xff\xfe{\x00"),
    "a list": ok([1, 2]),  # type: ignore[arg-type]
    "null": raw(b"null"),
    "message null": ok(_chat_message(None)),
    "content a number": ok(_chat_message({"role": "assistant", "content": 42})),
    "choices an object": ok({**_chat(), "choices": {"0": _chat()["choices"][0]}}),
    "prompt_tokens a string": ok({**_chat(), "usage": {"prompt_tokens": "lots",
                                                       "completion_tokens": 3}}),
    "cached_tokens a list": ok({**_chat(), "usage": {
        "prompt_tokens": 1, "completion_tokens": 3,
        "prompt_tokens_details": {"cached_tokens": [1]}}}),
    "no choices": ok(_without(_chat(), "choices")),
    "a choice that is a number": ok({**_chat(), "choices": [5]}),
    "no finish_reason": ok({**_chat(), "choices": [
        _without(_chat()["choices"][0], "finish_reason")]}),
    "usage without prompt_tokens": ok({**_chat(), "usage": {"completion_tokens": 3}}),
    "message a string": ok(_chat_message("hello")),
    "JSON text of a list, labelled text/plain": raw(b"[1, 2]", "text/plain"),
}

# Garbled 200s of the Messages API.
CLAUDE_GARBLED: dict[str, httpx2.Response] = {
    "cut-off JSON": raw(json.dumps(_claude()).encode()[:150]),
    "HTML as JSON": raw(b"<html><body>502 Bad Gateway</body></html>"),
    "a list": ok([1, 2]),  # type: ignore[arg-type]
    "null": raw(b"null"),
    "no usage": ok(_without(_claude(), "usage")),
    "usage null": ok({**_claude(), "usage": None}),
    "content null": ok({**_claude(), "content": None}),
    "input_tokens a string": ok({**_claude(), "usage": {"input_tokens": "x", "output_tokens": 1}}),
    "a text block without text": ok({**_claude(), "content": [{"type": "text", "text": None}]}),
    "a block that is a number": ok({**_claude(), "content": [5]}),
    "a block without its type": ok({**_claude(), "content": [{"text": "x"}]}),
    "a tool_use block without its input": ok({**_claude(), "content": [
        {"type": "tool_use", "id": "t", "name": "carrier_selection_output"}]}),
    "usage without output_tokens": ok({**_claude(), "usage": {"input_tokens": 3}}),
    "no content": ok(_without(_claude(), "content")),
}

CASES = [
    *((kind, name) for kind in ("openai", "compat") for name in CHAT_GARBLED),
    *(("anthropic", name) for name in CLAUDE_GARBLED),
]


def garbled(kind: str, name: str) -> httpx2.Response:
    return (CLAUDE_GARBLED if kind == "anthropic" else CHAT_GARBLED)[name]


def good(kind: str) -> httpx2.Response:
    return ok(claude(GOOD) if kind == "anthropic" else chat(json.dumps(GOOD)))


async def call(kind: str, fake: FakeHTTP) -> Completion:
    pool = ClientPool(fake.client)
    try:
        model = build_model(REFS[kind], settings(deployments=DEPLOYMENTS), ENV, pool=pool)
        return await model.complete(request())
    finally:
        await pool.aclose()


def assert_clean(exc: MalformedResponse, ref: str) -> None:
    provider, model = ref.split(":", 1)
    assert (exc.provider, exc.model) == (provider, model)
    assert exc.type == "provider_malformed_response" and exc.status == 502
    assert exc.message.startswith(f"{ref}: malformed response: ")
    text = exc.message + json.dumps(exc.to_body())
    assert not any(s in text for s in SECRETS)
    assert "Traceback" not in text


@pytest.mark.parametrize(("kind", "name"), CASES)
async def test_a_garbled_200_is_a_malformed_response(kind: str, name: str) -> None:
    fake = FakeHTTP([garbled(kind, name)])
    with pytest.raises(MalformedResponse) as info:
        await call(kind, fake)
    assert isinstance(info.value, RetryableProviderError)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert_clean(info.value, REFS[kind])
    assert len(fake.requests) == 1  # the SDK never retries: the router does


@pytest.mark.parametrize("kind", ["openai", "compat", "anthropic"])
async def test_a_cut_off_body_says_so(kind: str) -> None:
    with pytest.raises(MalformedResponse, match="not valid JSON"):
        await call(kind, FakeHTTP([garbled(kind, "cut-off JSON")]))


@pytest.mark.parametrize("kind", ["openai", "compat", "anthropic"])
async def test_well_formed_answers_are_still_read(kind: str) -> None:
    comp = await call(kind, FakeHTTP([good(kind)]))
    assert comp.data == GOOD


async def test_a_well_formed_body_with_an_unreadable_answer_is_still_unparseable() -> None:
    # not a transport fault: the model answered, badly; the router repairs it
    with pytest.raises(UnparseableOutput):
        await call("openai", FakeHTTP([ok(chat("I think UPS"))]))
    with pytest.raises(UnparseableOutput):
        await call("openai", FakeHTTP([ok({**_chat(), "choices": []})]))
    with pytest.raises(UnparseableOutput):
        await call("anthropic", FakeHTTP([ok(claude({"carrier": "ups"}, stop="max_tokens"))]))


# ------------------------------------------------------------------------------- the router


FALLBACK = {"openai": "anthropic", "compat": "anthropic", "anthropic": "openai"}


def route_for(kind: str) -> tuple[Route, str]:
    other = FALLBACK[kind]
    return Route(models=(RouteModel(ref=REFS[kind]), RouteModel(ref=REFS[other]))), other


@pytest.mark.parametrize(("kind", "name"), CASES)
async def test_the_router_retries_then_falls_back_and_records_every_attempt(
    kind: str, name: str
) -> None:
    route, other = route_for(kind)
    first, second = FakeHTTP([garbled(kind, name)]), FakeHTTP([good(other)])
    fakes = iter([first, second])  # clients are created in route order
    pool = ClientPool(lambda: next(fakes).client())
    clock = Clock()
    s = settings(deployments=DEPLOYMENTS, routing={"max_retries": 1})
    r = build_route(route, s, ENV, pool=pool, rng=random.Random(1), sleep=clock.sleep,
                    clock=clock)
    try:
        comp = await r.complete(request())
    finally:
        await pool.aclose()

    assert comp.data == GOOD and comp.model == REFS[other]
    assert [(f"{a.provider}:{a.model}", a.purpose, a.status, a.error_class)
            for a in comp.attempts] == [
        (REFS[kind], "call", "error", "MalformedResponse"),
        (REFS[kind], "retry", "error", "MalformedResponse"),
        (REFS[other], "fallback", "ok", None),
    ]
    assert len(first.requests) == 2 and len(second.requests) == 1
    assert len(clock.sleeps) == 1  # backed off once before the retry
    for a in comp.attempts[:2]:
        assert "malformed response" in (a.error or "")
        assert not any(s in (a.error or "") for s in SECRETS)
        assert a.input_tokens is None and a.cost_usd == 0.0


@pytest.mark.parametrize("kind", ["openai", "compat", "anthropic"])
async def test_a_retry_of_the_same_model_can_succeed(kind: str) -> None:
    route, _ = route_for(kind)
    first = FakeHTTP([garbled(kind, "cut-off JSON"), good(kind)])
    pool = ClientPool(first.client)
    clock = Clock()
    r = build_route(route, settings(deployments=DEPLOYMENTS), ENV, pool=pool,
                    sleep=clock.sleep, clock=clock)
    try:
        comp = await r.complete(request())
    finally:
        await pool.aclose()
    assert comp.model == REFS[kind]
    assert [(a.purpose, a.error_class) for a in comp.attempts] == [
        ("call", "MalformedResponse"), ("retry", None)]


@pytest.mark.parametrize("kind", ["openai", "compat", "anthropic"])
async def test_when_every_model_is_garbled_the_attempts_are_on_the_exception(kind: str) -> None:
    route, other = route_for(kind)
    first = FakeHTTP([garbled(kind, "a list")])
    second = FakeHTTP([garbled(other, "cut-off JSON")])
    fakes = iter([first, second])
    pool = ClientPool(lambda: next(fakes).client())
    clock = Clock()
    s = settings(deployments=DEPLOYMENTS, routing={"max_retries": 1})
    r = build_route(route, s, ENV, pool=pool, sleep=clock.sleep, clock=clock)
    with pytest.raises(ModelsExhausted) as info:
        await r.complete(request())
    await pool.aclose()
    exc = info.value
    assert exc.status == 502 and exc.type == "model_error"
    assert [(f"{a.provider}:{a.model}", a.purpose, a.error_class) for a in exc.attempts] == [
        (REFS[kind], "call", "MalformedResponse"),
        (REFS[kind], "retry", "MalformedResponse"),
        (REFS[other], "fallback", "MalformedResponse"),
        (REFS[other], "retry", "MalformedResponse"),
    ]
    assert [f.kind for f in exc.failures] == ["transport", "transport"]
    assert not any(s in str(exc) + json.dumps(exc.to_body()) for s in SECRETS)


# ---------------------------------------------------- the SDKs' own validation (strict mode)


async def test_openai_strict_validation_error_is_a_malformed_response() -> None:
    fake = FakeHTTP([ok({"id": "x", "choices": "nope"})])
    client = openai.AsyncOpenAI(api_key=SECRET, base_url="http://127.0.0.1:9/v1", max_retries=0,
                                http_client=fake.client(), _strict_response_validation=True)
    model = OpenAIProvider("openai", "gpt-4.1-mini", client, secrets=(SECRET,))
    try:
        with pytest.raises(MalformedResponse) as info:
            await model.complete(request())
    finally:
        await client.close()
    assert_clean(info.value, "openai:gpt-4.1-mini")


async def test_anthropic_strict_validation_error_is_a_malformed_response() -> None:
    fake = FakeHTTP([ok({"id": "x", "content": "nope"})])
    client = anthropic.AsyncAnthropic(api_key=ANT_SECRET, base_url="http://127.0.0.1:9",
                                      max_retries=0, http_client=fake.client(),
                                      _strict_response_validation=True)
    model = AnthropicProvider("anthropic", "claude-haiku-4-5", client, secrets=(ANT_SECRET,))
    try:
        with pytest.raises(MalformedResponse) as info:
            await model.complete(request())
    finally:
        await client.close()
    assert_clean(info.value, "anthropic:claude-haiku-4-5")


@pytest.mark.parametrize("kind", ["openai", "compat"])
async def test_a_chat_answer_labelled_as_text_is_still_read(kind: str) -> None:
    """Some OpenAI-compatible servers send JSON as ``text/plain``: the SDK hands that back as
    text, and the adapter reads it as the JSON it is."""
    fake = FakeHTTP([raw(json.dumps(_chat()).encode(), "text/plain; charset=utf-8")])
    completion = await call(kind, fake)
    assert completion.data == GOOD
