"""Bulk runs against the fake provider with rate limits: calls are scheduled under the limit
(learned from the vendor's headers), not retried into 429s.

How long a run takes is measured by ``bench/rate_limit_bench.py`` (ratio to the limit's ideal
time); here, what must hold whatever the machine's speed: the fake refuses no call (or the few
sent before the first answer taught the limit), no run retries a 429 more than once, and every
line is logged once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rel_support import CARRIER_DOMESTIC, KEYS, Server, logged_runs, make_project, post_all

from specwright.runtime.config import load_settings
from specwright.runtime.engine.batch import run_batch
from specwright.runtime.fakeserver import FakeConfig, FakeServer, FakeServerThread
from specwright.runtime.models.rate_limits import LIMITERS

LINES = 600
RPM = 12_000  # 200 a second: the fake's one-second burst is 200 calls


@pytest.fixture(autouse=True)
def fresh_limiters() -> Iterator[None]:
    """Limiters live for the process (what they learned is kept): none from another test."""
    LIMITERS.clear()
    yield
    LIMITERS.clear()


async def test_the_fake_refuses_calls_over_its_limits_with_each_vendors_headers() -> None:
    async with FakeServer(FakeConfig(rpm=60, tpm=100_000)) as fake, httpx.AsyncClient() as http:
        chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}],
                "max_completion_tokens": 50}
        first = await http.post(f"{fake.url}/v1/chat/completions", json=chat)
        second = await http.post(f"{fake.url}/v1/chat/completions", json=chat)
        assert first.status_code == 200 and second.status_code == 429
        assert first.headers["x-ratelimit-limit-requests"] == "60"
        assert first.headers["x-ratelimit-limit-tokens"] == "100000"
        assert first.headers["x-ratelimit-remaining-requests"] == "0"
        assert first.headers["x-ratelimit-reset-requests"].endswith("s")
        assert int(second.headers["retry-after"]) >= 1
        assert second.json()["error"]["code"] == "rate_limit_exceeded"
        message = {"model": "m", "max_tokens": 50,
                   "messages": [{"role": "user", "content": "hi"}],
                   "tools": [{"name": "answer", "input_schema": {"type": "object"}}],
                   "tool_choice": {"type": "tool", "name": "answer"}}
        ok = await http.post(f"{fake.url}/v1/messages", json=message)
        refused = await http.post(f"{fake.url}/v1/messages", json=message)
        assert ok.status_code == 200 and refused.status_code == 429
        reset = ok.headers["anthropic-ratelimit-requests-reset"]
        assert dt.datetime.fromisoformat(reset.replace("Z", "+00:00")).tzinfo is not None
        assert refused.headers["anthropic-ratelimit-requests-remaining"] == "0"
        assert refused.json()["error"]["type"] == "rate_limit_error"
        assert fake.stats.outcomes["over_limit"] == 2


@pytest.mark.parametrize(("limit", "value"), [("rpm", RPM), ("tpm", 4_800_000)])
async def test_a_bulk_run_stays_under_the_learned_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str, value: float) -> None:
    """Requests a minute, or tokens a minute (about 1,200 a call here: 4,000 calls a minute)."""
    for name, key in KEYS.items():
        monkeypatch.setenv(name, key)
    with FakeServerThread(FakeConfig(**{limit: value}, latency_ms=10)) as fake:
        root = make_project(tmp_path / "proj", fake.url, routing={
            "max_retries": 3, "retry_after_cap_s": 5.0, "deadline_s": 60.0,
            "request_timeout_s": 10.0})
        src = root / "in.jsonl"
        src.write_text("".join(json.dumps({**CARRIER_DOMESTIC, "order_id": f"R-{i}"}) + "\n"
                               for i in range(LINES)))
        settings = load_settings(root)
        out = io.StringIO()
        summary = await run_batch(settings, root, "carrier-selection", src, out,
                                  concurrency=None, resume=True)
        stats = fake.stats()
    assert summary.ok == LINES and summary.failed == 0
    assert stats["outcomes"].get("over_limit", 0) == 0
    limiter = LIMITERS.find("anthropic:claude-haiku-4-5")
    assert limiter is not None
    schedule = limiter.requests if limit == "rpm" else limiter.tokens
    assert schedule is not None and schedule.per_minute == value  # learned from the headers
    ids = [json.loads(line)["run_id"] for line in out.getvalue().splitlines()]
    runs = await logged_runs(settings, root, ids)
    assert len(runs) == len(set(ids)) == LINES
    retried_429s = Counter(sum(a.error_class == "RateLimited" for a in r.attempts)
                           for r in runs.values())
    assert set(retried_429s) <= {0, 1}  # no 429 retried more than once


async def test_a_429_without_limit_headers_pauses_the_model(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    """No limit known before the first answers: 64 calls at once meet the fake's one-second
    burst of 50. The 429s teach the limit and pause the model, and every line still succeeds."""
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    with FakeServerThread(FakeConfig(rpm=3000, latency_ms=5)) as fake:
        root = make_project(tmp_path / "proj", fake.url, routing={
            "max_retries": 3, "retry_after_cap_s": 5.0, "deadline_s": 60.0,
            "request_timeout_s": 10.0, "cooldown_failures": 100})  # no fallback: one model
        src = root / "in.jsonl"
        src.write_text("".join(json.dumps({**CARRIER_DOMESTIC, "order_id": f"R-{i}"}) + "\n"
                               for i in range(120)))
        summary = await run_batch(load_settings(root), root, "carrier-selection", src,
                                  io.StringIO(), concurrency=64, resume=False)
        stats = fake.stats()
    assert summary.ok == 120
    # The first burst finds the limit: at most the 64 calls in flight then are refused (how
    # many exactly depends on how the machine spreads them over the fake's one-second window);
    # the 56 lines started after the pause are paced under the learned limit.
    assert 0 < stats["outcomes"].get("over_limit", 0) <= 64
    limiter = LIMITERS.find("anthropic:claude-haiku-4-5")
    assert limiter is not None and limiter.requests is not None
    assert limiter.requests.per_minute == 3000 and limiter.rate_limited > 0


async def test_the_server_schedules_its_calls_under_a_configured_limit(tmp_path: Path) -> None:
    """``specwright serve`` with 32 callers at once and a limit of 3,000 a minute: the calls
    wait in the scheduler, none is refused by the provider, every request answers 200."""
    with FakeServerThread(FakeConfig(rpm=3000, latency_ms=5)) as fake:
        root = make_project(tmp_path / "proj", fake.url, routing={
            "max_retries": 3, "retry_after_cap_s": 5.0, "deadline_s": 60.0,
            "request_timeout_s": 10.0})
        toml = root / "specwright.toml"
        toml.write_text(toml.read_text().replace(
            'api_key_env = "FAKE_ANTHROPIC_KEY"\n',
            'api_key_env = "FAKE_ANTHROPIC_KEY"\nrequests_per_minute = 3000\n'))
        server = Server(root)
        try:
            await asyncio.to_thread(server.wait_ready)
            bodies = [{**CARRIER_DOMESTIC, "order_id": f"S-{i}"} for i in range(200)]
            answers = await post_all(f"{server.url}/specs/carrier-selection/v1", bodies,
                                     concurrency=32)
        finally:
            server.stop()
        stats = fake.stats()
    assert Counter(a.status for a in answers) == {200: 200}
    assert stats["outcomes"].get("over_limit", 0) == 0
    assert stats["by_model"] == {"anthropic:claude-haiku-4-5": 200}
