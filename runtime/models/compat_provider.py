"""OpenAI-compatible servers (Ollama, vLLM, llama.cpp, LM Studio, hosted gateways) by base_url.

A deployment in ``specwright.toml`` names the server and how it takes structured output::

    [deployments.local]
    kind = "openai-compatible"
    base_url = "http://127.0.0.1:11434/v1"
    structured = "json_schema"   # or "json_object" for servers without schema-constrained output
    context_window = 32768

``json_schema`` sends ``response_format: json_schema`` with the ``compat`` lowering (constraint
keywords kept: grammar engines honour them). ``json_object`` sends ``response_format:
json_object`` and puts the schema in a system message. Errors map like OpenAI's.
"""

from __future__ import annotations

from typing import Any

from specwright.runtime.models._support import ClientPool, Endpoint, missing_key
from specwright.runtime.models.lowering import Dialect, LoweredSchema
from specwright.runtime.models.openai_provider import OpenAIProvider, client_for, schema_prompt

__all__ = ["CompatProvider", "build"]


class CompatProvider(OpenAIProvider):
    """Like ``OpenAIProvider``, for servers that speak the Chat Completions API."""

    max_tokens_param = "max_tokens"  # older servers do not know max_completion_tokens

    def __init__(self, *args: Any, structured: str = "json_schema", **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.structured = structured
        self.dialect: Dialect = "json_object" if structured == "json_object" else "compat"
        self._temperature_ok = True
        self._prompts: dict[int, tuple[LoweredSchema, dict[str, str]]] = {}

    def _response_format(self, name: str, lowered: LoweredSchema) -> dict[str, Any]:
        if self.structured == "json_object":
            return {"type": "json_object"}
        return super()._response_format(name, lowered)

    def _messages(
        self, messages: list[dict[str, str]], lowered: LoweredSchema
    ) -> list[dict[str, str]]:
        if self.structured != "json_object":
            return messages
        hit = self._prompts.get(id(lowered))
        if hit is None or hit[0] is not lowered:
            hit = (lowered, {"role": "system", "content": schema_prompt(lowered)})
            self._prompts[id(lowered)] = hit
        return [hit[1], *messages]


def build(endpoint: Endpoint, model: str, pool: ClientPool) -> CompatProvider:
    if endpoint.key_missing:
        return CompatProvider(
            endpoint.provider, model, None,
            missing=missing_key(endpoint.provider, endpoint.key_env or ""),
            structured=endpoint.structured,
        )
    return CompatProvider(
        endpoint.provider, model, client_for(endpoint, pool),
        timeout_s=endpoint.timeout_s,
        secrets=(endpoint.key,) if endpoint.key else (),
        structured=endpoint.structured,
    )
