"""30% faults on a two-model route, through the real server, SDKs and providers, on loopback.

``specwright serve`` runs carrier-selection (route: ``anthropic:claude-haiku-4-5`` then
``openai:gpt-4.1-mini``), both deployments pointed at one fault-injecting fake server that
fails 30% of the calls, split equally over: 429 with Retry-After, 500, hangs (the request
timeout fires), connection resets, malformed JSON, schema-invalid JSON and guardrail-violating
answers (``usps`` for hazmat or international parcels). Then:

* at least 99% of the runs answer 200, and none answers 500;
* every run is in the log with its attempts, and they add up: the attempts of all runs are
  exactly the calls the fake server received (per model), with the token counts it reported,
  the cost of those tokens at the shipped prices, and one error class per kind of fault;
  each run's cost header is the sum of its attempts' costs.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from rel_support import (
    CARRIER_ABROAD,
    CARRIER_HAZMAT,
    FAST_ROUTING,
    KEYS,
    Answer,
    Server,
    logged_runs,
    make_project,
    post_all,
    tracebacks,
)

from specwright.runtime.config import load_settings
from specwright.runtime.fakeserver import FakeConfig, FakeServerThread, FaultMix
from specwright.runtime.http.app import create_app
from specwright.runtime.models.base import Usage
from specwright.runtime.models.pricing import PriceBook
from specwright.runtime.records import RunRecord

RUNS = 300
CONCURRENCY = 16
KINDS = ("rate_limit", "server_error", "timeout", "reset", "malformed", "schema_invalid",
         "bad_answer")
# What the router records for each outcome the fake server chose.
ERROR_CLASS = {"ok": None, "rate_limit": "RateLimited", "server_error": "RetryableProviderError",
               "timeout": "RetryableProviderError", "reset": "RetryableProviderError",
               "malformed": "UnparseableOutput", "schema_invalid": "OutputInvalid",
               "bad_answer": "GuardrailViolation"}
REFS = ("anthropic:claude-haiku-4-5", "openai:gpt-4.1-mini")


def bodies() -> list[dict[str, Any]]:
    base = (CARRIER_HAZMAT, CARRIER_ABROAD)
    return [{**base[i % 2], "order_id": f"F-{i:04d}"} for i in range(RUNS)]


async def run_load(tmp_path: Path, seed: int) -> tuple[list[Answer], dict[str, Any], Path, str]:
    config = FakeConfig(faults=FaultMix.uniform(0.3, KINDS), seed=seed, retry_after_s=1.0,
                        hang_s=30.0, bad_answer={"carrier": "usps"})
    with FakeServerThread(config) as fake:
        project = make_project(tmp_path / "proj", fake.url, routing=FAST_ROUTING)
        server = Server(project)
        try:
            await asyncio.to_thread(server.wait_ready)
            answers = await asyncio.wait_for(
                post_all(f"{server.url}/specs/carrier-selection/v1", bodies(),
                         concurrency=CONCURRENCY), 100)
        finally:
            server.stop()
        stats = fake.stats()
    return answers, stats, project, server.output()


@pytest.mark.parametrize("seed", [20251127])
async def test_thirty_percent_faults_on_a_two_model_route(tmp_path: Path, seed: int) -> None:
    answers, stats, project, output = await run_load(tmp_path, seed)

    statuses = Counter(a.status for a in answers)
    assert len(answers) == RUNS
    assert statuses[500] == 0, [a.body for a in answers if a.status == 500][:3]
    assert set(statuses) <= {200, 422, 502}, statuses
    assert statuses[200] >= math.ceil(0.99 * RUNS), (statuses, [a.body for a in answers
                                                                if a.status != 200][:3])
    assert {a.body["type"] for a in answers if a.status != 200} <= {"model_error",
                                                                     "guardrail_failed"}
    assert set(stats["outcomes"]) == {"ok", *KINDS}, stats  # every fault was exercised
    assert not tracebacks(output), output[-3000:]

    settings = load_settings(project, {})
    runs = await logged_runs(settings, project, [a.run_id or "" for a in answers])
    assert len(runs) == RUNS, "every run, failed or not, is in the log"
    for answer in answers:
        check_run(answer, runs[answer.run_id or ""])

    attempts = [a for run in runs.values() for a in run.attempts]
    assert len(attempts) == stats["requests"]
    by_model = Counter(f"{a.provider}:{a.model}" for a in attempts)
    assert by_model == Counter(stats["by_model"])
    book = PriceBook(settings)
    for ref in REFS:
        mine = [a for a in attempts if f"{a.provider}:{a.model}" == ref]
        tokens_in = sum(a.input_tokens or 0 for a in mine)
        tokens_out = sum(a.output_tokens or 0 for a in mine)
        assert (tokens_in, tokens_out) == (stats["input_tokens"].get(ref, 0),
                                           stats["output_tokens"].get(ref, 0)), ref
        cost = sum(a.cost_usd or 0.0 for a in mine)
        expected = book.cost(ref, Usage(tokens_in, tokens_out))
        assert expected is not None and expected > 0
        assert cost == pytest.approx(expected, rel=1e-9), ref
    classes = Counter(a.error_class for a in attempts)
    expected_classes: Counter[str | None] = Counter()
    for outcome, n in stats["outcomes"].items():
        expected_classes[ERROR_CLASS[outcome]] += n
    assert classes == expected_classes


def check_run(answer: Answer, run: RunRecord) -> None:
    """One run's log entry agrees with its answer, and its attempts add up."""
    assert run.attempts, run.id
    assert run.attempts[0].purpose == "call"
    assert {a.purpose for a in run.attempts[1:]} <= {"retry", "repair", "fallback"}
    assert answer.headers["x-specwright-cost-usd"] == f"{run.cost_usd:.6f}"
    assert run.input_tokens == sum(a.input_tokens or 0 for a in run.attempts)
    if answer.status == 200:
        last = run.attempts[-1]
        assert run.status == "ok" and last.status == "ok" and last.error_class is None
        assert all(a.status == "error" for a in run.attempts[:-1])
        assert answer.headers["x-specwright-model"] == f"{last.provider}:{last.model}"
        assert run.output == answer.body
        assert answer.body["carrier"] != "usps"  # the guardrails held
    else:
        assert run.status == {502: "model_error", 422: "guardrail_failed"}[answer.status]
        assert all(a.status == "error" for a in run.attempts)
        assert run.error is not None and run.error["type"] == answer.body["type"]


async def test_a_truncated_response_body_is_retried_not_a_500(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    config = FakeConfig(faults=FaultMix({"truncated_body": 0.5}), seed=3)
    statuses: Counter[int] = Counter()
    with FakeServerThread(config) as fake:
        project = make_project(tmp_path / "proj", fake.url, routing=FAST_ROUTING)
        app = create_app(load_settings(project, {}), project)  # in-process, real providers
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                for body in bodies()[:20]:
                    r = await client.post("/specs/carrier-selection/v1", json=body)
                    statuses[r.status_code] += 1
    assert statuses[500] == 0, statuses
    assert statuses[200] >= 19, statuses
