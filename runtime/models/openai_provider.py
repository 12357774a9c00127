"""OpenAI Chat Completions with ``response_format: json_schema, strict: true``.

One ``AsyncOpenAI`` per endpoint (from the ``ClientPool``), created with ``max_retries=0``: the
router owns retries. Vendor exceptions are mapped into Specwright's tree here, once
(``map_error``); the OpenAI-compatible adapter reuses this class and that mapping.
"""

from __future__ import annotations

import json
import re
from typing import Any

import openai
from openai import RequestOptions

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
    server_error,
)
from specwright.runtime.models.lowering import Dialect, LoweredSchema
from specwright.runtime.models.parsing import parse_json_object
from specwright.runtime.models.sampling import Accepts, Sampling, max_tokens_for, sampling_body

__all__ = ["OpenAIProvider", "build", "map_error"]

_REASONING = re.compile(r"^(o\d|gpt-5)")  # these reject a temperature other than the default


class OpenAIProvider:
    """A ``Model`` for one model of one OpenAI(-compatible) endpoint."""

    dialect: Dialect = "openai"
    max_tokens_param = "max_completion_tokens"

    def __init__(
        self,
        provider: str,
        model: str,
        client: openai.AsyncOpenAI | None,
        *,
        timeout_s: float = 30.0,
        missing: ModelNotConfigured | None = None,
        secrets: tuple[str, ...] = (),
        sampling: Sampling | None = None,
    ) -> None:
        self.provider = provider
        self.model = model
        self.name = f"{provider}:{model}"
        self._client = client
        self._timeout = timeout_s
        self._missing = missing
        self._secrets = secrets
        reasoning = bool(_REASONING.match(model))
        # reasoning models take neither temperature nor top_p, and spend output tokens on
        # thinking: they get only an explicit bound, never the one derived from the schema
        self.accepts = Accepts(temperature=not reasoning, top_p=not reasoning)
        self._derive_bound = not reasoning
        self.sampling = sampling or Sampling()
        self._formats: dict[int, tuple[LoweredSchema, dict[str, Any]]] = {}

    async def complete(self, request: ModelRequest) -> Completion:
        if self._client is None:
            raise ModelNotConfigured(self._missing.message if self._missing else self.name)
        lowered, response_format = self._format(request)
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        body: dict[str, Any] = {"model": self.model, "messages": self._messages(messages, lowered)}
        self._body_format(body, response_format, lowered)
        # What ``chat.completions.create`` sends, posted by the same client without its
        # parameter transform: the SDK walks every parameter against its TypedDicts on each call,
        # and for the plain JSON values below the walk changes nothing
        # (``tests/models/test_openai_provider.py`` holds that against the SDK). The answer comes
        # back as the JSON the server sent (``cast_to=object``): ``_read`` reads the four fields
        # it needs without building the SDK's ``ChatCompletion`` (docs/performance.md).
        options: RequestOptions = {
            "timeout": attempt_timeout(request, self._timeout),
            "security": {"bearer_auth": True},
        }
        if self._derive_bound or request.max_tokens is not None or self.sampling.max_tokens:
            body[self.max_tokens_param] = max_tokens_for(request, self.sampling)
        body.update(sampling_body(request, self.sampling, self.accepts))
        try:
            response = await self._client.post(
                "/chat/completions", cast_to=object, body=body, options=options
            )
        except openai.OpenAIError as exc:
            raise map_error(exc, self.provider, self.model, self._secrets) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            # the SDK decodes a 2xx body itself, unguarded: a cut-off or garbled body lands here
            raise malformed(self.provider, self.model, exc, self._secrets) from None
        return self._completion(response, lowered)

    def _format(self, request: ModelRequest) -> tuple[LoweredSchema, dict[str, Any]]:
        lowered = lower_for(request, self.dialect, self.provider, self.model)
        hit = self._formats.get(id(lowered))
        if hit is not None and hit[0] is lowered:
            return hit
        if len(self._formats) > 256:
            self._formats.clear()
        entry = (lowered, self._response_format(request.schema_name, lowered))
        self._formats[id(lowered)] = entry
        return entry

    def _response_format(self, name: str, lowered: LoweredSchema) -> dict[str, Any]:
        schema_name = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64] or "output"
        return {
            "type": "json_schema",
            "json_schema": {"name": schema_name, "schema": lowered.schema, "strict": True},
        }

    def _messages(
        self, messages: list[dict[str, str]], lowered: LoweredSchema
    ) -> list[dict[str, str]]:
        return messages

    def _body_format(self, body: dict[str, Any], response_format: dict[str, Any],
                     lowered: LoweredSchema) -> None:
        """Where the schema goes in the body (OpenAI: ``response_format``)."""
        body["response_format"] = response_format

    def _completion(self, response: Any, lowered: LoweredSchema) -> Completion:
        try:
            usage, text, finish, refusal = self._read(response)
        except MALFORMED_FIELDS as exc:
            raise malformed(self.provider, self.model, exc, self._secrets) from None
        if refusal:
            raise UnparseableOutput(f"the model refused: {refusal}", text=refusal, usage=usage)
        if finish == "length":
            raise UnparseableOutput(
                "the answer was cut off at the token limit", text=text, usage=usage
            )
        try:
            data = parse_json_object(text)
        except ParseError as exc:
            raise UnparseableOutput(str(exc), text=text, usage=usage) from None
        return Completion(data=lowered.restore(data), model=self.name, text=text, usage=usage)

    def _read(self, response: Any) -> tuple[Usage, str, object, str | None]:
        """Usage, answer text, finish reason and refusal of a Chat Completion, read from the
        JSON body as sent.

        A body of the wrong shape (``[1, 2]``, ``"message": null``, no ``finish_reason``, a
        string token count...) raises one of ``MALFORMED_FIELDS`` here: fields the API always
        sends are indexed (``KeyError`` when absent), optional ones are read with ``get``.
        """
        response = json_answer(response)
        u = response.get("usage")
        usage = Usage()
        if u is not None:
            details = u.get("prompt_tokens_details")
            cached = (
                token_count(details.get("cached_tokens"), "cached_tokens")
                if details is not None else 0
            )
            usage = Usage(token_count(u["prompt_tokens"], "prompt_tokens"),
                          token_count(u["completion_tokens"], "completion_tokens"), cached)
        choices = response["choices"]
        if not choices:
            raise UnparseableOutput(f"{self.name} returned no answer", usage=usage)
        if not isinstance(choices, list):
            raise TypeError(f"choices is a {type(choices).__name__}, not a list")
        choice = choices[0]
        message = choice["message"]
        if message is None:
            raise TypeError("choices[0].message is null")
        refusal = message.get("refusal")
        content = message.get("content")
        for name, value in (("refusal", refusal), ("content", content)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"message.{name} is a {type(value).__name__}, not a string")
        return usage, content or "", choice["finish_reason"], refusal


def _openai_code(exc: openai.APIStatusError) -> object:
    return exc.code


def _openai_message(exc: openai.APIStatusError) -> str:
    return body_message(exc.body, exc.message)


def _no_quota(code: object, detail: str) -> bool:
    return code == "insufficient_quota"


OPENAI_ERRORS = VendorErrors(
    timeout=openai.APITimeoutError,
    connection=openai.APIConnectionError,
    response_validation=openai.APIResponseValidationError,
    status=openai.APIStatusError,
    code_of=_openai_code,
    message_of=_openai_message,
    rules=(
        StatusRule(lambda s: s == 429, FatalProviderError, "quota", _no_quota),
        RATE_LIMITED,
        StatusRule(server_error, FatalProviderError, "refused", deterministic),
        RETRYABLE,
        StatusRule(lambda s: s in (400, 413, 422), ContextTooLong, "context", context_error),
        REFUSED,
    ),
)


def map_error(
    exc: openai.OpenAIError, provider: str, model: str, secrets: tuple[str, ...] = ()
) -> ProviderError:
    """Map an ``openai`` SDK exception into Specwright's tree (keys scrubbed from messages)."""
    return map_vendor_error(exc, OPENAI_ERRORS, provider, model, secrets)


def client_for(endpoint: Endpoint, pool: ClientPool) -> openai.AsyncOpenAI:
    def make() -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            api_key=endpoint.key or "not-needed",
            base_url=endpoint.base_url,
            max_retries=0,
            timeout=endpoint.timeout_s,
            http_client=pool.http_client(),
        )

    return pool.get(("openai", endpoint.base_url, endpoint.key or ""), make)


def build(endpoint: Endpoint, model: str, pool: ClientPool) -> OpenAIProvider:
    secrets = (endpoint.key,) if endpoint.key else ()
    if endpoint.key_missing:
        return OpenAIProvider(
            endpoint.provider, model, None,
            missing=missing_key(endpoint.provider, endpoint.key_env or ""),
        )
    return OpenAIProvider(
        endpoint.provider, model, client_for(endpoint, pool),
        timeout_s=endpoint.timeout_s, secrets=secrets, sampling=endpoint.sampling,
    )


def schema_prompt(lowered: LoweredSchema) -> str:
    """The instruction that carries the schema when the server has no schema-constrained mode."""
    return (
        "Answer with exactly one JSON object and nothing else. It must match this JSON Schema:\n"
        + json.dumps(lowered.schema, separators=(",", ":"))
    )
