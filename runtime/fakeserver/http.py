"""The fake server's HTTP/1.1: raw asyncio, keep-alive, responses in request order.

A ``Handler`` turns each complete request into a ``Reply``: bytes to send (after ``delay``), or a
hang (silence for ``hang_s``, then close) or a reset (abort with a TCP RST).
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal, Protocol

MAX_HEAD = 64 * 1024
MAX_BODY = 32 * 1024 * 1024
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            413: "Payload Too Large", 429: "Too Many Requests", 431: "Headers Too Large",
            500: "Internal Server Error", 501: "Not Implemented"}


@dataclass(slots=True)
class Reply:
    data: bytes = b""  # the whole HTTP response
    action: Literal["send", "reset", "hang"] = "send"
    delay: float = 0.0
    close: bool = False


def http_response(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = (),
                  *, close: bool = False) -> bytes:
    """A JSON response; ``payload`` as bytes is sent as it is."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")
                                                                 ).encode()
    head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
            "content-type: application/json", f"content-length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in headers]
    if close:
        head.append("connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def error_reply(status: int, message: str) -> Reply:
    return Reply(http_response(status, {"error": {"message": message}}, close=True), close=True)


class Handler(Protocol):
    connections: set[Connection]

    @property
    def hang_s(self) -> float: ...

    def respond(self, method: str, path: str, body: bytes) -> Reply: ...


class Connection(asyncio.Protocol):
    """One keep-alive connection: parses requests, answers them in order."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.queue: deque[Reply] = deque()
        self.worker: asyncio.Task[None] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.handler.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.handler.connections.discard(self)
        if self.worker is not None:
            self.worker.cancel()

    def abort(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while not self.closed:
            parsed = parse_request(self.buf)
            if parsed is None:
                return
            if isinstance(parsed, Reply):
                self.buf.clear()
                self._dispatch(parsed)
                return
            consumed, method, path, keep_alive, body = parsed
            del self.buf[:consumed]
            reply = self.handler.respond(method, path, body)
            if not keep_alive:
                reply.close = True
            self._dispatch(reply)

    def _dispatch(self, reply: Reply) -> None:
        if self.worker is None and reply.action != "hang" and reply.delay <= 0:
            self._act(reply)
            return
        self.queue.append(reply)
        if self.worker is None:
            self.worker = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self.queue and not self.closed:
                reply = self.queue.popleft()
                if reply.action == "hang":
                    await asyncio.sleep(self.handler.hang_s)
                    reply = Reply(action="send", close=True)
                elif reply.delay > 0:
                    await asyncio.sleep(reply.delay)
                self._act(reply)
        finally:
            self.worker = None

    def _act(self, reply: Reply) -> None:
        transport = self.transport
        if transport is None or self.closed:
            return
        if reply.action == "reset":
            sock = transport.get_extra_info("socket")
            if sock is not None:  # SO_LINGER 0: close() sends RST instead of FIN
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.queue.clear()
            self.closed = True  # requests pipelined behind this one are never read
            transport.abort()
            return
        if reply.data:
            transport.write(reply.data)
        if reply.close:
            self.queue.clear()
            self.closed = True
            transport.close()


def parse_request(buf: bytearray) -> tuple[int, str, str, bool, bytes] | Reply | None:
    """One complete request from the front of ``buf``; None when more bytes are needed."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return error_reply(431, "request head too large") if len(buf) > MAX_HEAD else None
    lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return error_reply(400, "not an HTTP/1.x request")
    method, target, version = parts
    length, keep_alive = 0, version == "HTTP/1.1"
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            try:
                length = int(value)
            except ValueError:
                return error_reply(400, "bad content-length")
        elif name == "transfer-encoding":
            return error_reply(501, "chunked request bodies are not supported")
        elif name == "connection":
            token = value.strip().lower()
            keep_alive = token != "close" and (keep_alive or token == "keep-alive")
    if length < 0 or length > MAX_BODY:
        return error_reply(413, "request body too large")
    total = end + 4 + length
    if len(buf) < total:
        return None
    return total, method, target.split("?", 1)[0], keep_alive, bytes(buf[end + 4 : total])
