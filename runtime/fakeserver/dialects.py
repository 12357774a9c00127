"""How each real server reads a request: where it takes the schema from, which sampling keys it
applies, what it refuses. The fake server takes a request as the configured dialect would, so a
request shaped for the wrong server fails a test instead of passing against a lenient fake.

What each dialect emulates (the servers' own request parsing, as of the versions named):

* ``openai``: OpenAI Chat Completions. ``response_format`` of type ``text``, ``json_object`` or
  ``json_schema`` (which needs ``json_schema.name``); an unknown top-level argument, or an
  unknown key in ``response_format``, is a 400.
* ``vllm``: vLLM's OpenAI server. The schema from ``response_format: json_schema`` or the
  ``guided_json`` extra argument; ``json_object`` is "some JSON"; unknown keys are ignored.
* ``llama-server``: llama.cpp's own server. ``{type: json_object, schema}``, ``{type:
  json_schema, json_schema: {schema}}`` or a top-level ``json_schema``; another type is a 400.
* ``llama-cpp-python``: ``llama_cpp.server``. ``response_format`` type ``text`` or
  ``json_object`` (with an optional ``schema``); ``json_schema`` fails its request validation
  with a 500 (what the real server does, tests/realmodel/test_wire_real.py);
  ``max_completion_tokens`` is ignored.
* ``ollama``: Ollama's OpenAI-compatible endpoint (``/v1/chat/completions``). Only
  ``response_format: json_schema`` becomes its ``format`` (the grammar); ``json_object`` becomes
  ``format: "json"`` (some JSON); a top-level ``format`` is not a field of that endpoint and is
  ignored; ``max_tokens`` becomes ``num_predict``, ``max_completion_tokens`` is ignored.
* ``anthropic``: the Messages API. ``max_tokens`` is required; the schema is the forced tool's
  ``input_schema``; an unknown top-level argument is a 400.
* ``generic`` (the default): lenient, any of the above forms, the schema also read from a
  ``json_object`` prompt: what the fault-injection tests and benchmarks need.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from specwright.runtime.fakeserver import answers

__all__ = ["API_OF", "DIALECTS", "Refusal", "Taken", "take"]

SAMPLING = ("temperature", "top_p", "seed")
OPENAI_ARGS = frozenset({
    "model", "messages", "response_format", "max_tokens", "max_completion_tokens", "temperature",
    "top_p", "seed", "stop", "n", "stream", "stream_options", "user", "tools", "tool_choice",
    "parallel_tool_calls", "logprobs", "top_logprobs", "presence_penalty", "frequency_penalty",
    "logit_bias", "reasoning_effort", "metadata", "store", "service_tier", "prediction",
    "modalities", "audio", "verbosity", "web_search_options",
})
ANTHROPIC_ARGS = frozenset({
    "model", "messages", "system", "max_tokens", "tools", "tool_choice", "temperature", "top_p",
    "top_k", "stop_sequences", "stream", "metadata", "thinking", "service_tier",
})


@dataclass(frozen=True, slots=True)
class Taken:
    """What the server made of a request."""

    schema: dict[str, Any] | None  # the schema its decoding is constrained by (None: not)
    sampling: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    max_tokens: int | None = None  # the token bound it applies
    json_only: bool = False  # "some JSON" without a schema


@dataclass(frozen=True, slots=True)
class Refusal:
    """The server refuses the request: its status and message."""

    status: int
    message: str


def _fmt(body: Mapping[str, Any]) -> Mapping[str, Any]:
    fmt = body.get("response_format")
    return fmt if isinstance(fmt, Mapping) else {}


def _schema_of(value: Any) -> dict[str, Any] | None:
    return dict(value) if isinstance(value, Mapping) else None


def _nested(fmt: Mapping[str, Any]) -> dict[str, Any] | None:
    """``json_schema.schema`` of a ``response_format`` (OpenAI's form)."""
    wrapper = fmt.get("json_schema")
    return _schema_of(wrapper.get("schema")) if isinstance(wrapper, Mapping) else None


def _sampling(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in SAMPLING if k in body}


def _openai(body: Mapping[str, Any]) -> Taken | Refusal:
    unknown = sorted(set(body) - OPENAI_ARGS)
    if unknown:
        return Refusal(400, f"Unrecognized request argument supplied: {unknown[0]}")
    fmt = _fmt(body)
    kind = fmt.get("type", "text")
    allowed = {"text": {"type"}, "json_object": {"type"}, "json_schema": {"type", "json_schema"}}
    if kind not in allowed:
        return Refusal(400, f"Invalid value: '{kind}'. Supported values are: 'json_object', "
                           "'json_schema', and 'text'.")
    extra = sorted(set(fmt) - allowed[kind])
    if extra:
        return Refusal(400, f"Unrecognized request argument supplied: response_format.{extra[0]}")
    if kind == "json_schema" and not (fmt.get("json_schema") or {}).get("name"):
        return Refusal(400, "Missing required parameter: 'response_format.json_schema.name'.")
    bound = body.get("max_completion_tokens", body.get("max_tokens"))
    return Taken(_nested(fmt) if kind == "json_schema" else None, _sampling(body), bound,
                 kind == "json_object")


def _vllm(body: Mapping[str, Any]) -> Taken | Refusal:
    fmt = _fmt(body)
    schema = _schema_of(body.get("guided_json")) or (
        _nested(fmt) if fmt.get("type") == "json_schema" else None)
    bound = body.get("max_completion_tokens", body.get("max_tokens"))
    return Taken(schema, _sampling(body), bound, fmt.get("type") == "json_object")


def _llama_server(body: Mapping[str, Any]) -> Taken | Refusal:
    fmt = _fmt(body)
    kind = fmt.get("type", "text")
    if kind not in ("text", "json_object", "json_schema"):
        return Refusal(400, f'response_format type must be one of "text" or "json_object", '
                           f"but got: {kind}")
    schema = _schema_of(body.get("json_schema")) or (
        _schema_of(fmt.get("schema")) if kind == "json_object" else
        _nested(fmt) if kind == "json_schema" else None)
    return Taken(schema, _sampling(body), body.get("max_tokens"), kind == "json_object")


def _llama_cpp_python(body: Mapping[str, Any]) -> Taken | Refusal:
    fmt = _fmt(body)
    kind = fmt.get("type", "text")
    if kind not in ("text", "json_object"):
        return Refusal(500, "[{'type': 'literal_error', 'loc': ('body', 'response_format', "
                           "'type'), 'msg': \"Input should be 'text' or 'json_object'\"}]")
    schema = _schema_of(fmt.get("schema")) if kind == "json_object" else None
    return Taken(schema, _sampling(body), body.get("max_tokens"), kind == "json_object")


def _ollama(body: Mapping[str, Any]) -> Taken | Refusal:
    fmt = _fmt(body)
    kind = str(fmt.get("type", "")).strip().lower()
    schema = _nested(fmt) if kind == "json_schema" else None
    return Taken(schema, _sampling(body), body.get("max_tokens"), kind == "json_object")


def _anthropic(body: Mapping[str, Any]) -> Taken | Refusal:
    unknown = sorted(set(body) - ANTHROPIC_ARGS)
    if unknown:
        return Refusal(400, f"{unknown[0]}: Extra inputs are not permitted")
    if "max_tokens" not in body:
        return Refusal(400, "max_tokens: Field required")
    forced = (body.get("tool_choice") or {}).get("type") == "tool"
    schema, _ = answers.anthropic_tool(body)
    sampling = {k: body[k] for k in ("temperature", "top_p", "top_k") if k in body}
    return Taken(schema if forced else None, sampling, body.get("max_tokens"))


def _generic(body: Mapping[str, Any]) -> Taken | Refusal:
    schema = answers.openai_schema(body) or _schema_of(_fmt(body).get("schema")) or \
        _schema_of(body.get("format")) or answers.anthropic_tool(body)[0]
    return Taken(schema, _sampling(body),
                 body.get("max_completion_tokens", body.get("max_tokens")))


DIALECTS: Mapping[str, Callable[[Mapping[str, Any]], Taken | Refusal]] = MappingProxyType({
    "generic": _generic, "openai": _openai, "vllm": _vllm, "llama-server": _llama_server,
    "llama-cpp-python": _llama_cpp_python, "ollama": _ollama, "anthropic": _anthropic,
})
# The API (``server.MODEL_PATHS``) each dialect serves; ``generic`` serves both.
API_OF: Mapping[str, str] = MappingProxyType({
    name: ("anthropic" if name == "anthropic" else "openai") for name in DIALECTS})


def take(dialect: str, body: Mapping[str, Any]) -> Taken | Refusal:
    """The request as ``dialect`` takes it, or how that server would refuse it."""
    return DIALECTS[dialect](body)
