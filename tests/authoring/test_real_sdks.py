"""``draft`` with the real ``openai`` and ``anthropic`` SDKs over a fake HTTP transport.

The providers are built by the registry from the route, exactly as for a served spec; only the
HTTP client is fake (``httpx2.MockTransport``): no test reaches a provider.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
from au_support import GOLDEN, POLICY, access, broken_draft, good_draft, logged_runs

from specwright.runtime.authoring.commands import draft
from specwright.runtime.models.lowering import lower
from specwright.runtime.models.registry import ClientPool

ENV = {"OPENAI_API_KEY": "sk-test-0123456789abcdef", "ANTHROPIC_API_KEY": "sk-ant-test-012345"}


class FakeProvider:
    """Answers each HTTP request with the next scripted body; keeps the request bodies."""

    def __init__(self, *bodies: dict[str, Any]) -> None:
        self.bodies = list(bodies)
        self.requests: list[dict[str, Any]] = []
        self.urls: list[str] = []

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(json.loads(request.content))
        self.urls.append(str(request.url))
        return httpx2.Response(200, json=self.bodies.pop(0))

    def client(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(self.handler))


def chat(answer: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI chat.completion whose message content is the DraftSpec JSON."""
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4.1-mini",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": json.dumps(answer)}}],
        "usage": {"prompt_tokens": 900, "completion_tokens": 700, "total_tokens": 1600},
    }


def claude(answer: dict[str, Any]) -> dict[str, Any]:
    """An Anthropic message whose forced tool call carries the DraftSpec."""
    return {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": "specwright_draft",
                     "input": answer}],
        "stop_reason": "tool_use", "stop_sequence": None,
        "usage": {"input_tokens": 900, "output_tokens": 700},
    }


async def test_openai_draft_compiles_on_the_first_answer(tmp_path: Path) -> None:
    fake = FakeProvider(chat(good_draft()))
    pool = ClientPool(fake.client)
    try:
        outcome = await draft(access(tmp_path, ref="openai:gpt-4.1-mini", env=ENV, pool=pool),
                              POLICY, "return-request")
    finally:
        await pool.aclose()
    assert outcome.ok
    assert (tmp_path / "specs/return-request.md").read_text(encoding="utf-8") == \
        GOLDEN.read_text(encoding="utf-8")
    (body,) = fake.requests
    assert fake.urls == ["https://api.openai.com/v1/chat/completions"]
    fmt = body["response_format"]["json_schema"]
    assert fmt["name"] == "specwright_draft" and fmt["strict"] is True
    from specwright.compiler.authoring.draft_model import draft_schema

    assert fmt["schema"] == lower(draft_schema(), "openai").schema
    assert body["max_completion_tokens"] == 16000
    (run,) = await logged_runs(tmp_path)
    assert (run.status, run.model, run.input_tokens) == ("ok", "openai:gpt-4.1-mini", 900)
    assert run.cost_usd is not None and run.cost_usd > 0


async def test_openai_draft_with_compile_errors_is_repaired_over_the_wire(tmp_path: Path) -> None:
    fake = FakeProvider(chat(broken_draft()), chat(good_draft()))
    pool = ClientPool(fake.client)
    try:
        outcome = await draft(access(tmp_path, ref="openai:gpt-4.1-mini", env=ENV, pool=pool),
                              POLICY, "return-request")
    finally:
        await pool.aclose()
    assert outcome.ok and outcome.rounds == 2
    second = fake.requests[1]["messages"]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert json.loads(second[2]["content"]) == broken_draft()
    assert "output.refund is not an Output field" in second[3]["content"]
    assert [r.status for r in await logged_runs(tmp_path)] == ["model_error", "ok"]


async def test_openai_draft_never_repaired_fails_and_keeps_the_best_draft(tmp_path: Path) -> None:
    fake = FakeProvider(*[chat(broken_draft())] * 2)
    pool = ClientPool(fake.client)
    try:
        outcome = await draft(access(tmp_path, ref="openai:gpt-4.1-mini", env=ENV, pool=pool),
                              POLICY, "return-request", repairs=1)
    finally:
        await pool.aclose()
    assert not outcome.ok and len(fake.requests) == 2
    assert outcome.written == tmp_path / "specs/return-request.draft.md"
    assert "output.refund <= input.item_price" in outcome.written.read_text(encoding="utf-8")


async def test_anthropic_draft_compiles_through_a_forced_tool(tmp_path: Path) -> None:
    fake = FakeProvider(claude(broken_draft()), claude(good_draft()))
    pool = ClientPool(fake.client)
    try:
        outcome = await draft(
            access(tmp_path, ref="anthropic:claude-haiku-4-5", env=ENV, pool=pool),
            POLICY, "return-request")
    finally:
        await pool.aclose()
    assert outcome.ok and outcome.rounds == 2
    first = fake.requests[0]
    assert fake.urls[0] == "https://api.anthropic.com/v1/messages"
    assert first["tool_choice"]["name"] == "specwright_draft"
    assert first["max_tokens"] == 16000
    assert "output.refund is not an Output field" in json.dumps(fake.requests[1]["messages"])
