"""What each kind of server is sent (schema, sampling, token bound) and how its refusals are
read: the wire half of what the first real server broke (issue 18, items 1-4, 6, 8, 9).

The real server itself is exercised by tests/realmodel/; these pin the bodies with a fake
endpoint so every mode of every provider is covered, including servers CI does not run.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from mdl_support import GOOD, SCHEMA, FakeHTTP, chat, claude, error, ok, request, settings

from specwright.runtime.errors import FatalProviderError, RetryableProviderError
from specwright.runtime.models.fake import no_sleep
from specwright.runtime.models.lowering import lower
from specwright.runtime.models.parsing import parse_json_object
from specwright.runtime.models.registry import ClientPool, build_model
from specwright.runtime.models.router import Router
from specwright.runtime.models.sampling import MIN_OUTPUT_TOKENS, output_budget

LOCAL = "http://127.0.0.1:8080/v1"


def deployment(**kw: Any) -> dict[str, Any]:
    return {"local": {"kind": "openai-compatible", "base_url": LOCAL, **kw}}


async def send(deployments: dict[str, Any], ref: str = "local:smollm2", reply: Any = None,
               **req: Any) -> tuple[FakeHTTP, Any]:
    fake = FakeHTTP([reply if reply is not None else ok(chat(json.dumps(GOOD)))])
    pool = ClientPool(fake.client)
    model = build_model(ref, settings(deployments=deployments),
                        {"OPENAI_API_KEY": "k" * 8, "ANTHROPIC_API_KEY": "k" * 8}, pool=pool)
    try:
        comp = await model.complete(request(**req))
    finally:
        await pool.aclose()
    return fake, comp


# ------------------------------------------------------------- item 2: how the schema is sent

async def test_json_object_schema_sends_the_schema_inside_response_format() -> None:
    fake, comp = await send(deployment(structured="json_object_schema"))
    body = fake.bodies[0]
    assert body["response_format"] == {"type": "json_object",
                                       "schema": lower(SCHEMA, "compat").schema}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "JSON Schema" in body["messages"][0]["content"]
    assert comp.data == GOOD


async def test_ollama_format_sends_json_schema_which_ollama_turns_into_format() -> None:
    # Ollama's OpenAI-compatible endpoint has no top-level ``format`` field (it is dropped):
    # ``response_format: json_schema`` is what becomes its ``format`` (test_server_dialects.py)
    fake, _ = await send(deployment(structured="ollama_format"))
    body = fake.bodies[0]
    assert body["response_format"]["json_schema"]["schema"] == lower(SCHEMA, "compat").schema
    assert "format" not in body and "JSON Schema" in body["messages"][0]["content"]


async def test_json_schema_is_the_openai_form() -> None:
    fake, _ = await send(deployment())
    rf = fake.bodies[0]["response_format"]
    assert rf["type"] == "json_schema" and rf["json_schema"]["schema"] == lower(SCHEMA,
                                                                                "compat").schema
    assert fake.bodies[0]["messages"][0] == {"role": "system", "content": "You choose carriers."}


def test_an_unknown_way_of_sending_the_schema_is_a_config_error() -> None:
    with pytest.raises(Exception, match="structured"):
        settings(deployments=deployment(structured="grammar"))


# ---------------------------------------------------------- items 3, 4: bound and sampling

async def test_every_request_carries_a_bound_derived_from_the_schema() -> None:
    fake, _ = await send(deployment())
    bound = fake.bodies[0]["max_tokens"]
    assert bound == output_budget(SCHEMA) and MIN_OUTPUT_TOKENS <= bound < 1000
    fake, _ = await send({}, ref="openai:gpt-4.1-mini")
    assert fake.bodies[0]["max_completion_tokens"] == bound


async def test_anthropic_gets_the_same_derived_bound() -> None:
    fake, _ = await send({}, ref="anthropic:claude-haiku-4-5", reply=ok(claude(GOOD)))
    assert fake.bodies[0]["max_tokens"] == output_budget(SCHEMA)


def test_the_bound_grows_with_the_schema_s_free_text() -> None:
    long_text = {**SCHEMA, "properties": {**SCHEMA["properties"],
                                          "reason": {"type": "string", "maxLength": 2000}}}
    assert output_budget(long_text) > output_budget(SCHEMA) + 500


async def test_the_spec_s_bound_wins_and_the_deployment_caps_it() -> None:
    fake, _ = await send(deployment(), max_tokens=900)
    assert fake.bodies[0]["max_tokens"] == 900
    fake, _ = await send(deployment(max_tokens=300), max_tokens=900)
    assert fake.bodies[0]["max_tokens"] == 300


async def test_the_bound_never_exceeds_the_context_window() -> None:
    fake, _ = await send(deployment(context_window=512), max_tokens=8000)
    body = fake.bodies[0]
    prompt_chars = sum(len(m["content"]) for m in body["messages"])
    assert body["max_tokens"] < 512 - prompt_chars // 4


async def test_temperature_defaults_to_zero_and_seed_and_top_p_come_from_the_deployment() -> None:
    fake, _ = await send(deployment())
    body = fake.bodies[0]
    assert body["temperature"] == 0.0 and "seed" not in body and "top_p" not in body
    fake, _ = await send(deployment(temperature=0.7, seed=42, top_p=0.9))
    assert {k: fake.bodies[0][k] for k in ("temperature", "seed", "top_p")} == {
        "temperature": 0.7, "seed": 42, "top_p": 0.9}


async def test_the_spec_s_sampling_wins_over_the_deployment_s() -> None:
    fake, _ = await send(deployment(temperature=0.7, seed=42), temperature=0.1, seed=7, top_p=0.5)
    assert {k: fake.bodies[0][k] for k in ("temperature", "seed", "top_p")} == {
        "temperature": 0.1, "seed": 7, "top_p": 0.5}


async def test_reasoning_models_get_neither_temperature_nor_top_p_nor_a_derived_bound() -> None:
    fake, _ = await send({}, ref="openai:o4-mini", temperature=0.3, top_p=0.5, seed=3)
    body = fake.bodies[0]
    assert "temperature" not in body and "top_p" not in body and body["seed"] == 3
    assert "max_completion_tokens" not in body


# ------------------------------------------- items 1, 6: refusals, retries and vendor text

LLAMA_500 = (
    "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
    "'msg': \"Input should be 'text' or 'json_object'\"}\n\n  File \"/srv/venv/lib/python3.11/"
    "site-packages/llama_cpp/server/app.py\", line 376, in create_chat_completion\n"
)


async def test_a_deterministic_500_is_a_refusal_not_retried_and_its_text_stays_out() -> None:
    fake = FakeHTTP([error(500, LLAMA_500, kind="internal_server_error")])
    pool = ClientPool(fake.client)
    model = build_model("local:smollm2", settings(deployments=deployment()), {}, pool=pool)
    router = Router.of([model], sleep=no_sleep)
    with pytest.raises(Exception) as info:
        await router.complete(request())
    await pool.aclose()
    assert len(fake.requests) == 1  # not retried: the same body gets the same 500
    exc: Any = info.value
    assert exc.failures[0].kind == "rejected"
    shown = json.dumps(exc.details)
    assert "HTTP 500" in shown and "app.py" not in shown and "literal_error" not in shown
    attempt = exc.attempts[0]
    assert attempt.error_class == "FatalProviderError" and "app.py" in (attempt.error or "")


async def test_a_transient_500_is_still_retried() -> None:
    fake = FakeHTTP([error(500, "upstream hiccup"), ok(chat(json.dumps(GOOD)))])
    pool = ClientPool(fake.client)
    model = build_model("local:smollm2", settings(deployments=deployment()), {}, pool=pool)
    comp = await Router.of([model], sleep=no_sleep).complete(request())
    await pool.aclose()
    assert len(fake.requests) == 2 and comp.data == GOOD


@pytest.mark.parametrize("status", [400, 404, 500, 503])
async def test_vendor_text_never_reaches_the_message_but_reaches_the_log(
    status: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "specwright.models"), pytest.raises(
            (FatalProviderError, RetryableProviderError)) as info:
        await send(deployment(), reply=error(status, 'Traceback: File "/srv/app.py", line 9'))
    assert "app.py" not in info.value.message and f"HTTP {status}" in info.value.message
    assert info.value.vendor_detail is not None and "app.py" in info.value.vendor_detail
    assert any("app.py" in r.getMessage() for r in caplog.records)


# ------------------------------------------------------------ item 8: raw newlines in strings

def test_raw_newlines_inside_json_strings_are_accepted_as_one_object() -> None:
    text = '{"carrier": "ups", "reason": "cheapest\nand on time\tfor the promise"}'
    assert parse_json_object(text) == {"carrier": "ups",
                                       "reason": "cheapest\nand on time\tfor the promise"}
    fenced = f"Here:\n```json\n{text}\n```"
    assert parse_json_object(fenced)["reason"].startswith("cheapest\n")
