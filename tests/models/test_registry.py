"""Provider lookup by name, start-up never crashing, start-up warnings, schema checks."""

from __future__ import annotations

import pytest
from mdl_support import SCHEMA, request, settings

from specwright.compiler.ir import Route, RouteModel
from specwright.runtime.errors import ModelNotConfigured
from specwright.runtime.models._support import Endpoint
from specwright.runtime.models.anthropic_provider import AnthropicProvider
from specwright.runtime.models.base import Completion, ModelRequest
from specwright.runtime.models.compat_provider import CompatProvider
from specwright.runtime.models.openai_provider import OpenAIProvider
from specwright.runtime.models.registry import (
    KINDS,
    ClientPool,
    UnavailableModel,
    build_model,
    build_route,
    check_route,
    check_schema,
    configured_secrets,
    register_kind,
)
from specwright.runtime.models.throttle import ThrottledModel

DEPLOYMENTS = {"local": {"kind": "openai-compatible", "base_url": "http://127.0.0.1:11434/v1"},
               "nourl": {"kind": "openai-compatible"}}


def route(*refs: str, strategy: str = "fallback", weights: bool = False) -> Route:
    return Route(models=tuple(RouteModel(ref=r, weight=1.0 if weights else None) for r in refs),
                 strategy=strategy)  # type: ignore[arg-type]


def test_providers_are_found_by_name() -> None:
    s = settings(deployments=DEPLOYMENTS)
    env = {"OPENAI_API_KEY": "sk-a-123456", "ANTHROPIC_API_KEY": "sk-b-123456"}
    assert isinstance(build_model("openai:gpt-4.1", s, env), OpenAIProvider)
    assert isinstance(build_model("anthropic:claude-haiku-4-5", s, env), AnthropicProvider)
    local = build_model("local:llama3.1:8b", s, env)
    assert isinstance(local, CompatProvider) and local.name == "local:llama3.1:8b"
    assert local.model == "llama3.1:8b"


def test_a_deployment_can_redefine_a_builtin_provider() -> None:
    s = settings(deployments={"openai": {"kind": "openai", "base_url": "http://127.0.0.1:1/v1",
                                         "api_key_env": "PROXY_KEY"}})
    pool = ClientPool()
    model = build_model("openai:gpt-4.1", s, {"PROXY_KEY": "proxy-key-1"}, pool=pool)
    assert isinstance(model, OpenAIProvider) and model._client is not None
    assert str(model._client.base_url) == "http://127.0.0.1:1/v1/"


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("opnai:gpt-4.1", 'unknown provider "opnai" (did you mean "openai"?)'),
        ("gpt-4.1", '"gpt-4.1" is not a model reference: write provider:model'),
        ("nourl:m", 'deployment "nourl" has no base_url'),
    ],
)
def test_bad_refs_raise_model_not_configured(ref: str, message: str) -> None:
    with pytest.raises(ModelNotConfigured, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("?", r"\?")):
        build_model(ref, settings(deployments=DEPLOYMENTS), {})


async def test_build_route_never_crashes_start_up() -> None:
    r = build_route(route("opnai:gpt-4.1", "openai:gpt-4.1"), settings(), {})
    first, second = (c.model for c in r.candidates)
    assert isinstance(first, UnavailableModel)
    with pytest.raises(ModelNotConfigured, match="unknown provider"):
        await first.complete(request())
    # every adapter is called through its model's rate-limit scheduler
    assert isinstance(second, ThrottledModel) and isinstance(second.inner, OpenAIProvider)
    with pytest.raises(ModelNotConfigured, match="no key for openai"):
        await second.complete(request())


def test_route_uses_the_default_route_and_carries_prices_and_windows() -> None:
    s = settings(default_route={"models": ["openai:gpt-4.1-mini", "anthropic:claude-haiku-4-5"],
                                "strategy": "cheapest"})
    r = build_route(Route(), s, {})
    assert r.strategy == "cheapest"
    assert [c.ref for c in r.candidates] == ["openai:gpt-4.1-mini", "anthropic:claude-haiku-4-5"]
    assert [c.provider for c in r.candidates] == ["openai", "anthropic"]
    assert r.candidates[0].price is not None and r.candidates[0].context_window == 1_047_576
    assert r.settings == s.routing


def test_check_route_warnings() -> None:
    s = settings(deployments=DEPLOYMENTS)
    warnings = check_route(route("openai:gpt-4.1-mini", "anthropic:claude-haiku-4-5",
                                 "openai:gpt-9", "opnai:x", "local:llama3", weights=True), s, {})
    assert warnings == [
        "no key for openai: set OPENAI_API_KEY or route this spec to another model",
        "no key for anthropic: set ANTHROPIC_API_KEY or route this spec to another model",
        "no key for openai: set OPENAI_API_KEY or route this spec to another model",
        'no price known for openai:gpt-9: its cost is reported as unknown; set '
        '[prices."openai:gpt-9"] input/output (USD per million tokens)',
        'unknown provider "opnai" (did you mean "openai"?): use anthropic, local, nourl, openai, '
        "or add [deployments.opnai] to specwright.toml",
        "model weights are ignored with routing: fallback; use routing: weighted",
    ]
    env = {"OPENAI_API_KEY": "k" * 10, "ANTHROPIC_API_KEY": "k" * 10}
    assert check_route(route("openai:gpt-4.1-mini", "local:llama3"), s, env) == []
    assert check_route(Route(), s, env)[0].startswith("no models")


def test_check_route_flags_deprecated_anthropic_models() -> None:
    from anthropic._data import DEPRECATED_MODELS

    env = {"ANTHROPIC_API_KEY": "k" * 10}
    assert check_route(route("anthropic:claude-haiku-4-5"), settings(), env) == []
    if "claude-sonnet-4-5" in DEPRECATED_MODELS:
        (warning,) = check_route(route("anthropic:claude-sonnet-4-5"), settings(), env)
        assert warning.startswith("anthropic:claude-sonnet-4-5 is deprecated by Anthropic")


def test_check_schema_reports_constructs_per_route_model() -> None:
    bad = {"type": "object", "properties": {"m": {"type": "object", "additionalProperties": True}}}
    s = settings(deployments=DEPLOYMENTS)
    errors = check_schema(route("openai:gpt-4.1", "anthropic:claude-haiku-4-5", "local:x"), bad, s)
    assert len(errors) == 1 and errors[0].startswith("openai:gpt-4.1: output.m is a free-form map")
    assert check_schema(route("openai:gpt-4.1"), SCHEMA, s) == []


def test_register_a_new_kind() -> None:
    class Echo:
        dialect = None

        def __init__(self, endpoint: Endpoint, model: str) -> None:
            self.name = f"{endpoint.provider}:{model}"

        async def complete(self, request: ModelRequest) -> Completion:
            return Completion(data={}, model=self.name)

    saved = KINDS["openai-compatible"]
    register_kind("openai-compatible", lambda endpoint, model, pool: Echo(endpoint, model))
    try:
        model = build_model("local:llama3", settings(deployments=DEPLOYMENTS), {})
        assert isinstance(model, Echo) and model.name == "local:llama3"
    finally:
        KINDS["openai-compatible"] = saved


def test_configured_secrets() -> None:
    s = settings(deployments={"x": {"kind": "openai-compatible", "base_url": "http://127.0.0.1/v1",
                                    "api_key_env": "X_KEY"}})
    env = {"OPENAI_API_KEY": "sk-one-123", "X_KEY": "x-two-456", "OTHER": "nope"}
    assert set(configured_secrets(s, env)) == {"sk-one-123", "x-two-456"}
