"""Token prices and context windows: the dated table shipped in ``prices.json``, plus overrides.

The table is read from the installed package (never fetched). Lookup of ``provider:model``:

1. ``Settings.prices``: the exact ref, the ref with a dated snapshot suffix removed, then
   ``provider:*``;
2. a named deployment: an OpenAI-compatible deployment that is local (no ``api_key_env``, or a
   loopback/private ``base_url``) costs 0, explicitly; a deployment of kind ``openai`` or
   ``anthropic`` uses the shipped price of the same model;
3. the ``fake`` and ``mock`` providers cost 0;
4. the shipped table, with dated snapshots (``gpt-4.1-2025-04-14``) priced as their alias.

Anything else has an unknown price: ``None``, never 0.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit

from specwright.runtime.config import Deployment, Price, Settings
from specwright.runtime.models.base import Usage

__all__ = ["FREE", "ModelPrice", "PriceBook", "PriceTable", "cost_of", "shipped_table"]

_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8})$")
FREE_PROVIDERS = frozenset({"fake", "mock"})


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per million tokens."""

    input: float
    output: float
    cached: float | None = None  # a prompt-cache read; None: the input price
    cache_write: float | None = None  # a prompt-cache write; None: the input price


FREE = ModelPrice(0.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True, slots=True)
class PriceTable:
    as_of: str
    note: str
    prices: Mapping[str, ModelPrice]
    context_windows: Mapping[str, int]


@functools.cache
def shipped_table() -> PriceTable:
    raw = json.loads(resources.files("specwright.runtime.models").joinpath("prices.json").read_text("utf-8"))
    prices: dict[str, ModelPrice] = {}
    windows: dict[str, int] = {}
    # a vendor's cache-write price as a multiple of its input price (Anthropic: 1.25 for the
    # default five-minute cache), unless a model states its own ``cache_write``
    write_factor: dict[str, float] = raw.get("cache_write_factor", {})
    for ref, entry in raw["models"].items():
        factor = write_factor.get(split_ref(ref)[0])
        written = entry.get("cache_write")
        if written is None and factor is not None:
            written = round(entry["input"] * factor, 6)
        prices[ref] = ModelPrice(entry["input"], entry["output"], entry.get("cached"), written)
        if entry.get("context_window"):
            windows[ref] = int(entry["context_window"])
    return PriceTable(raw["as_of"], raw["note"], prices, windows)


def base_model(model: str) -> str:
    """``gpt-4.1-2025-04-14`` -> ``gpt-4.1``; ``claude-haiku-4-5-20251001`` -> ``claude-haiku-4-5``."""
    return _SNAPSHOT.sub("", model)


def split_ref(ref: str) -> tuple[str, str]:
    provider, sep, model = ref.partition(":")
    return (provider, model) if sep else ("", ref)


def cost_of(price: ModelPrice | None, usage: Usage) -> float | None:
    """USD for ``usage`` at ``price``; None when the price is unknown."""
    if price is None:
        return None
    cached = min(usage.cached_tokens, usage.input_tokens)
    written = min(usage.cache_write_tokens, usage.input_tokens - cached)
    cached_rate = price.input if price.cached is None else price.cached
    write_rate = price.input if price.cache_write is None else price.cache_write
    total = (
        (usage.input_tokens - cached - written) * price.input
        + cached * cached_rate
        + written * write_rate
        + usage.output_tokens * price.output
    )
    return total / 1_000_000


def is_local_url(url: str | None) -> bool:
    if not url:
        return False
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".local") or host.endswith(".internal"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_link_local


class PriceBook:
    """Prices and context windows for refs, with the project's overrides applied."""

    def __init__(self, settings: Settings | None = None, table: PriceTable | None = None) -> None:
        self.table = table or shipped_table()
        self._overrides: Mapping[str, Price] = settings.prices if settings else {}
        self._deployments: Mapping[str, Deployment] = settings.deployments if settings else {}
        self._cache: dict[str, ModelPrice | None] = {}

    def price(self, ref: str) -> ModelPrice | None:
        if ref in self._cache:
            return self._cache[ref]
        found = self._lookup(ref)
        self._cache[ref] = found
        return found

    def _lookup(self, ref: str) -> ModelPrice | None:
        provider, model = split_ref(ref)
        for key in (ref, f"{provider}:{base_model(model)}", f"{provider}:*"):
            override = self._overrides.get(key)
            if override is not None:
                return ModelPrice(override.input, override.output, override.cached,
                                  override.cache_write)
        dep = self._deployments.get(provider)
        if dep is not None:
            if dep.kind == "openai-compatible":
                local = dep.api_key_env is None or is_local_url(dep.base_url)
                return FREE if local else None
            provider = dep.kind
        if provider in FREE_PROVIDERS:
            return FREE
        return self.table.prices.get(f"{provider}:{base_model(model)}")

    def context_window(self, ref: str) -> int | None:
        provider, model = split_ref(ref)
        dep = self._deployments.get(provider)
        if dep is not None:
            if dep.context_window is not None:
                return dep.context_window
            provider = dep.kind
        return self.table.context_windows.get(f"{provider}:{base_model(model)}")

    def cost(self, ref: str, usage: Usage) -> float | None:
        return cost_of(self.price(ref), usage)
