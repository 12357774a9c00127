"""``cheapen_idle_checks``: the SDK's pool still notices a connection the server closed while it
was idle (and opens a new one instead of failing), now asking the socket directly."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx2
import openai
import pytest
from mdl_support import chat

from specwright.runtime.models import idle_check
from specwright.runtime.models.registry import ClientPool


class ClosingServer:
    """Answers one chat completion per connection, keep-alive advertised, then hangs up."""

    def __init__(self) -> None:
        self.connections = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/v1"

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length"))
        await reader.readexactly(length)
        data = json.dumps(chat('{"ok": true}')).encode()
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                     b"connection: keep-alive\r\ncontent-length: %d\r\n\r\n" % len(data) + data)
        await writer.drain()
        writer.close()  # the server drops the idle connection the client keeps in its pool


async def test_a_connection_closed_while_idle_is_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checks: list[bool] = []
    original = idle_check._readable

    def counting(sock: socket.socket) -> bool:
        checks.append(original(sock))
        return checks[-1]

    monkeypatch.setattr(idle_check, "_readable", counting)
    server = ClosingServer()
    async with server as url:
        pool = ClientPool()
        client = pool.get(("openai", url), lambda: openai.AsyncOpenAI(
            api_key="sk-test", base_url=url, max_retries=0))
        try:
            for _ in range(3):
                r = await client.chat.completions.create(
                    model="m", messages=[{"role": "user", "content": "hi"}])
                assert r.choices[0].message.content == '{"ok": true}'
                await asyncio.sleep(0.05)  # the server has hung up by now
        finally:
            await pool.aclose()
    assert server.connections == 3
    assert True in checks  # the closed idle connection was seen through the wrapped check


def test_clients_without_a_connection_pool_are_left_alone() -> None:
    transport = httpx2.MockTransport(lambda request: httpx2.Response(200))
    client = openai.AsyncOpenAI(api_key="sk-test", http_client=httpx2.AsyncClient(
        transport=transport))
    assert idle_check.cheapen_idle_checks(client) == 0
    assert idle_check.cheapen_idle_checks(object()) == 0


def test_the_sdk_default_client_is_wrapped_once() -> None:
    client = openai.AsyncOpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
    assert idle_check.cheapen_idle_checks(client) >= 1
    assert idle_check.cheapen_idle_checks(client) == 0  # already wrapped
