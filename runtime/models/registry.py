"""Provider registry: model refs (``provider:model``) to ``Model``s, routes to ``Router``s.

Providers are looked up by name: the built-in ``openai`` and ``anthropic``, and the named
deployments of ``Settings.deployments`` (which may also redefine ``openai``/``anthropic``, e.g.
to point them at a proxy). A deployment's ``kind`` selects its adapter in ``KINDS``;
``register_kind`` adds one. Adapter modules (and their SDKs) are imported only when first used.

Nothing here crashes start-up for a missing key or an unknown provider: the model is built, and
calling it raises ``ModelNotConfigured`` naming the fix (the pipeline answers 503).
``check_route`` returns the same findings as start-up warnings.
"""

from __future__ import annotations

import importlib
import os
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from specwright.compiler.errors import did_you_mean
from specwright.compiler.ir import Route, RouteModel, RoutingStrategy
from specwright.runtime.config import Deployment, Settings
from specwright.runtime.errors import ModelNotConfigured
from specwright.runtime.models._support import ClientPool, Endpoint
from specwright.runtime.models.base import Completion, Model, ModelRequest
from specwright.runtime.models.lowering import Dialect, unsupported
from specwright.runtime.models.pricing import PriceBook, split_ref
from specwright.runtime.models.route_strategies import Candidate
from specwright.runtime.models.router import Router
from specwright.runtime.models.sampling import Sampling

__all__ = [
    "KINDS", "ClientPool", "Endpoint", "build_model", "build_route", "check_route",
    "check_schema", "configured_secrets", "register_kind", "route_models",
]

ProviderFactory = Callable[[Endpoint, str, ClientPool], Model]
Wrapper = Callable[[str, Model], Model]

KINDS: dict[str, ProviderFactory | str] = {
    "openai": "specwright.runtime.models.openai_provider:build",
    "anthropic": "specwright.runtime.models.anthropic_provider:build",
    "openai-compatible": "specwright.runtime.models.compat_provider:build",
}
BUILTIN: dict[str, Deployment] = {
    "openai": Deployment(kind="openai", api_key_env="OPENAI_API_KEY"),
    "anthropic": Deployment(kind="anthropic", api_key_env="ANTHROPIC_API_KEY"),
}
_DEFAULT_URL: dict[str, tuple[str, str]] = {  # kind -> (env override, default base_url)
    "openai": ("OPENAI_BASE_URL", "https://api.openai.com/v1"),
    "anthropic": ("ANTHROPIC_BASE_URL", "https://api.anthropic.com"),
}


def register_kind(kind: str, factory: ProviderFactory) -> None:
    """Add (or replace) the adapter for deployments of ``kind``."""
    KINDS[kind] = factory


def _factory(kind: str) -> ProviderFactory:
    entry = KINDS[kind]
    if isinstance(entry, str):
        module, _, attr = entry.partition(":")
        entry = KINDS[kind] = getattr(importlib.import_module(module), attr)
    return entry


def _deployments(settings: Settings) -> dict[str, Deployment]:
    return {**BUILTIN, **settings.deployments}


def endpoint_for(provider: str, settings: Settings, env: Mapping[str, str]) -> Endpoint:
    """Resolve a provider name to its endpoint; raise ModelNotConfigured when it cannot be."""
    deployments = _deployments(settings)
    dep = deployments.get(provider)
    if dep is None:
        raise ModelNotConfigured(
            f'unknown provider "{provider}"{did_you_mean(provider, deployments)}: use '
            f"{', '.join(sorted(deployments))}, or add [deployments.{provider}] to specwright.toml"
        )
    if dep.kind not in KINDS:
        raise ModelNotConfigured(f'deployment "{provider}" has unknown kind "{dep.kind}"')
    env_var, default_url = _DEFAULT_URL.get(dep.kind, ("", ""))
    base_url = dep.base_url or (env.get(env_var) if env_var else None) or default_url
    if not base_url:
        raise ModelNotConfigured(
            f'deployment "{provider}" has no base_url: set [deployments.{provider}] base_url'
        )
    key = (env.get(dep.api_key_env) or None) if dep.api_key_env else None
    return Endpoint(
        provider=provider, kind=dep.kind, base_url=base_url, key=key,
        key_env=dep.api_key_env, structured=dep.structured,
        timeout_s=settings.routing.request_timeout_s,
        sampling=Sampling(temperature=dep.temperature, seed=dep.seed, top_p=dep.top_p,
                          max_tokens=dep.max_tokens, context_window=dep.context_window),
        prompt_cache=dep.prompt_cache,
    )


def build_model(
    ref: str, settings: Settings, env: Mapping[str, str] | None = None,
    *, pool: ClientPool | None = None,
) -> Model:
    """Build the adapter for ``ref``. Raises ModelNotConfigured for a ref that names nothing."""
    provider, model = split_ref(ref)
    if not provider or not model:
        raise ModelNotConfigured(
            f'"{ref}" is not a model reference: write provider:model, e.g. openai:gpt-4.1-mini')
    endpoint = endpoint_for(provider, settings, os.environ if env is None else env)
    return _factory(endpoint.kind)(endpoint, model, pool or ClientPool())


class UnavailableModel:
    """Stands in for a model that cannot be built; calling it raises ModelNotConfigured."""

    dialect: Dialect | None = None

    def __init__(self, ref: str, message: str) -> None:
        self.name = ref
        self.message = message

    async def complete(self, request: ModelRequest) -> Completion:
        raise ModelNotConfigured(self.message)


def route_models(route: Route, settings: Settings) -> tuple[tuple[RouteModel, ...], RoutingStrategy]:
    """The spec's own route, or the project's default route when the spec names no models."""
    if route.models:
        return route.models, route.strategy
    default = settings.default_route
    return tuple(RouteModel(ref=ref) for ref in default.models), default.strategy


def build_route(
    route: Route,
    settings: Settings,
    env: Mapping[str, str] | None = None,
    *,
    pool: ClientPool | None = None,
    overrides: Mapping[str, Model] | None = None,
    wrap: Wrapper | None = None,
    rng: random.Random | None = None,
    sleep: Callable[[float], Awaitable[object]] | None = None,
    clock: Callable[[], float] | None = None,
) -> Router:
    """One long-lived Router per spec route. Pass one ``pool`` for every route of a server.

    ``overrides`` replaces refs by ready-made models (fakes); ``wrap(ref, model)`` wraps each
    model (cassette recording or replay).
    """
    env = os.environ if env is None else env
    pool = pool or ClientPool()
    book = PriceBook(settings)
    models, strategy = route_models(route, settings)
    cands: list[Candidate] = []
    for rm in models:
        model: Model
        if overrides and rm.ref in overrides:
            model = overrides[rm.ref]
        else:
            try:
                model = build_model(rm.ref, settings, env, pool=pool)
            except ModelNotConfigured as exc:
                model = UnavailableModel(rm.ref, exc.message)
        if wrap is not None:
            model = wrap(rm.ref, model)
        provider, name = split_ref(rm.ref)
        cands.append(Candidate(
            model, rm.ref, provider, name,
            weight=1.0 if rm.weight is None else rm.weight,
            price=book.price(rm.ref), context_window=book.context_window(rm.ref),
        ))
    kw: dict[str, Any] = {"rng": rng}
    if sleep is not None:
        kw["sleep"] = sleep
    if clock is not None:
        kw["clock"] = clock
    return Router(cands, strategy=strategy, settings=settings.routing, **kw)


def dialect_for(ref: str, settings: Settings) -> Dialect | None:
    dep = _deployments(settings).get(split_ref(ref)[0])
    if dep is None:
        return None
    if dep.kind == "openai-compatible":
        from specwright.runtime.models.compat_provider import dialect_of

        return dialect_of(dep.structured)
    return "openai" if dep.kind == "openai" else "anthropic" if dep.kind == "anthropic" else None


def check_schema(route: Route, schema: dict[str, Any], settings: Settings) -> list[str]:
    """Errors for Output constructs a model of the route cannot express (for load time)."""
    errors: list[str] = []
    for rm in route_models(route, settings)[0]:
        dialect = dialect_for(rm.ref, settings)
        if dialect is not None:
            errors.extend(f"{rm.ref}: {p}" for p in unsupported(schema, dialect))
    return errors


def check_route(route: Route, settings: Settings, env: Mapping[str, str] | None = None) -> list[str]:
    """Start-up warnings for a route: unknown providers, missing keys, unknown prices..."""
    env = os.environ if env is None else env
    models, strategy = route_models(route, settings)
    if not models:
        return ["no models: add `models:` to the spec's front matter or set [default_route] "
                "models in specwright.toml"]
    warnings: list[str] = []
    book = PriceBook(settings)
    for rm in models:
        provider, model = split_ref(rm.ref)
        try:
            if not provider or not model:
                build_model(rm.ref, settings, env)
            endpoint = endpoint_for(provider, settings, env)
        except ModelNotConfigured as exc:
            warnings.append(exc.message)
            continue
        if endpoint.key_missing:
            warnings.append(f"no key for {provider}: set {endpoint.key_env} or route this spec "
                            "to another model")
        if book.price(rm.ref) is None:
            warnings.append(f'no price known for {rm.ref}: its cost is reported as unknown; set '
                            f'[prices."{rm.ref}"] input/output (USD per million tokens)')
        if endpoint.kind == "anthropic":
            eol = _anthropic_deprecations().get(model)
            if eol:
                warnings.append(f"{rm.ref} is deprecated by Anthropic (end of life {eol})")
    if strategy != "weighted" and any(rm.weight is not None for rm in models):
        warnings.append(f"model weights are ignored with routing: {strategy}; use routing: weighted")
    return warnings


def configured_secrets(settings: Settings, env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The values of every configured key variable: redacted from cassettes."""
    env = os.environ if env is None else env
    names = {d.api_key_env for d in _deployments(settings).values() if d.api_key_env}
    return tuple(env[n] for n in sorted(names) if env.get(n))


def _anthropic_deprecations() -> dict[str, str]:
    try:
        data = importlib.import_module("anthropic._data")
    except ImportError:
        return {}
    return dict(getattr(data, "DEPRECATED_MODELS", {}))
