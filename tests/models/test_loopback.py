"""End to end over real sockets: a tiny HTTP server on 127.0.0.1, the real SDK clients."""

from __future__ import annotations

import json
from typing import Any

from mdl_support import GOOD, Clock, LoopbackServer, chat, claude, request, settings

from specwright.compiler.ir import Route, RouteModel
from specwright.runtime.models.lowering import lower
from specwright.runtime.models.registry import ClientPool, build_route
from specwright.runtime.testing.server import free_port


async def test_openai_compatible_and_anthropic_over_loopback() -> None:
    calls = {"n": 0}

    def respond(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        calls["n"] += 1
        if path == "/v1/chat/completions":
            if calls["n"] == 1:
                return 429, {"error": {"message": "slow down", "type": "rate_limit"}}
            return 500, {"error": {"message": "boom"}}
        assert path == "/v1/messages"
        return 200, claude(GOOD)

    async with LoopbackServer(respond) as server:
        dead = free_port()  # nothing listens there: connection refused
        s = settings(
            deployments={
                "down": {"kind": "openai-compatible", "base_url": f"http://127.0.0.1:{dead}/v1"},
                "local": {"kind": "openai-compatible", "base_url": f"{server.url}/v1",
                          "api_key_env": "LOCAL_KEY"},
                "claude": {"kind": "anthropic", "base_url": server.url,
                           "api_key_env": "CLAUDE_KEY"},
            },
            routing={"max_retries": 1, "cooldown_failures": 10},
        )
        route = Route(models=(RouteModel(ref="down:m"), RouteModel(ref="local:qwen"),
                              RouteModel(ref="claude:claude-haiku-4-5")))
        pool = ClientPool()
        clock = Clock()
        r = build_route(route, s, {"LOCAL_KEY": "local-key-1234", "CLAUDE_KEY": "claude-key-5678"},
                        pool=pool, sleep=clock.sleep)
        comp = await r.complete(request())
        await pool.aclose()

    assert comp.data == GOOD and comp.model == "claude:claude-haiku-4-5"
    assert [(a.provider, a.purpose, a.error_class) for a in comp.attempts] == [
        ("down", "call", "RetryableProviderError"),
        ("down", "retry", "RetryableProviderError"),
        ("local", "fallback", "RateLimited"),
        ("local", "retry", "RetryableProviderError"),
        ("claude", "fallback", None),
    ]
    assert "could not connect" in (comp.attempts[0].error or "")
    (path, headers, body), _, (apath, aheaders, abody) = server.requests
    assert path == "/v1/chat/completions"
    assert headers["authorization"] == "Bearer local-key-1234"
    assert body["response_format"]["json_schema"]["schema"] == lower(request().output_schema,
                                                                     "compat").schema
    assert apath == "/v1/messages"
    assert abody["tools"][0]["input_schema"] == lower(request().output_schema, "anthropic").schema
    assert abody["tool_choice"]["name"] == "carrier_selection_output"
    assert "claude-key-5678" in json.dumps(aheaders)


async def test_openai_strict_over_loopback() -> None:
    def respond(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, chat(json.dumps({**GOOD, "note": None}), prompt=10, completion=5)

    async with LoopbackServer(respond) as server:
        s = settings(deployments={"openai": {"kind": "openai", "base_url": f"{server.url}/v1",
                                             "api_key_env": "OPENAI_API_KEY"}})
        pool = ClientPool()
        r = build_route(Route(models=(RouteModel(ref="openai:gpt-4.1-nano"),)), s,
                        {"OPENAI_API_KEY": "sk-loopback-123456"}, pool=pool)
        comp = await r.complete(request())
        second = await r.complete(request())
        await pool.aclose()
    assert comp.data == GOOD and second.data == GOOD
    _, headers, body = server.requests[0]
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["carrier", "reason", "note"]
    assert comp.cost_usd is not None and comp.cost_usd > 0
