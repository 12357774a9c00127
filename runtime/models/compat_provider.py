"""OpenAI-compatible servers (Ollama, vLLM, llama.cpp, LM Studio, hosted gateways) by base_url.

A deployment in ``specwright.toml`` names the server and how it takes the Output schema::

    [deployments.local]
    kind = "openai-compatible"
    base_url = "http://127.0.0.1:8080/v1"
    structured = "json_object_schema"   # see below
    context_window = 4096
    seed = 1234

``structured`` (each server takes the schema its own way; docs/models.md has the table):

* ``json_schema``: ``response_format: {type: json_schema, json_schema: {schema}}`` (OpenAI's
  form: vLLM, llama.cpp's ``llama-server``, LM Studio, Ollama >= 0.5).
* ``json_object_schema``: ``response_format: {type: json_object, schema}``, the llama.cpp-family
  form (llama-cpp-python's server refuses ``json_schema`` with a 500); its grammar enforces the
  schema.
* ``ollama_format``: Ollama. Its OpenAI-compatible endpoint has no top-level ``format`` (it
  would be ignored): it turns ``response_format: json_schema`` into its ``format`` (the
  grammar), so that is what is sent, and the schema goes into the prompt too (Ollama < 0.5
  ignores ``json_schema``).
* ``json_object``: ``response_format: {type: json_object}``: "some JSON" only.

Except with ``json_schema``, the schema is also written into the (one) system message, so the
model reads what the fields mean: several chat templates refuse a second system message.
The ``compat`` lowering keeps constraint keywords (grammar engines honour them). Errors map
like OpenAI's.
"""

from __future__ import annotations

from typing import Any

from specwright.runtime.models._support import ClientPool, Endpoint, missing_key
from specwright.runtime.models.lowering import Dialect, LoweredSchema
from specwright.runtime.models.openai_provider import OpenAIProvider, client_for, schema_prompt

__all__ = ["STRUCTURED", "CompatProvider", "build", "dialect_of"]

STRUCTURED = ("json_schema", "json_object", "json_object_schema", "ollama_format")


def dialect_of(structured: str) -> Dialect:
    """How the schema is lowered for a way of sending it: only ``json_object`` shows it to the
    model alone; every other way hands it to a grammar engine too."""
    return "json_object" if structured == "json_object" else "compat"


class CompatProvider(OpenAIProvider):
    """Like ``OpenAIProvider``, for servers that speak the Chat Completions API."""

    max_tokens_param = "max_tokens"  # older servers do not know max_completion_tokens

    def __init__(self, *args: Any, structured: str = "json_schema", **kw: Any) -> None:
        super().__init__(*args, **kw)
        if structured not in STRUCTURED:
            raise ValueError(f"structured = {structured!r}: use one of {', '.join(STRUCTURED)}")
        self.structured = structured
        self.dialect: Dialect = dialect_of(structured)
        self._prompts: dict[int, tuple[LoweredSchema, str]] = {}

    def _response_format(self, name: str, lowered: LoweredSchema) -> dict[str, Any]:
        if self.structured == "json_object":
            return {"type": "json_object"}
        if self.structured == "json_object_schema":
            return {"type": "json_object", "schema": lowered.schema}
        return super()._response_format(name, lowered)

    def _messages(
        self, messages: list[dict[str, str]], lowered: LoweredSchema
    ) -> list[dict[str, str]]:
        if self.structured == "json_schema":
            return messages
        hit = self._prompts.get(id(lowered))
        if hit is None or hit[0] is not lowered:
            if len(self._prompts) > 256:
                self._prompts.clear()
            hit = (lowered, schema_prompt(lowered))
            self._prompts[id(lowered)] = hit
        if messages and messages[0]["role"] == "system":
            first = {"role": "system", "content": f"{messages[0]['content']}\n\n{hit[1]}"}
            return [first, *messages[1:]]
        return [{"role": "system", "content": hit[1]}, *messages]


def build(endpoint: Endpoint, model: str, pool: ClientPool) -> CompatProvider:
    if endpoint.key_missing:
        return CompatProvider(
            endpoint.provider, model, None,
            missing=missing_key(endpoint.provider, endpoint.key_env or ""),
            structured=endpoint.structured, sampling=endpoint.sampling,
        )
    return CompatProvider(
        endpoint.provider, model, client_for(endpoint, pool),
        timeout_s=endpoint.timeout_s,
        secrets=(endpoint.key,) if endpoint.key else (),
        structured=endpoint.structured, sampling=endpoint.sampling,
    )
