"""Pytest plugin: no test may reach the network beyond this machine.

Shipped in the package so a project's own tests can use it too: ``pytest -p
specwright.runtime.testing.network_guard`` (Specwright's own ``pyproject.toml`` sets it for every run).
Its autouse fixture patches ``socket.socket.connect``/``connect_ex``/``sendto`` and ``socket.getaddrinfo`` so that anything but a loopback address (127.0.0.0/8, ::1,
``localhost``) or a unix socket raises ``NetworkBlocked`` *before* a packet is sent or a name is
resolved. ``socket.create_connection`` and asyncio's ``loop.create_connection`` (hence httpx,
the provider SDKs, psycopg) go through these, so they are covered too.

``NetworkBlocked`` deliberately is not an ``OSError``: HTTP clients would turn an ``OSError``
into a retryable connection error and hide it; this one surfaces as the test failure it is.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from specwright.runtime import hosts
from specwright.runtime.errors import NetworkBlocked

__all__ = ["NetworkBlocked", "is_loopback", "network_guard"]

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_sendto = socket.socket.sendto
_real_getaddrinfo = socket.getaddrinfo


def is_loopback(host: object) -> bool:
    """Loopback as ``specwright.runtime.hosts`` says; an empty or missing host too, which to a
    client means this machine."""
    return host is None or host in ("", b"") or hosts.is_loopback(host)


def _allowed(sock: socket.socket, address: Any) -> bool:
    if getattr(socket, "AF_UNIX", None) is not None and sock.family == socket.AF_UNIX:
        return True
    if isinstance(address, (str, bytes)):  # a unix socket path
        return True
    return isinstance(address, tuple) and bool(address) and is_loopback(address[0])


def _blocked(address: Any) -> NetworkBlocked:
    return NetworkBlocked(
        f"a test tried to reach {address!r}: tests may only use loopback addresses "
        "(fake the provider with httpx2.MockTransport or a server on 127.0.0.1)"
    )


def _connect(self: socket.socket, address: Any) -> None:
    if not _allowed(self, address):
        raise _blocked(address)
    _real_connect(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    if not _allowed(self, address):
        raise _blocked(address)
    return _real_connect_ex(self, address)


def _sendto(self: socket.socket, data: Any, *args: Any) -> int:
    address = args[-1] if args else None
    if address is not None and not _allowed(self, address):
        raise _blocked(address)
    return _real_sendto(self, data, *args)


def _getaddrinfo(host: Any, *args: Any, **kw: Any) -> Any:
    if not is_loopback(host):
        raise _blocked(host)
    return _real_getaddrinfo(host, *args, **kw)


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Autouse: block every connection to a non-loopback address for the test's duration."""
    monkeypatch.setattr(socket.socket, "connect", _connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", _sendto)
    monkeypatch.setattr(socket, "getaddrinfo", _getaddrinfo)
    yield
