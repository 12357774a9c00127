"""Response bodies of the fake server: OpenAI Chat Completions and Anthropic Messages.

A valid answer is derived from the schema the request carries (``response_format.json_schema``,
a JSON Schema shown in a ``json_object`` system prompt, or the forced tool's ``input_schema``)
with ``specwright.runtime.models.mock.generate``: first enum value, lower bounds, strings of a valid length.
Token usage is reported as ``len(request body) // 4`` prompt tokens and ``len(answer) // 4``
completion tokens (at least 1 each), so a test can add them up.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from specwright.runtime.models.mock import generate

_SCHEMA_MARK = "JSON Schema:\n"  # how specwright.runtime.models.openai_provider.schema_prompt ends


@dataclass(frozen=True, slots=True)
class Answer:
    valid: dict[str, Any]
    text: str  # ``valid`` as JSON


class AnswerCache:
    """Valid answers per schema (generating one costs more than serving it)."""

    def __init__(self, limit: int = 512) -> None:
        self._cache: dict[str, Answer] = {}
        self._limit = limit

    def get(self, schema: Mapping[str, Any] | None, overrides: Mapping[str, Any]) -> Answer:
        key = json.dumps(schema, sort_keys=True) + json.dumps(dict(overrides), sort_keys=True)
        hit = self._cache.get(key)
        if hit is None:
            data = generate(schema, schema) if schema else {}
            if not isinstance(data, dict):
                data = {}
            data.update(overrides)
            hit = Answer(data, json.dumps(data))
            if len(self._cache) >= self._limit:
                self._cache.clear()
            self._cache[key] = hit
        return hit


def openai_schema(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """The schema a Chat Completions request asks for, if any."""
    fmt = body.get("response_format")
    if isinstance(fmt, Mapping) and fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema")
        if isinstance(spec, Mapping) and isinstance(spec.get("schema"), Mapping):
            return dict(spec["schema"])
    for message in body.get("messages") or ():  # json_object: the schema is in the prompt
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, str) and _SCHEMA_MARK in content:
            try:
                found = json.loads(content.split(_SCHEMA_MARK, 1)[1])
            except ValueError:
                continue
            if isinstance(found, dict):
                return found
    return None


def anthropic_tool(body: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """(input_schema, tool name) of the tool a Messages request forces, if any."""
    tools = body.get("tools") or ()
    wanted = (body.get("tool_choice") or {}).get("name")
    for tool in tools:
        if isinstance(tool, Mapping) and (wanted is None or tool.get("name") == wanted):
            schema = tool.get("input_schema")
            return (dict(schema) if isinstance(schema, Mapping) else None), str(tool.get("name"))
    return None, "answer"


def schema_invalid(valid: Mapping[str, Any]) -> dict[str, Any]:
    """Valid JSON that breaks the schema: the first field gets a value of the wrong type."""
    out = dict(valid)
    if not out:
        return {"unexpected_field": True}
    key = next(iter(out))
    value = out[key]
    out[key] = 12345 if isinstance(value, str) else "not a valid value"
    return out


def truncated(text: str) -> str:
    """Cut-off JSON: never parseable, never repaired by a tolerant parser."""
    return text[: max(1, len(text) // 2)] if len(text) > 2 else '{"'


def usage_of(request_bytes: int, answer: str) -> tuple[int, int]:
    return max(1, request_bytes // 4), max(1, len(answer) // 4)


def openai_completion(n: int, model: str, text: str, usage: tuple[int, int],
                      cached: int = 0) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake-{n}", "object": "chat.completion", "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                     "message": {"role": "assistant", "content": text, "refusal": None}}],
        "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1],
                  "total_tokens": usage[0] + usage[1],
                  "prompt_tokens_details": {"cached_tokens": cached}},
    }


def anthropic_message(
    n: int, model: str, tool: str, data: dict[str, Any] | None, text: str, usage: tuple[int, int],
    cache: tuple[int, int] = (0, 0),
) -> dict[str, Any]:
    """A tool call with ``data``; or, with ``data`` None, a text answer (stop_reason end_turn).
    ``cache``: the prompt tokens read from and written to the prompt cache (of ``usage[0]``)."""
    content: list[dict[str, Any]]
    if data is None:
        content = [{"type": "text", "text": text}]
    else:
        content = [{"type": "tool_use", "id": f"toolu_fake_{n}", "name": tool, "input": data}]
    return {
        "id": f"msg_fake_{n}", "type": "message", "role": "assistant", "model": model,
        "content": content, "stop_reason": "end_turn" if data is None else "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": usage[0] - cache[0] - cache[1], "output_tokens": usage[1],
                  "cache_read_input_tokens": cache[0], "cache_creation_input_tokens": cache[1]},
    }


def openai_error(status: int, message: str, kind: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def anthropic_error(message: str, kind: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


ERRORS: Mapping[tuple[str, int], tuple[str, str | None]] = {
    ("openai", 429): ("rate_limit_exceeded", "rate_limit_exceeded"),
    ("openai", 500): ("server_error", None),
    ("anthropic", 429): ("rate_limit_error", None),
    ("anthropic", 500): ("api_error", None),
}


def error_body(api: str, status: int, message: str) -> dict[str, Any]:
    kind, code = ERRORS.get((api, status), ("invalid_request_error", None))
    if api == "anthropic":
        return anthropic_error(message, kind)
    return openai_error(status, message, kind, code)
