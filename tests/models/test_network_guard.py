"""The network guard trips before anything leaves the machine; loopback keeps working."""

from __future__ import annotations

import asyncio
import socket

import httpx2
import pytest
from mdl_support import request, settings

from specwright.compiler.ir import Route, RouteModel
from specwright.runtime.errors import NetworkBlocked
from specwright.runtime.models.registry import ClientPool, build_route
from specwright.runtime.testing.network_guard import is_loopback


def test_connect_to_a_public_address_is_blocked_before_connecting() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        with pytest.raises(NetworkBlocked, match="203.0.113.7"):
            s.connect(("203.0.113.7", 443))
        with pytest.raises(NetworkBlocked):
            s.connect_ex(("203.0.113.7", 443))
        # nothing was attempted: the socket never got a peer
        with pytest.raises(OSError):
            s.getpeername()


def test_name_resolution_and_create_connection_are_blocked() -> None:
    with pytest.raises(NetworkBlocked, match="api.openai.com"):
        socket.getaddrinfo("api.openai.com", 443)
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("api.anthropic.com", 443), timeout=1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s, pytest.raises(NetworkBlocked):
        s.sendto(b"x", ("198.51.100.1", 53))


async def test_a_route_to_a_real_provider_fails_loudly() -> None:
    route = Route(models=(RouteModel(ref="openai:gpt-4.1-mini"),))
    pool = ClientPool(lambda: httpx2.AsyncClient())
    r = build_route(route, settings(), {"OPENAI_API_KEY": "sk-test-not-a-key"}, pool=pool)
    with pytest.raises(NetworkBlocked, match="api.openai.com"):
        await r.complete(request())  # not retried, not a fallback: the test fails
    await pool.aclose()


async def test_loopback_is_allowed() -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.read(5))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("localhost", port)
    writer.write(b"hello")
    assert await reader.read(5) == b"hello"
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


@pytest.mark.parametrize(
    ("host", "allowed"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("localhost", True),
     ("::ffff:127.0.0.1", True), ("", True), ("10.0.0.1", False), ("8.8.8.8", False),
     ("api.openai.com", False), ("2001:db8::1", False)],
)
def test_is_loopback(host: str, allowed: bool) -> None:
    assert is_loopback(host) is allowed
