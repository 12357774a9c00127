"""The fault-injecting fake model server, driven by the real provider adapters and SDKs."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections import Counter
from typing import Any

import httpx
import jsonschema
import pytest

from specwright.runtime.config import Settings
from specwright.runtime.errors import RateLimited, RetryableProviderError, UnparseableOutput
from specwright.runtime.fakeserver import (
    DEFAULT_FAULTS,
    FakeConfig,
    FakeServer,
    FaultMix,
    fault_kind,
)
from specwright.runtime.models.base import Completion, Message, ModelRequest
from specwright.runtime.models.registry import ClientPool, build_model

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "carrier": {"type": "string", "enum": ["ups", "fedex", "usps", "dhl"]},
        "reason": {"type": "string", "minLength": 3, "maxLength": 200},
        "days": {"type": "integer", "minimum": 1, "maximum": 14},
        "note": {"anyOf": [{"type": "string", "maxLength": 20}, {"type": "null"}]},
    },
    "required": ["carrier", "reason", "days"],
    "additionalProperties": False,
}
REFS = {"openai": "openai:gpt-4.1-mini", "anthropic": "anthropic:claude-haiku-4-5",
        "compat": "local:qwen"}
KEYS = {"K_OPENAI": "sk-fake-1234", "K_ANTHROPIC": "sk-ant-fake-1234"}


def settings_for(url: str, *, structured: str = "json_schema", timeout: float = 5.0) -> Settings:
    return Settings.model_validate({
        "deployments": {
            "openai": {"kind": "openai", "base_url": f"{url}/v1", "api_key_env": "K_OPENAI"},
            "anthropic": {"kind": "anthropic", "base_url": url, "api_key_env": "K_ANTHROPIC"},
            "local": {"kind": "openai-compatible", "base_url": f"{url}/v1",
                      "structured": structured},
        },
        "routing": {"request_timeout_s": timeout},
    })


async def complete(settings: Settings, api: str) -> Completion:
    pool = ClientPool()
    try:
        model = build_model(REFS[api], settings, KEYS, pool=pool)
        request = ModelRequest(
            messages=(Message("system", "Choose a carrier."), Message("user", "Order A-1")),
            output_schema=SCHEMA, schema_name="carrier_output")
        return await model.complete(request)
    finally:
        await pool.aclose()


@pytest.mark.parametrize("api", ["openai", "anthropic", "compat"])
async def test_answers_match_the_requested_schema_and_report_usage(api: str) -> None:
    async with FakeServer() as fake:
        comp = await complete(settings_for(fake.url), api)
        stats = fake.stats.as_dict()
    jsonschema.validate(comp.data, SCHEMA)
    assert comp.usage.input_tokens > 0 and comp.usage.output_tokens > 0
    key = {"openai": "openai:gpt-4.1-mini", "anthropic": "anthropic:claude-haiku-4-5",
           "compat": "openai:qwen"}[api]  # by wire protocol and model name
    assert stats["requests"] == 1 and stats["outcomes"] == {"ok": 1}
    assert stats["input_tokens"][key] == comp.usage.input_tokens
    assert stats["output_tokens"][key] == comp.usage.output_tokens


async def test_json_object_servers_get_the_schema_from_the_prompt() -> None:
    config = FakeConfig(answer={"reason": "from the config"})
    async with FakeServer(config) as fake:
        comp = await complete(settings_for(fake.url, structured="json_object"), "compat")
    jsonschema.validate(comp.data, SCHEMA)
    assert comp.data["reason"] == "from the config"


@pytest.mark.parametrize("api", ["openai", "anthropic"])
@pytest.mark.parametrize("kind", ["rate_limit", "server_error", "timeout", "reset", "malformed",
                                  "schema_invalid", "bad_answer"])
async def test_each_fault_reaches_the_adapter_like_a_real_provider_failure(
    api: str, kind: str
) -> None:
    config = FakeConfig(faults=FaultMix({fault_kind(kind): 1.0}), retry_after_s=7,
                        hang_s=5.0, bad_answer={"carrier": "usps"})
    async with FakeServer(config) as fake:
        settings = settings_for(fake.url, timeout=0.3)
        try:
            outcome: Completion | Exception = await complete(settings, api)
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            outcome = exc
        assert fake.stats.outcomes == Counter({kind: 1})
    if kind == "rate_limit":
        assert isinstance(outcome, RateLimited) and outcome.retry_after == 7.0
    elif kind in ("server_error", "timeout", "reset"):
        assert type(outcome) is RetryableProviderError, outcome
        expected = {"server_error": "HTTP 500", "timeout": "timed out", "reset": "could not connect"}
        assert expected[kind] in outcome.message
    elif kind == "malformed":
        assert isinstance(outcome, UnparseableOutput) and outcome.usage.output_tokens > 0
    else:
        assert isinstance(outcome, Completion), outcome
        if kind == "schema_invalid":
            with pytest.raises(jsonschema.ValidationError):
                jsonschema.validate(outcome.data, SCHEMA)
        else:
            assert outcome.data["carrier"] == "usps"
            jsonschema.validate(outcome.data, SCHEMA)


def test_the_fault_mix_is_seeded_and_keeps_its_rates() -> None:
    body = json.dumps({"model": "m", "messages": []}).encode()

    def outcomes(seed: int) -> list[str]:
        server = FakeServer(FakeConfig(faults=FaultMix.uniform(0.3, DEFAULT_FAULTS), seed=seed))
        sequence = []
        for _ in range(3000):
            server.respond("POST", "/v1/chat/completions", body)
            sequence.append(server.last_outcome)
        return sequence

    first = outcomes(7)
    assert first == outcomes(7) and first != outcomes(8)
    counts = Counter(first)
    assert 0.26 < 1 - counts["ok"] / 3000 < 0.34, counts
    assert set(counts) == {"ok", *DEFAULT_FAULTS}
    for kind in DEFAULT_FAULTS:
        assert 0.03 < counts[kind] / 3000 < 0.07, counts


def test_configuration_errors_are_refused() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FakeServer(host="0.0.0.0")  # noqa: S104 - the refusal is what is tested
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultMix.parse("503=0.1")
    with pytest.raises(ValueError, match="more than 1"):
        FaultMix.parse("429=0.7,500=0.7")
    with pytest.raises(ValueError, match="bad_answer payload"):
        FakeConfig(faults=FaultMix({"bad_answer": 0.1}))
    assert FaultMix.parse("429=0.1,hang=0.2").rates == {"rate_limit": 0.1, "timeout": 0.2}


async def test_responses_keep_request_order_on_a_keep_alive_connection() -> None:
    async with FakeServer(FakeConfig(latency_ms=30)) as fake:
        reader, writer = await asyncio.open_connection("127.0.0.1", fake.port)
        try:
            for model in ("first", "second", "third"):
                body = json.dumps({"model": model}).encode()
                writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n"
                             b"content-length: %d\r\n\r\n" % len(body) + body)
            seen = []
            for _ in range(3):
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                seen.append(json.loads(await reader.readexactly(length))["model"])
        finally:
            writer.close()
            await writer.wait_closed()
    assert seen == ["first", "second", "third"]


def test_command_line_server_with_control_endpoints() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "specwright.runtime.fakeserver", "--port", "0", "--mix", "500=1",
         "--latency-ms", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("fakeserver listening on http://127.0.0.1:"), line
        url = line.rsplit(" ", 1)[1].strip()
        with httpx.Client(base_url=url, timeout=5) as client:
            assert client.post("/v1/chat/completions", json={"model": "m"}).status_code == 500
            config = client.post("/_fake/config", json={"faults": ""}).json()
            assert config["faults"] == {} and config["latency_ms"] == 1.0
            assert client.post("/v1/messages", json={"model": "c"}).status_code == 200
            assert client.post("/_fake/config", json={"nope": 1}).status_code == 400
            stats = client.get("/_fake/stats").json()
            assert stats["outcomes"] == {"server_error": 1, "ok": 1}
            assert client.post("/_fake/reset").json() == {"ok": True}
            assert client.get("/_fake/stats").json()["requests"] == 0
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["requests"] == 0


def test_command_line_refuses_a_public_address() -> None:
    proc = subprocess.run([sys.executable, "-m", "specwright.runtime.fakeserver", "--host", "0.0.0.0"],
                          capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 2 and "loopback only" in proc.stderr
