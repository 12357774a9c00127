"""The fake model server: raw asyncio HTTP/1.1 with keep-alive, on loopback only.

Endpoints: ``POST /v1/chat/completions`` (OpenAI and compatible servers), ``POST /v1/messages``
(Anthropic); the same without ``/v1``. Control: ``GET /healthz``, ``GET /_fake/stats``,
``POST /_fake/reset`` (zero the counters, reseed), ``GET|POST /_fake/config`` (read or change the
configuration while serving, e.g. ``{"faults": "429=0.2", "latency_ms": 50}``).

Per model request, one outcome is drawn from the fault mix (see ``config.py``); responses go out
in request order on each connection. A hang keeps its connection silent for ``hang_s`` seconds
(the client's timeout fires first); a reset aborts the connection with a TCP RST.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import random
import socket
import struct
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, Literal

from runtime.fakeserver import answers
from runtime.fakeserver.config import FakeConfig

MAX_HEAD = 64 * 1024
MAX_BODY = 32 * 1024 * 1024
MODEL_PATHS = {
    "/v1/chat/completions": "openai", "/chat/completions": "openai",
    "/v1/messages": "anthropic", "/messages": "anthropic",
}
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            413: "Payload Too Large", 429: "Too Many Requests", 431: "Headers Too Large",
            500: "Internal Server Error", 501: "Not Implemented"}


@dataclass(slots=True)
class FakeStats:
    """Counters since start (or the last reset). Keys of the per-model maps are ``api:model``."""

    requests: int = 0  # model requests received (every outcome, faults included)
    outcomes: Counter[str] = field(default_factory=Counter)
    by_model: Counter[str] = field(default_factory=Counter)
    input_tokens: Counter[str] = field(default_factory=Counter)  # as reported in ``usage``
    output_tokens: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests, "outcomes": dict(self.outcomes),
            "by_model": dict(self.by_model), "input_tokens": dict(self.input_tokens),
            "output_tokens": dict(self.output_tokens),
        }


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


def _error(status: int, message: str) -> Reply:
    return Reply(http_response(status, {"error": {"message": message}}, close=True), close=True)


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class FakeServer:
    """Serve until ``close``. ``async with FakeServer(config) as fake: fake.url ...``"""

    def __init__(self, config: FakeConfig | None = None, *, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        if not is_loopback_host(host):
            raise ValueError(f"the fake server listens on loopback only, not {host!r}")
        self.config = config or FakeConfig()
        self.host, self.port = host, port
        self.stats = FakeStats()
        self._rng = random.Random(self.config.seed)
        self._answers = answers.AnswerCache()
        self._server: asyncio.Server | None = None
        self._conns: set[_Connection] = set()
        self._n = 0
        self.last_outcome = ""  # of the latest model request

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Connection(self), self.host, self.port, backlog=4096)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            workers = [c.worker for c in self._conns if c.worker is not None]
            for conn in list(self._conns):
                conn.abort()
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> FakeServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def configure(self, config: FakeConfig) -> None:
        self.config = config

    def reset(self) -> None:
        self.stats = FakeStats()
        self._rng = random.Random(self.config.seed)

    # ------------------------------------------------------------------------------ requests

    def respond(self, method: str, path: str, body: bytes) -> Reply:
        api = MODEL_PATHS.get(path)
        if api is None:
            return self._control(method, path, body)
        if method != "POST":
            return _error(405, f"{method} is not allowed on {path}")
        try:
            request = json.loads(body)
        except ValueError:
            return Reply(http_response(400, answers.error_body(api, 400, "body is not JSON")))
        if not isinstance(request, dict):
            return Reply(http_response(400, answers.error_body(api, 400, "body is not an object")))
        cfg = self.config
        model = str(request.get("model", ""))
        key = f"{api}:{model}"
        outcome = cfg.faults.draw(self._rng)
        self.last_outcome = outcome
        self._n += 1
        stats = self.stats
        stats.requests += 1
        stats.outcomes[outcome] += 1
        stats.by_model[key] += 1
        delay = (cfg.latency_ms + (self._rng.uniform(0, cfg.jitter_ms) if cfg.jitter_ms else 0.0)
                 ) / 1000.0
        if outcome == "timeout":
            return Reply(action="hang")
        if outcome == "reset":
            return Reply(action="reset", delay=delay)
        if outcome in ("rate_limit", "server_error"):
            status = 429 if outcome == "rate_limit" else 500
            headers = (("retry-after", f"{cfg.retry_after_s:g}"),) if status == 429 else ()
            message = "rate limit reached (fake)" if status == 429 else "internal error (fake)"
            return Reply(http_response(status, answers.error_body(api, status, message), headers),
                         delay=delay)
        if api == "openai":
            schema, tool = answers.openai_schema(request), ""
        else:
            schema, tool = answers.anthropic_tool(request)
        answer = self._answers.get(schema, cfg.answer)
        data: dict[str, Any] | None = answer.valid
        text = answer.text
        if outcome == "malformed":
            data, text = None, answers.truncated(answer.text)
        elif outcome == "schema_invalid":
            data = answers.schema_invalid(answer.valid)
            text = json.dumps(data)
        elif outcome == "bad_answer":
            data = {**answer.valid, **(cfg.bad_answer or {})}
            text = json.dumps(data)
        usage = answers.usage_of(len(body), text)
        if api == "openai":
            payload = answers.openai_completion(self._n, model, text, usage)
        else:
            payload = answers.anthropic_message(self._n, model, tool, data, text, usage)
        if outcome == "truncated_body":  # the client never sees the usage: not counted
            raw = json.dumps(payload).encode()
            return Reply(http_response(200, raw[: len(raw) // 2]), delay=delay)
        stats.input_tokens[key] += usage[0]
        stats.output_tokens[key] += usage[1]
        return Reply(http_response(200, payload), delay=delay)

    def _control(self, method: str, path: str, body: bytes) -> Reply:
        if path == "/healthz":
            return Reply(http_response(200, {"ok": True}))
        if path == "/_fake/stats" and method == "GET":
            return Reply(http_response(200, self.stats.as_dict()))
        if path == "/_fake/reset" and method == "POST":
            self.reset()
            return Reply(http_response(200, {"ok": True}))
        if path == "/_fake/config":
            if method == "POST":
                try:
                    self.configure(self.config.with_changes(json.loads(body or b"{}")))
                except (ValueError, TypeError) as exc:
                    return Reply(http_response(400, {"error": {"message": str(exc)}}))
            return Reply(http_response(200, self.config.as_dict()))
        return Reply(http_response(404, {"error": {"message": f"no such endpoint: {path}"}}))


class _Connection(asyncio.Protocol):
    """One keep-alive connection: parses requests, answers them in order."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.queue: deque[Reply] = deque()
        self.worker: asyncio.Task[None] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server._conns.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server._conns.discard(self)
        if self.worker is not None:
            self.worker.cancel()

    def abort(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while not self.closed:
            parsed = _parse(self.buf)
            if parsed is None:
                return
            if isinstance(parsed, Reply):
                self.buf.clear()
                self._dispatch(parsed)
                return
            consumed, method, path, keep_alive, body = parsed
            del self.buf[:consumed]
            reply = self.server.respond(method, path, body)
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
                    await asyncio.sleep(self.server.config.hang_s)
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
            transport.abort()
            return
        if reply.data:
            transport.write(reply.data)
        if reply.close:
            self.queue.clear()
            transport.close()


def _parse(buf: bytearray) -> tuple[int, str, str, bool, bytes] | Reply | None:
    """One complete request from the front of ``buf``; None when more bytes are needed."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return _error(431, "request head too large") if len(buf) > MAX_HEAD else None
    lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return _error(400, "not an HTTP/1.x request")
    method, target, version = parts
    length, keep_alive = 0, version == "HTTP/1.1"
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            try:
                length = int(value)
            except ValueError:
                return _error(400, "bad content-length")
        elif name == "transfer-encoding":
            return _error(501, "chunked request bodies are not supported")
        elif name == "connection":
            token = value.strip().lower()
            keep_alive = token != "close" and (keep_alive or token == "keep-alive")
    if length < 0 or length > MAX_BODY:
        return _error(413, "request body too large")
    total = end + 4 + length
    if len(buf) < total:
        return None
    return total, method, target.split("?", 1)[0], keep_alive, bytes(buf[end + 4 : total])
