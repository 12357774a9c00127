"""Helpers for the model-layer tests: schemas, canned provider responses, fake HTTP endpoints."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2

from specwright.runtime.config import Settings
from specwright.runtime.models.base import Message, ModelRequest, Problem

SECRET = "sk-test-0123456789abcdefSECRET"
ANT_SECRET = "sk-ant-test-0123456789SECRET"

# The Output schema of the model-decided fields, as the compiler writes it (an optional field is
# ``anyOf [..., null]`` and not required).
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "CarrierSelectionOutputV1",
    "type": "object",
    "properties": {
        "carrier": {"description": "Carrier to book", "type": "string",
                    "enum": ["ups", "fedex", "usps", "dhl"]},
        "reason": {"description": "One sentence", "type": "string", "maxLength": 200,
                   "x-specwright-type": "text"},
        "note": {"description": "Optional note",
                 "anyOf": [{"type": "string", "maxLength": 50}, {"type": "null"}]},
    },
    "required": ["carrier", "reason"],
    "additionalProperties": False,
}
GOOD = {"carrier": "ups", "reason": "Cheapest that meets the promise."}


def check_carrier(data: dict[str, Any]) -> list[str]:
    """A check like the pipeline's: schema problems as str, guardrail problems as Problem."""
    problems: list[str] = []
    if data.get("carrier") not in ("ups", "fedex", "usps", "dhl"):
        problems.append(f"carrier: {data.get('carrier')!r} is not one of ups, fedex, usps, dhl")
    if not isinstance(data.get("reason"), str):
        problems.append("reason: field required")
    if data.get("carrier") == "usps":
        problems.append(Problem('guardrail violated: "No hazmat with USPS"',
                                guardrail="No hazmat with USPS"))
    return problems


def request(check: Any = check_carrier, **kw: Any) -> ModelRequest:
    return ModelRequest(
        messages=(Message("system", "You choose carriers."), Message("user", "Order A-1")),
        output_schema=SCHEMA, schema_name="carrier_selection_output", spec="carrier-selection",
        check=check, **kw,
    )


def settings(**kw: Any) -> Settings:
    return Settings.model_validate(kw)


def chat(content: str | None, *, prompt: int = 100, completion: int = 20, cached: int = 0,
         finish: str = "stop", refusal: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4.1-mini",
        "choices": [{"index": 0, "finish_reason": finish,
                     "message": {"role": "assistant", "content": content, "refusal": refusal}}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                  "total_tokens": prompt + completion,
                  "prompt_tokens_details": {"cached_tokens": cached}},
    }


def claude(tool_input: dict[str, Any] | None, *, name: str = "carrier_selection_output",
           text: str = "", stop: str = "tool_use", inp: int = 120, out: int = 30,
           cache_read: int = 0) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if text:
        content.append({"type": "text", "text": text})
    if tool_input is not None:
        content.append({"type": "tool_use", "id": "toolu_1", "name": name, "input": tool_input})
    return {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
        "content": content, "stop_reason": stop, "stop_sequence": None,
        "usage": {"input_tokens": inp, "output_tokens": out,
                  "cache_read_input_tokens": cache_read, "cache_creation_input_tokens": 0},
    }


Reply = httpx2.Response | Exception | Callable[[httpx2.Request], httpx2.Response]


@dataclass
class FakeHTTP:
    """A scripted HTTP endpoint for ``httpx2.MockTransport``; keeps every request body."""

    replies: list[Reply]
    requests: list[httpx2.Request] = field(default_factory=list)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    def handler(self, req: httpx2.Request) -> httpx2.Response:
        self.requests.append(req)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            return reply(req)
        return reply

    def client(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(self.handler))


def ok(body: dict[str, Any], **headers: str) -> httpx2.Response:
    return httpx2.Response(200, json=body, headers=headers)


def error(status: int, message: str, *, code: str | None = None, kind: str = "error",
          headers: dict[str, str] | None = None) -> httpx2.Response:
    body = {"error": {"message": message, "type": kind, "code": code}}
    return httpx2.Response(status, json=body, headers=headers or {})


class Clock:
    """A fake monotonic clock; ``sleep`` advances it and records the delays."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# --------------------------------------------------------------------- loopback HTTP server


class LoopbackServer:
    """A tiny HTTP/1.1 server on 127.0.0.1 (a free port) answering from a script, on kept-alive
    connections, each answer after ``delay`` seconds; it counts the connections it was opened."""

    def __init__(self, respond: Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]],
                 *, delay: float = 0.0) -> None:
        self.respond = respond
        self.delay = delay
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self._server: asyncio.Server | None = None
        self.port = 0
        self.connections = 0  # opened in all
        self.open = 0  # open now
        self.most_open = 0  # open at once, at the most

    async def __aenter__(self) -> LoopbackServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {k.lower(): v.strip() for k, _, v in
                           (line.partition(":") for line in lines[1:] if line)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                payload = json.loads(body) if body else {}
                self.requests.append((path, headers, payload))
                if self.delay:
                    await asyncio.sleep(self.delay)
                status, answer = self.respond(path, payload)
                data = json.dumps(answer).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
                    f"content-length: {len(data)}\r\n\r\n".encode() + data
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open -= 1
            writer.close()
