"""The fake model server: raw asyncio HTTP/1.1 with keep-alive, on loopback only.

Endpoints: ``POST /v1/chat/completions`` (OpenAI and compatible servers), ``POST /v1/messages``
(Anthropic); the same without ``/v1``; both providers' batch endpoints (``batches.py``). Control: ``GET /healthz``, ``GET /_fake/stats``,
``POST /_fake/reset`` (zero the counters, reseed), ``GET|POST /_fake/config`` (read or change the
configuration while serving, e.g. ``{"faults": "429=0.2", "latency_ms": 50}``).
With ``dialect`` set (``dialects.py``) a request is taken as that real server takes it: the
schema only from where it reads one, its refusals as its status codes.

Per model request, one outcome is drawn from the fault mix (see ``config.py``); responses go out
in request order on each connection (``http.py``). A hang keeps its connection silent for
``hang_s`` seconds (the client's timeout fires first); a reset aborts it with a TCP RST.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from specwright.runtime.fakeserver import answers
from specwright.runtime.fakeserver.batches import FakeBatches
from specwright.runtime.fakeserver.config import FakeConfig
from specwright.runtime.fakeserver.dialects import API_OF, Refusal, Taken, take
from specwright.runtime.fakeserver.http import Connection, Reply, error_reply, http_response
from specwright.runtime.fakeserver.limits import RateLimiter, requested_tokens
from specwright.runtime.fakeserver.prompt_cache import PrefixCache
from specwright.runtime.hosts import is_loopback

MODEL_PATHS = {
    "/v1/chat/completions": "openai", "/chat/completions": "openai",
    "/v1/messages": "anthropic", "/messages": "anthropic",
}


def _limits_of(config: FakeConfig) -> RateLimiter:
    return RateLimiter(config.rpm, config.tpm, config.rate_burst_s)


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



class FakeServer:
    """Serve until ``close``. ``async with FakeServer(config) as fake: fake.url ...``"""

    def __init__(self, config: FakeConfig | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, capture: bool = False, cache_min_tokens: int = 1024) -> None:
        """``capture``: keep every model request's body (``captured``), for tests that check
        what leaves the process in a prompt. ``cache_min_tokens``: the shortest prefix the
        prompt cache keeps (``prompt_cache.py``)."""
        if not is_loopback(host):
            raise ValueError(f"the fake server listens on loopback only, not {host!r}")
        self.config = config or FakeConfig()
        self.host, self.port = host, port
        self.stats = FakeStats()
        self._rng = random.Random(self.config.seed)
        self.limits = _limits_of(self.config)
        self.batches = FakeBatches(self._batch_answer, lambda: self.config.batch_s,
                                   lambda: self.url)
        self._answers = answers.AnswerCache()
        self._server: asyncio.Server | None = None
        self.connections: set[Connection] = set()
        self._n = 0
        self.last_outcome = ""  # of the latest model request
        self.captured: list[bytes] | None = [] if capture else None
        self.prompt_cache = PrefixCache(cache_min_tokens)
        # with ``capture``: how the configured dialect took each model request (dialects.py)
        self.taken: list[Taken] | None = [] if capture else None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: Connection(self), self.host, self.port, backlog=4096)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            workers = [c.worker for c in self.connections if c.worker is not None]
            for conn in list(self.connections):
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

    @property
    def hang_s(self) -> float:
        return self.config.hang_s

    def stats_dict(self) -> dict[str, Any]:
        """The counters, and how many batches were created (either provider's batch API)."""
        return {**self.stats.as_dict(), "batches_created": self.batches.created}

    def configure(self, config: FakeConfig) -> None:
        old, self.config = self.config, config
        if (old.rpm, old.tpm, old.rate_burst_s) != (config.rpm, config.tpm, config.rate_burst_s):
            self.limits = _limits_of(config)

    def reset(self) -> None:
        self.stats = FakeStats()
        self._rng = random.Random(self.config.seed)
        self.limits = _limits_of(self.config)

    # ------------------------------------------------------------------------------ requests

    def respond(self, method: str, path: str, body: bytes) -> Reply:
        api = MODEL_PATHS.get(path)
        if api is None:
            batch_reply = self.batches.handle(method, path, body)
            return batch_reply if batch_reply is not None else self._control(method, path, body)
        if method != "POST":
            return error_reply(405, f"{method} is not allowed on {path}")
        if self.captured is not None:
            self.captured.append(body)
        return self._model_reply(api, body, limited=True)

    def _batch_answer(self, api: str, body: bytes) -> tuple[int, Any]:
        """One request of a batch, answered like the endpoint would (no rate limit)."""
        reply = self._model_reply(api, body, limited=False)
        if reply.action != "send":
            return 500, answers.error_body(api, 500, "the request failed (fake)")
        head, _, payload = reply.data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        try:
            return status, json.loads(payload)
        except ValueError:
            return 500, answers.error_body(api, 500, "the answer was cut off (fake)")

    def _model_reply(self, api: str, body: bytes, *, limited: bool) -> Reply:
        try:
            request = json.loads(body)
        except ValueError:
            return Reply(http_response(400, answers.error_body(api, 400, "body is not JSON")))
        if not isinstance(request, dict):
            return Reply(http_response(400, answers.error_body(api, 400, "body is not an object")))
        cfg = self.config
        if cfg.dialect != "generic" and API_OF[cfg.dialect] != api:
            return Reply(http_response(404, answers.error_body(
                api, 404, f"{cfg.dialect} serves no {api} endpoint")))
        taken = take(cfg.dialect, request)
        if isinstance(taken, Refusal):  # what that server answers to a request it does not take
            return Reply(http_response(taken.status,
                                       answers.error_body(api, taken.status, taken.message)))
        if self.taken is not None:
            self.taken.append(taken)
        model = str(request.get("model", ""))
        key = f"{api}:{model}"
        limit_headers: tuple[tuple[str, str], ...] = ()
        if limited and self.limits.active:
            admitted, limit_headers = self.limits.admit(
                api, key, requested_tokens(request, len(body)))
            if not admitted:
                self.stats.requests += 1
                self.stats.outcomes["over_limit"] += 1
                return Reply(http_response(429, answers.error_body(
                    api, 429, "rate limit reached for requests (fake)"), limit_headers))
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
            headers: tuple[tuple[str, str], ...] = (
                (("retry-after", f"{cfg.retry_after_s:g}"),) if status == 429 else ())
            headers += limit_headers
            message = "rate limit reached (fake)" if status == 429 else "internal error (fake)"
            return Reply(http_response(status, answers.error_body(api, status, message), headers),
                         delay=delay)
        if api == "openai":  # unconstrained, the fake model still follows a schema it was shown
            schema, tool = taken.schema or answers.openai_schema(request), ""
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
            cached = self.prompt_cache.openai(request, usage[0])
            payload = answers.openai_completion(self._n, model, text, usage, cached)
        else:
            cache = self.prompt_cache.anthropic(request, usage[0])
            payload = answers.anthropic_message(self._n, model, tool, data, text, usage, cache)
        if outcome == "truncated_body":  # the client never sees the usage: not counted
            raw = json.dumps(payload).encode()
            return Reply(http_response(200, raw[: len(raw) // 2]), delay=delay)
        stats.input_tokens[key] += usage[0]
        stats.output_tokens[key] += usage[1]
        return Reply(http_response(200, payload, limit_headers), delay=delay)

    def _control(self, method: str, path: str, body: bytes) -> Reply:
        if path == "/healthz":
            return Reply(http_response(200, {"ok": True}))
        if path == "/_fake/stats" and method == "GET":
            return Reply(http_response(200, self.stats_dict()))
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
