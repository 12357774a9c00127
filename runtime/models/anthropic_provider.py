"""Anthropic Messages API; structured output through a forced tool.

The Output schema (``anthropic`` lowering) is the ``input_schema`` of one tool, and
``tool_choice`` forces the model to call it: the tool's input is the answer. This works with every
Claude model (the native ``output_config.format`` is limited to newer models). One
``AsyncAnthropic`` per endpoint, ``max_retries=0``; vendor exceptions are mapped here, once.
The installed SDK's ``messages.create`` takes no ``temperature``: ``request.temperature`` is not
sent.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import anthropic

from specwright.runtime.errors import (
    ContextTooLong,
    FatalProviderError,
    ModelNotConfigured,
    ParseError,
    ProviderError,
    UnparseableOutput,
)
from specwright.runtime.models._support import (
    MALFORMED_FIELDS,
    ClientPool,
    Endpoint,
    attempt_timeout,
    body_message,
    json_answer,
    lower_for,
    malformed,
    missing_key,
    token_count,
)
from specwright.runtime.models.base import Completion, ModelRequest, Usage
from specwright.runtime.models.error_map import (
    RATE_LIMITED,
    REFUSED,
    RETRYABLE,
    StatusRule,
    VendorErrors,
    context_error,
    deterministic,
    map_vendor_error,
)
from specwright.runtime.models.lowering import Dialect, LoweredSchema
from specwright.runtime.models.parsing import parse_json_object
from specwright.runtime.models.prompt_cache import anthropic_system
from specwright.runtime.models.sampling import Sampling, max_tokens_for

__all__ = ["AnthropicProvider", "build", "map_error"]

log = logging.getLogger("specwright.models")

try:  # the SDK's table of deprecated models: what ``messages.create`` warns about on each call
    from anthropic._data import DEPRECATED_MODELS as _DEPRECATED_MODELS
except ImportError:  # a release of the SDK without that table has nothing to warn about
    _DEPRECATED_MODELS = {}

_TOOL_DESCRIPTION = "Record your answer. Call this tool exactly once, with the complete answer."


class AnthropicProvider:
    dialect: Dialect = "anthropic"

    def __init__(
        self,
        provider: str,
        model: str,
        client: anthropic.AsyncAnthropic | None,
        *,
        timeout_s: float = 30.0,
        missing: ModelNotConfigured | None = None,
        secrets: tuple[str, ...] = (),
        prompt_cache: bool = True,
    ) -> None:
        self.provider = provider
        self.prompt_cache = prompt_cache
        self.model = model
        self.name = f"{provider}:{model}"
        self._client = client
        self._timeout = timeout_s
        self._missing = missing
        self._secrets = secrets
        self._tools: dict[int, tuple[LoweredSchema, dict[str, Any]]] = {}

    async def complete(self, request: ModelRequest) -> Completion:
        if self._client is None:
            raise ModelNotConfigured(self._missing.message if self._missing else self.name)
        tool = self._tool(request)
        system, messages = _split(request)
        body: dict[str, Any] = {
            "max_tokens": max_tokens_for(request, _NO_SAMPLING),  # bounded by the schema
            "messages": messages,
            "model": self.model,
            "tool_choice": {"type": "tool", "name": tool["name"], "disable_parallel_tool_use": True},
            "tools": [tool],
        }
        if system:  # static: the spec's text; cached up to here (runtime/models/prompt_cache.py)
            body["system"] = anthropic_system(system, breakpoint=self.prompt_cache)
        # What ``messages.create`` sends, posted by the same client (same authentication,
        # headers, timeout and error types; ``tests/models/test_anthropic_provider.py`` holds the
        # two requests equal), with the answer handed back as the JSON the server sent: building
        # the SDK's ``Message`` from it would cost a third of the call (docs/performance.md) to
        # read a handful of fields ``_read`` reads from the JSON as well.
        try:
            response = await self._client.post(
                "/v1/messages", cast_to=object, body=body,
                options={"timeout": attempt_timeout(request, self._timeout)},
            )
        except anthropic.AnthropicError as exc:
            raise map_error(exc, self.provider, self.model, self._secrets) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            # the SDK decodes a 2xx body itself, unguarded: a cut-off or garbled body lands here
            raise malformed(self.provider, self.model, exc, self._secrets) from None
        return self._completion(response, tool["name"])

    def _tool(self, request: ModelRequest) -> dict[str, Any]:
        lowered = lower_for(request, self.dialect, self.provider, self.model)
        hit = self._tools.get(id(lowered))
        if hit is None or hit[0] is not lowered:
            if len(self._tools) > 256:
                self._tools.clear()
            name = re.sub(r"[^A-Za-z0-9_-]", "_", request.schema_name)[:64] or "output"
            tool = {"name": name, "description": _TOOL_DESCRIPTION, "input_schema": lowered.schema}
            hit = self._tools[id(lowered)] = (lowered, tool)
        return hit[1]

    def _completion(self, response: Any, tool_name: str) -> Completion:
        try:
            usage, called, tool_input, text = self._read(response, tool_name)
        except MALFORMED_FIELDS as exc:
            raise malformed(self.provider, self.model, exc, self._secrets) from None
        if called:
            if not isinstance(tool_input, dict):
                raise UnparseableOutput("the tool input is not a JSON object", usage=usage)
            data = dict(tool_input)
            return Completion(data=data, model=self.name, text=json.dumps(data), usage=usage)
        try:
            data = parse_json_object(text)
        except ParseError as exc:
            raise UnparseableOutput(
                f"the model did not call the {tool_name} tool, and its text is not JSON: {exc}",
                text=text, usage=usage,
            ) from None
        return Completion(data=data, model=self.name, text=text, usage=usage)

    def _read(self, response: Any, tool_name: str) -> tuple[Usage, bool, object, str]:
        """Usage, whether the tool was called, its input, and the text blocks of a Message,
        read from the JSON body as sent.

        A body of the wrong shape (``[1, 2]``, no ``usage``, ``content: null``, a string token
        count, a block without its ``type``...) raises one of ``MALFORMED_FIELDS`` here: fields
        the API always sends are indexed (``KeyError`` when absent), optional ones read with
        ``get``.
        """
        response = json_answer(response)
        u = response["usage"]
        if u is None:
            raise TypeError("usage is null")
        cached = token_count(u.get("cache_read_input_tokens"), "cache_read_input_tokens")
        written = token_count(u.get("cache_creation_input_tokens"), "cache_creation_input_tokens")
        usage = Usage(token_count(u["input_tokens"], "input_tokens") + cached + written,
                      token_count(u["output_tokens"], "output_tokens"), cached, written)
        stop_reason = response.get("stop_reason")
        if stop_reason == "max_tokens":
            raise UnparseableOutput("the answer was cut off at the token limit", usage=usage)
        if stop_reason == "refusal":
            raise UnparseableOutput("the model refused to answer", usage=usage)
        content = response["content"]
        if not isinstance(content, list):
            raise TypeError(f"content is a {type(content).__name__}, not a list")
        texts: list[str] = []
        for block in content:
            kind = block["type"]
            if kind == "tool_use" and block["name"] == tool_name:
                return usage, True, block["input"], ""
            if kind == "text":
                text = block["text"]
                if not isinstance(text, str):
                    raise TypeError(f"a text block's text is a {type(text).__name__}")
                texts.append(text)
        return usage, False, None, "".join(texts)


def _split(request: ModelRequest) -> tuple[str, list[dict[str, Any]]]:
    """System prompt apart; consecutive messages of one role joined; the first one a user's."""
    system: list[str] = []
    messages: list[dict[str, Any]] = []
    for m in request.messages:
        if m.role == "system":
            system.append(m.content)
        elif messages and messages[-1]["role"] == m.role:
            messages[-1]["content"] += "\n\n" + m.content
        else:
            messages.append({"role": m.role, "content": m.content})
    if not messages or messages[0]["role"] != "user":
        messages.insert(0, {"role": "user", "content": "Answer the request."})
    return "\n\n".join(system), messages


def _anthropic_code(exc: anthropic.APIStatusError) -> object:
    return getattr(exc, "error_code", None)


def _anthropic_message(exc: anthropic.APIStatusError) -> str:
    return getattr(exc, "api_message", None) or body_message(exc.body, exc.message)


ANTHROPIC_ERRORS = VendorErrors(
    timeout=anthropic.APITimeoutError,
    connection=anthropic.APIConnectionError,
    response_validation=anthropic.APIResponseValidationError,
    status=anthropic.APIStatusError,
    code_of=_anthropic_code,
    message_of=_anthropic_message,
    rules=(
        RATE_LIMITED,
        # 529 is "overloaded": always worth another try, whatever its text says
        StatusRule(lambda s: s >= 500 and s != 529, FatalProviderError, "refused", deterministic),
        RETRYABLE,
        StatusRule(lambda s: s == 413, ContextTooLong, "context"),
        StatusRule(lambda s: s == 400, ContextTooLong, "context", context_error),
        REFUSED,
    ),
)


def map_error(
    exc: anthropic.AnthropicError, provider: str, model: str, secrets: tuple[str, ...] = ()
) -> ProviderError:
    """Map an ``anthropic`` SDK exception into Specwright's tree (keys scrubbed from messages)."""
    return map_vendor_error(exc, ANTHROPIC_ERRORS, provider, model, secrets)


_NO_SAMPLING = Sampling()


def build(endpoint: Endpoint, model: str, pool: ClientPool) -> AnthropicProvider:
    if endpoint.key_missing:
        return AnthropicProvider(
            endpoint.provider, model, None,
            missing=missing_key(endpoint.provider, endpoint.key_env or ""),
        )

    def make() -> anthropic.AsyncAnthropic:
        return anthropic.AsyncAnthropic(
            api_key=endpoint.key or "not-needed",
            base_url=endpoint.base_url,
            max_retries=0,
            timeout=endpoint.timeout_s,
            http_client=pool.http_client(),
        )

    client = pool.get(("anthropic", endpoint.base_url, endpoint.key or ""), make)
    end_of_life = _DEPRECATED_MODELS.get(model)
    if end_of_life:  # the adapter posts without ``messages.create``, which would warn per call
        log.warning("%s:%s is deprecated and reaches end-of-life on %s: route its specs to a "
                    "newer model", endpoint.provider, model, end_of_life)
    return AnthropicProvider(
        endpoint.provider, model, client,
        timeout_s=endpoint.timeout_s, secrets=(endpoint.key,) if endpoint.key else (),
        prompt_cache=endpoint.prompt_cache,
    )
