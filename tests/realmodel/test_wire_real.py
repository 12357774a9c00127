"""The wire behaviour of llama-cpp-python's server, against the real thing (issue 18, items 1-4,
6): what it refuses, that the schema sent inside ``json_object`` constrains the answer, that the
token bound holds, and that temperature 0 with a seed answers the same twice."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from specwright.runtime.config import Settings
from specwright.runtime.errors import ModelsExhausted
from specwright.runtime.models.base import Message, ModelRequest
from specwright.runtime.models.fake import no_sleep
from specwright.runtime.models.registry import ClientPool, build_model
from specwright.runtime.models.router import Router
from specwright.runtime.testing.real_model import SEED, RealModelServer

pytestmark = pytest.mark.real_model

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"carrier": {"type": "string", "enum": ["ups", "fedex", "dhl"]},
                   "reason": {"type": "string", "maxLength": 60}},
    "required": ["carrier", "reason"], "additionalProperties": False,
}


def _request(max_tokens: int | None = None) -> ModelRequest:
    return ModelRequest(
        messages=(Message("system", "You choose a parcel carrier."),
                  Message("user", "A 2 kg parcel to Texas, due in 3 days. Which carrier?")),
        output_schema=SCHEMA, schema_name="carrier", spec="wire", max_tokens=max_tokens)


def _settings(server: RealModelServer, structured: str) -> Settings:
    return Settings.model_validate({"deployments": {"local": {
        "kind": "openai-compatible", "base_url": server.base_url, "structured": structured,
        "context_window": server.n_ctx, "seed": SEED}},
        "routing": {"request_timeout_s": 120.0, "deadline_s": 300.0}})


async def _ask(server: RealModelServer, structured: str, request: ModelRequest) -> Any:
    pool = ClientPool()
    try:
        settings = _settings(server, structured)
        model = build_model("local:smollm2", settings, {}, pool=pool)
        return await Router.of([model], settings=settings.routing, sleep=no_sleep).complete(
            request)
    finally:
        await pool.aclose()


def test_json_schema_is_refused_once_not_retried_and_no_traceback_leaks(
    real_model_server: RealModelServer,
) -> None:
    with pytest.raises(ModelsExhausted) as info:
        asyncio.run(_ask(real_model_server, "json_schema", _request()))
    exc = info.value
    assert len(exc.attempts) == 1 and exc.failures[0].kind == "rejected"
    shown = json.dumps(exc.details)
    assert "HTTP 500" in shown and ".py" not in shown and "validation" not in shown
    assert "literal_error" in (exc.attempts[0].error or "")  # the server's words: log only


def test_the_schema_inside_json_object_constrains_the_answer_reproducibly(
    real_model_server: RealModelServer,
) -> None:
    first = asyncio.run(_ask(real_model_server, "json_object_schema", _request()))
    again = asyncio.run(_ask(real_model_server, "json_object_schema", _request()))
    assert first.data["carrier"] in ("ups", "fedex", "dhl") and isinstance(first.data["reason"], str)
    assert set(first.data) == {"carrier", "reason"}
    assert again.text == first.text  # temperature 0 (the default) and a fixed seed
    assert first.usage.input_tokens > 0 and first.usage.output_tokens > 0


def test_the_token_bound_holds(real_model_server: RealModelServer) -> None:
    with pytest.raises(ModelsExhausted) as info:
        asyncio.run(_ask(real_model_server, "json_object", _request(max_tokens=5)))
    attempts = info.value.attempts
    assert attempts and all((a.output_tokens or 0) <= 5 for a in attempts)
    assert "cut off at the token limit" in (attempts[0].error or "")
