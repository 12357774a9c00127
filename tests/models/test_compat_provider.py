"""OpenAI-compatible deployments (Ollama, vLLM, llama.cpp, LM Studio) through base_url."""

from __future__ import annotations

import json

from mdl_support import GOOD, FakeHTTP, chat, ok, request, settings

from specwright.runtime.models.lowering import lower
from specwright.runtime.models.pricing import FREE, PriceBook
from specwright.runtime.models.registry import ClientPool, build_model

DEPLOYMENTS = {
    "ollama": {"kind": "openai-compatible", "base_url": "http://127.0.0.1:11434/v1",
               "structured": "json_object", "context_window": 8192},
    "vllm": {"kind": "openai-compatible", "base_url": "http://127.0.0.1:8000/v1",
             "api_key_env": "VLLM_KEY"},
}


async def test_json_object_deployment_sends_json_object_and_the_schema_in_the_prompt() -> None:
    fake = FakeHTTP([ok(chat(f"```json\n{json.dumps(GOOD)}\n```"))])
    pool = ClientPool(fake.client)
    model = build_model("ollama:llama3.1:8b", settings(deployments=DEPLOYMENTS), {}, pool=pool)
    comp = await model.complete(request(max_tokens=256))
    await pool.aclose()
    req = fake.requests[0]
    assert str(req.url) == "http://127.0.0.1:11434/v1/chat/completions"
    body = fake.bodies[0]
    assert body["model"] == "llama3.1:8b"
    assert body["response_format"] == {"type": "json_object"}
    assert body["max_tokens"] == 256 and "max_completion_tokens" not in body
    # one system message: the spec's, with the schema instruction after it (some chat templates
    # refuse a second system message)
    system = body["messages"][0]
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    head, _, instruction = system["content"].partition("\n\n")
    assert head == "You choose carriers." and "JSON Schema" in instruction
    assert json.loads(instruction.split("\n", 1)[1]) == lower(request().output_schema,
                                                               "json_object").schema
    assert body["messages"][1] == {"role": "user", "content": "Order A-1"}
    assert comp.data == GOOD and comp.model == "ollama:llama3.1:8b"
    assert PriceBook(settings(deployments=DEPLOYMENTS)).price("ollama:llama3.1:8b") == FREE


async def test_json_schema_deployment_keeps_constraints_and_sends_its_key() -> None:
    fake = FakeHTTP([ok(chat(json.dumps(GOOD)))])
    pool = ClientPool(fake.client)
    model = build_model("vllm:qwen2.5", settings(deployments=DEPLOYMENTS),
                        {"VLLM_KEY": "vllm-secret-123"}, pool=pool)
    await model.complete(request())
    await pool.aclose()
    body = fake.bodies[0]
    schema = body["response_format"]["json_schema"]["schema"]
    assert body["response_format"]["type"] == "json_schema"
    assert schema == lower(request().output_schema, "compat").schema
    assert schema["properties"]["reason"]["maxLength"] == 200
    assert schema["required"] == ["carrier", "reason"]
    assert fake.requests[0].headers["authorization"] == "Bearer vllm-secret-123"
