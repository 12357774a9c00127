"""Small helpers shared by the provider adapters (not part of the public API)."""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from specwright.runtime.errors import (
    FatalProviderError,
    MalformedResponse,
    ModelNotConfigured,
    ProviderError,
)
from specwright.runtime.models.base import ModelRequest
from specwright.runtime.models.idle_check import cheapen_idle_checks
from specwright.runtime.models.lowering import Dialect, LoweredSchema, UnsupportedSchema, lower
from specwright.runtime.models.sampling import Sampling
from specwright.runtime.models.shards import shard_pools

_KEYLIKE = re.compile(r"\b(sk|pk|rk|key)-[A-Za-z0-9_\-*.]{6,}")
_CONTEXT = re.compile(
    r"context[ _-]?(length|window|size)|maximum context|prompt is too long|too many tokens"
    r"|exceeds? the (available )?context|input is too long|request too large|reduce the length",
    re.IGNORECASE,
)
_MAX_MESSAGE = 300


def scrub(message: str, secrets: Iterable[str] = ()) -> str:
    """Remove key-looking strings and the given secret values from a message; shorten it."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            message = message.replace(secret, "[redacted]")
    message = _KEYLIKE.sub("[redacted]", message)
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


_DETERMINISTIC = re.compile(
    r"\b\d+ validation errors?\b|\bnot supported\b|\bunsupported\b|literal_error", re.IGNORECASE)
_SUMMARIES = {
    "rate": "rate limited",
    "quota": "the account's quota is used up",
    "server": "the server failed",
    "refused": "the server refused the request",
    "context": "the prompt does not fit the model's context window",
}
log = logging.getLogger("specwright.models")


def is_deterministic(message: str) -> bool:
    """True for a 5xx that says the request itself is wrong (llama-cpp-python answers a body
    it does not accept with a 500 and a validation error): retrying it gets the same answer."""
    return bool(_DETERMINISTIC.search(message))


def safe_summary(where: str, status: int, kind: str) -> str:
    """What an HTTP error of a provider becomes in messages a caller may see: the status and a
    fixed phrase, never the vendor's text (it can hold file paths, tracebacks, prompt parts)."""
    return f"{where}: HTTP {status}: {_SUMMARIES[kind]}"


def with_vendor_detail(error: ProviderError, detail: str) -> ProviderError:
    """Keep the vendor's own text (keys scrubbed) for the execution log and the server log."""
    error.vendor_detail = detail
    log.warning("%s (server said: %s)", error.message, detail)
    return error


def is_context_error(code: object, message: str) -> bool:
    """True when a vendor's 400/413 says the prompt does not fit the model's context window."""
    if isinstance(code, str) and ("context_length" in code or "context_window" in code
                                  or code in ("request_too_large", "exceed_context_size_error")):
        return True
    return bool(_CONTEXT.search(message))


def retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def attempt_timeout(request: ModelRequest, default: float) -> float:
    """Per-attempt timeout: ``default``, shortened to what is left of the run's deadline."""
    if request.deadline is None:
        return default
    left = request.deadline - time.monotonic()
    return max(0.05, min(default, left))


def lower_for(request: ModelRequest, dialect: Dialect, provider: str, model: str) -> LoweredSchema:
    """The lowered schema; a construct this provider cannot express rejects the request."""
    try:
        return lower(request.output_schema, dialect)
    except UnsupportedSchema as exc:
        raise FatalProviderError(
            f"{provider}:{model} cannot express this output: {exc}", provider=provider, model=model
        ) from None


def missing_key(provider: str, env_var: str) -> ModelNotConfigured:
    return ModelNotConfigured(
        f"no key for {provider}: set {env_var} or route this spec to another model"
    )


def body_message(body: object, fallback: str) -> str:
    """The vendor's human message from an error body ``{"error": {"message": ...}}``."""
    if isinstance(body, dict):
        err: Any = body.get("error", body)
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return str(err["message"])
        if isinstance(err, str):
            return err
    return fallback


# What reading a decoded response's fields raises when the body is not the shape the API
# documents (``null`` or a list for the body, ``"message": null``, no ``usage``, a string token
# count, ``content: null``...): the SDKs build their response objects without validating them.
MALFORMED_FIELDS: tuple[type[Exception], ...] = (
    AttributeError, TypeError, KeyError, IndexError, ValueError,
)


def malformed(
    provider: str, model: str, exc: BaseException, secrets: Iterable[str] = ()
) -> MalformedResponse:
    """A 2xx response the adapter cannot read: retryable, with a short message and no keys."""
    where = f"{provider}:{model}"
    if isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError)):
        what = f"the body is not valid JSON (cut off or garbled: {exc})"
    else:
        what = f"the body is not a valid response ({type(exc).__name__}: {exc})"
    return MalformedResponse(
        scrub(f"{where}: malformed response: {what}", secrets), provider=provider, model=model
    )


def json_answer(response: object) -> Any:
    """What ``client.post(..., cast_to=object)`` handed back, as JSON: the SDKs decode a 2xx body
    labelled JSON themselves and hand back any other body as text, which may be JSON all the
    same (a ``ValueError``, one of ``MALFORMED_FIELDS``, when it is not)."""
    return json.loads(response) if isinstance(response, str) else response


def token_count(value: object, field: str) -> int:
    """A usage field: a non-negative integer, or absent (0). Anything else is a malformed body."""
    if value is None:
        return 0
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError(f"usage.{field} is not a token count ({type(value).__name__})")
    return value


# ------------------------------------------------------------------------- endpoints and clients


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Everything an adapter needs to build its SDK client; resolved by the registry."""

    provider: str  # "openai", "anthropic" or a deployment name ("local")
    kind: str  # "openai", "anthropic", "openai-compatible"
    base_url: str
    key: str | None  # None: no key needed (local) or missing (then ``key_env`` is set)
    key_env: str | None
    structured: str = "json_schema"  # openai-compatible: how the schema is sent (config.py)
    timeout_s: float = 30.0
    sampling: Sampling = Sampling()  # the deployment's temperature, seed, top_p, token caps
    prompt_cache: bool = True  # Anthropic: send cache breakpoints (runtime/models/prompt_cache.py)

    @property
    def key_missing(self) -> bool:
        return self.key is None and self.key_env is not None


T = TypeVar("T")


class ClientPool:
    """One SDK client per provider endpoint, shared by every model and route that uses it.

    Build one pool per server (or test) and pass it to every ``build_route``; close it on
    shutdown. ``http_client_factory`` lets tests inject e.g.
    ``lambda: httpx2.AsyncClient(transport=httpx2.MockTransport(handler))``.
    """

    def __init__(self, http_client_factory: Callable[[], Any] | None = None) -> None:
        self._factory = http_client_factory
        self._clients: dict[tuple[str, ...], Any] = {}

    def http_client(self) -> Any:
        return self._factory() if self._factory is not None else None

    def get(self, key: tuple[str, ...], build: Callable[[], T]) -> T:
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = build()
            cheapen_idle_checks(client)  # see runtime/models/idle_check.py
            shard_pools(client)  # after: the pools it adds share the cheaper checks
        return cast(T, client)

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.close()
