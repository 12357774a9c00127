"""Cheaper idle-connection checks in the SDKs' HTTP connection pools.

Each time httpcore (under httpx, under both SDKs) hands a request to its pool, it asks every idle
pooled connection whether the server has closed it: "is the socket readable?". Its anyio stream
answers by building all of its extra attributes, a ``getpeername()`` system call and several enum
conversions included, on every call. A server keeps model connections idle while runs wait (for
the log's commit, for the next request), so under load that check cost as much CPU as the rest
of the pipeline (docs/performance.md).

``cheapen_idle_checks`` wraps the network backend of an SDK client's connection pools so that each
connection asks the same question of the same socket, looked up once when it connects. Everything
else is passed through unchanged. It relies on the layout of the installed httpx/httpcore
(``client._client._transport._pool._network_backend``): where that is not found, nothing is
changed and the client works as shipped.
"""

from __future__ import annotations

import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore2
from httpcore2 import AsyncNetworkBackend, AsyncNetworkStream


def _readable(sock: socket.socket) -> bool:
    """True when a read would not block: data, or the end of the stream (the server closed)."""
    fd = sock.fileno()
    if fd < 0:
        return True  # closed under us: as good as readable (the next read returns b"")
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class _Stream(AsyncNetworkStream):
    def __init__(self, inner: AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> AsyncNetworkStream:
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._socket is not None:
            return _readable(self._socket)
        return self._inner.get_extra_info(info)


class _Backend(AsyncNetworkBackend):
    def __init__(self, inner: AsyncNetworkBackend) -> None:
        self.inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        stream = await self.inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address,
            socket_options=socket_options,
        )
        return _Stream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> AsyncNetworkStream:
        stream = await self.inner.connect_unix_socket(
            path, timeout=timeout, socket_options=socket_options
        )
        return _Stream(stream)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def cheapen_idle_checks(sdk_client: Any) -> int:
    """Wrap the network backend of every connection pool of ``sdk_client`` (an ``AsyncOpenAI``
    or ``AsyncAnthropic``); the number of pools wrapped (0: nothing changed)."""
    http = getattr(sdk_client, "_client", None)
    mounts = getattr(http, "_mounts", None)
    transports = [getattr(http, "_transport", None)]
    if isinstance(mounts, dict):
        transports += list(mounts.values())
    wrapped = 0
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        if not isinstance(pool, httpcore2.AsyncConnectionPool):
            continue
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, AsyncNetworkBackend) and not isinstance(backend, _Backend):
            pool._network_backend = _Backend(backend)
            wrapped += 1
    return wrapped
