"""Prompt caching end to end: the prompt's static part is the same for every input, Anthropic
requests carry the cache breakpoint on it, and the cached tokens the (fake) providers report are
logged per attempt and priced at the cached rates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cost_support import quote_project
from rt_support import logged, running

from specwright.runtime.config import DefaultRoute, Deployment, Settings
from specwright.runtime.engine.catalog import load_catalog
from specwright.runtime.engine.prompting import render_messages
from specwright.runtime.fakeserver import FakeServer
from specwright.runtime.http.app import create_app
from specwright.runtime.models.pricing import PriceBook
from specwright.runtime.models.prompt_cache import static_prefix
from specwright.runtime.records import Attempt


def test_the_static_prefix_is_identical_across_inputs(compiled_examples: Path) -> None:
    catalog = load_catalog(compiled_examples / "generated")
    checked = 0
    for revision in catalog.routes().values():
        examples = revision.compiled.spec.examples
        if not revision.compiled.model_decided or len(examples) < 2:
            continue
        rendered = [render_messages(revision, dict(ex.input), {}) for ex in examples]
        prefixes = {static_prefix(messages) for messages in rendered}
        assert len(prefixes) == 1, revision.name  # one cacheable prefix for every input
        (prefix,) = prefixes
        assert revision.compiled.spec.title in prefix and "## Rules" in prefix
        for messages in rendered:
            assert [m.role for m in messages] == ["system", "user"]  # input last
            assert "<input>" not in prefix and "<input>" in messages[-1].content
        assert len({m[-1].content for m in rendered}) > 1  # what differs is the input
        checked += 1
    assert checked >= 3


def _settings(fake: FakeServer, ref: str, *, prompt_cache: bool = True) -> Settings:
    return Settings(
        default_route=DefaultRoute(models=(ref,)),
        deployments={
            "openai": Deployment(kind="openai", base_url=f"{fake.url}/v1",
                                 api_key_env="FAKE_KEY"),
            "anthropic": Deployment(kind="anthropic", base_url=fake.url, api_key_env="FAKE_KEY",
                                    prompt_cache=prompt_cache),
        },
    )


async def _two_runs(root: Path, settings: Settings) -> list[Attempt]:
    app = create_app(settings, root)
    attempts = []
    async with running(app) as c:
        for amount in (10, 900):  # two inputs, one static prefix
            r = await c.post("/specs/quote/v1", json={"amount": amount})
            assert r.status_code == 200, r.text
            (attempt,) = (await logged(app, r.headers["X-Specwright-Run-Id"])).attempts
            attempts.append(attempt)
    return attempts


def _cost(ref: str, a: Attempt) -> float:
    price = PriceBook().price(ref)
    assert price is not None and price.cached is not None and price.cached < price.input
    plain = (a.input_tokens or 0) - (a.cached_tokens or 0) - (a.cache_write_tokens or 0)
    return (plain * price.input + (a.cached_tokens or 0) * price.cached
            + (a.cache_write_tokens or 0) * (price.cache_write or price.input)
            + (a.output_tokens or 0) * price.output) / 1e6


async def test_anthropic_gets_a_breakpoint_and_cache_reads_and_writes_are_priced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KEY", "sk-fake-000")
    root = quote_project(tmp_path / "p", "")
    ref = "anthropic:claude-haiku-4-5"
    async with FakeServer(capture=True, cache_min_tokens=64) as fake:
        written, read = await _two_runs(root, _settings(fake, ref))
        bodies = [json.loads(b) for b in fake.captured or []]
    for body in bodies:  # the breakpoint closes the system prompt, after the tool (schema)
        (block,) = body["system"]
        assert block["type"] == "text" and "Write a one-line note" in block["text"]
        assert block["cache_control"] == {"type": "ephemeral"}
        assert all("cache_control" not in t for t in body["tools"])
        assert all(isinstance(m["content"], str) for m in body["messages"])
    assert bodies[0]["system"] == bodies[1]["system"]
    assert bodies[0]["messages"] != bodies[1]["messages"]
    assert written.cache_write_tokens and not written.cached_tokens
    assert read.cached_tokens == written.cache_write_tokens and not read.cache_write_tokens
    assert read.input_tokens is not None and read.input_tokens > read.cached_tokens
    for attempt in (written, read):
        assert attempt.cost_usd == pytest.approx(_cost(ref, attempt), rel=1e-9)
    # the read costs less than the same prompt without a cache; the write costs more
    assert read.cost_usd is not None and written.cost_usd is not None
    assert read.cost_usd < written.cost_usd


async def test_openai_reports_its_automatic_prefix_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KEY", "sk-fake-000")
    root = quote_project(tmp_path / "p", "")
    ref = "openai:gpt-4.1-mini"
    async with FakeServer(capture=True, cache_min_tokens=64) as fake:
        first, second = await _two_runs(root, _settings(fake, ref))
        bodies = [json.loads(b) for b in fake.captured or []]
    assert [m["role"] for m in bodies[0]["messages"]] == ["system", "user"]
    assert not first.cached_tokens and second.cached_tokens
    assert second.cache_write_tokens == 0
    assert second.cost_usd == pytest.approx(_cost(ref, second), rel=1e-9)


async def test_the_breakpoint_can_be_turned_off_per_deployment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KEY", "sk-fake-000")
    root = quote_project(tmp_path / "p", "")
    async with FakeServer(capture=True, cache_min_tokens=64) as fake:
        attempts = await _two_runs(root, _settings(fake, "anthropic:claude-haiku-4-5",
                                                   prompt_cache=False))
        bodies = [json.loads(b) for b in fake.captured or []]
    assert all(isinstance(b["system"], str) for b in bodies)
    assert all(not a.cached_tokens and not a.cache_write_tokens for a in attempts)


def test_a_short_prefix_is_not_cached_as_at_the_vendors() -> None:
    from specwright.runtime.fakeserver.prompt_cache import PrefixCache

    cache = PrefixCache(min_tokens=1024)
    request: dict[str, Any] = {"model": "m", "system": [
        {"type": "text", "text": "short", "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": "x"}]}
    assert cache.anthropic(request, 2000) == (0, 0)
    long = {**request, "system": [{"type": "text", "text": "x" * 8000,
                                   "cache_control": {"type": "ephemeral"}}]}
    first, second = cache.anthropic(long, 3000), cache.anthropic(long, 3000)
    assert first[0] == 0 and first[1] >= 1024 and second == (first[1], 0)
