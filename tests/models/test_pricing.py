"""The shipped price table, overrides, local deployments, unknown prices (None, never 0)."""

from __future__ import annotations

import pytest
from mdl_support import settings

from specwright.runtime.models.base import Usage
from specwright.runtime.models.pricing import (
    FREE,
    ModelPrice,
    PriceBook,
    base_model,
    cost_of,
    shipped_table,
)


def test_shipped_table_is_dated_and_covers_current_models() -> None:
    table = shipped_table()
    assert table.as_of >= "2025-01-01" and "never fetched" in table.note
    for ref in ("openai:gpt-4.1", "openai:gpt-4.1-mini", "openai:gpt-4.1-nano", "openai:gpt-4o",
                "openai:gpt-4o-mini", "openai:o4-mini", "anthropic:claude-haiku-4-5",
                "anthropic:claude-sonnet-4-5", "anthropic:claude-opus-4-1"):
        price = table.prices[ref]
        assert price.input > 0 and price.output > price.input and price.cached is not None
        assert table.context_windows[ref] >= 128_000


def test_dated_snapshots_use_their_alias() -> None:
    assert base_model("gpt-4.1-2025-04-14") == "gpt-4.1"
    assert base_model("claude-haiku-4-5-20251001") == "claude-haiku-4-5"
    book = PriceBook()
    assert book.price("openai:gpt-4.1-mini-2025-04-14") == book.price("openai:gpt-4.1-mini")


def test_unknown_price_is_none_never_zero() -> None:
    book = PriceBook()
    assert book.price("openai:gpt-9-ultra") is None
    assert book.cost("openai:gpt-9-ultra", Usage(1000, 100)) is None
    assert book.price("nowhere:model") is None


def test_overrides_and_local_deployments() -> None:
    s = settings(
        prices={"openai:gpt-4.1-mini": {"input": 1.0, "output": 2.0},
                "groq:*": {"input": 0.05, "output": 0.1}},
        deployments={
            "local": {"kind": "openai-compatible", "base_url": "http://127.0.0.1:11434/v1"},
            "lan": {"kind": "openai-compatible", "base_url": "http://10.0.0.5:8000/v1",
                    "api_key_env": "LAN_KEY"},
            "together": {"kind": "openai-compatible", "base_url": "https://api.together.xyz/v1",
                         "api_key_env": "TOGETHER_KEY"},
            "groq": {"kind": "openai-compatible", "base_url": "https://api.groq.com/v1",
                     "api_key_env": "GROQ_KEY"},
            "proxy": {"kind": "anthropic", "base_url": "https://proxy.example/v1",
                      "context_window": 100_000},
        },
    )
    book = PriceBook(s)
    assert book.price("openai:gpt-4.1-mini") == ModelPrice(1.0, 2.0, None)
    assert book.price("local:llama3.1:8b") == FREE  # explicitly 0
    assert book.price("lan:qwen") == FREE
    assert book.price("together:llama") is None  # hosted, unpriced: unknown
    assert book.price("groq:llama-3") == ModelPrice(0.05, 0.1, None)
    assert book.price("proxy:claude-haiku-4-5") == shipped_table().prices["anthropic:claude-haiku-4-5"]
    assert book.context_window("proxy:claude-haiku-4-5") == 100_000
    assert book.context_window("openai:gpt-4o") == 128_000


def test_cost_counts_cached_input_at_the_cached_price() -> None:
    price = ModelPrice(2.0, 8.0, 0.5)
    usage = Usage(input_tokens=1_000_000, output_tokens=500_000, cached_tokens=400_000)
    assert cost_of(price, usage) == pytest.approx(0.6 * 2.0 + 0.4 * 0.5 + 0.5 * 8.0)
    assert cost_of(ModelPrice(1.0, 1.0), usage) == pytest.approx(1.5)  # no cached price


def test_prompt_cache_reads_and_writes_are_priced_at_their_rates() -> None:
    price = ModelPrice(input=1.0, output=5.0, cached=0.1, cache_write=1.25)
    # 1,000 prompt tokens: 600 read from the cache, 300 written to it, 100 plain; 200 out
    assert cost_of(price, Usage(1000, 200, 600, 300)) == pytest.approx(
        (100 * 1.0 + 600 * 0.1 + 300 * 1.25 + 200 * 5.0) / 1e6)
    no_write_rate = ModelPrice(input=1.0, output=5.0, cached=0.1)
    assert cost_of(no_write_rate, Usage(1000, 0, 0, 300)) == pytest.approx(1000 / 1e6)


def test_anthropic_cache_writes_cost_a_quarter_more_than_input() -> None:
    table = shipped_table()
    for ref, price in table.prices.items():
        if ref.startswith("anthropic:"):
            assert price.cache_write == pytest.approx(price.input * 1.25), ref
        else:
            assert price.cache_write is None, ref


def test_a_cache_write_price_can_be_overridden() -> None:
    from specwright.runtime.config import Price, Settings

    book = PriceBook(Settings(prices={"anthropic:claude-haiku-4-5": Price(
        input=1.0, output=5.0, cached=0.1, cache_write=2.0)}))
    assert book.cost("anthropic:claude-haiku-4-5", Usage(100, 0, 0, 100)) == pytest.approx(
        200 / 1e6)


async def test_the_router_logs_cache_reads_and_writes_per_attempt_and_prices_them() -> None:
    """A scripted model reporting usage the way Anthropic does (reads and writes of the prompt
    cache within the input tokens): each attempt keeps both counts, the completion sums them."""
    from specwright.runtime.models.base import Message, ModelRequest
    from specwright.runtime.models.fake import ScriptedModel, no_sleep, server_error
    from specwright.runtime.models.router import Router

    model = ScriptedModel([server_error(), {"carrier": "ups"}], name="fake:cached",
                          usage=Usage(1000, 20, 600, 300))
    book = PriceBook(settings(prices={"fake:cached": {"input": 1.0, "output": 5.0,
                                                      "cached": 0.1, "cache_write": 1.25}}))
    router = Router.of([model], prices=book, sleep=no_sleep)
    request = ModelRequest(messages=(Message("user", "x"),), output_schema={"type": "object"},
                           schema_name="out")
    completion = await router.complete(request)
    failed, ok = completion.attempts
    assert failed.cached_tokens is None and failed.cost_usd == 0.0  # a transport failure
    assert (ok.input_tokens, ok.cached_tokens, ok.cache_write_tokens) == (1000, 600, 300)
    assert ok.cost_usd == pytest.approx((100 * 1.0 + 600 * 0.1 + 300 * 1.25 + 20 * 5.0) / 1e6)
    assert completion.usage == Usage(1000, 20, 600, 300)
