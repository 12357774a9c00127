"""Provider prompt caching: where the static part of a request ends, and how that is marked.

A revision's prompt is laid out static-first (``compiler/prompt.py``): the system message holds
the spec text, rules, field descriptions and answer instructions, identical for every input of
the revision; the user message holds the input. With the Output schema (OpenAI's
``response_format``, Anthropic's forced tool) that gives each request a long prefix shared by
every run of the revision, which is what providers cache:

* OpenAI (and compatible servers that cache prefixes) caches the longest previously seen prefix
  of 1,024 tokens or more by itself and reports it as ``usage.prompt_tokens_details.cached_tokens``;
  nothing is sent for it.
* Anthropic caches only up to an explicit ``cache_control`` breakpoint. The prefix order is
  tools, then system, then messages, so one breakpoint on the (last) system block caches the
  forced tool (the Output schema) and the whole system prompt. Reads are reported as
  ``usage.cache_read_input_tokens``, writes as ``usage.cache_creation_input_tokens`` (priced at
  the cache-write rate, ``prices.json``). A prefix below the model's minimum cacheable length is
  simply not cached: the breakpoint costs nothing then.
"""

from __future__ import annotations

from typing import Any

EPHEMERAL: dict[str, str] = {"type": "ephemeral"}  # Anthropic's default five-minute cache


def anthropic_system(system: str, *, breakpoint: bool) -> str | list[dict[str, Any]]:
    """The ``system`` field of a Messages request: the text, as one block carrying the cache
    breakpoint when ``breakpoint`` (the deployment's ``prompt_cache``, on by default)."""
    if not breakpoint:
        return system
    return [{"type": "text", "text": system, "cache_control": dict(EPHEMERAL)}]


def static_prefix(messages: tuple[Any, ...]) -> str:
    """The text of the leading system messages: the part of a prompt that does not depend on
    the input (the bench measures its share of the prompt)."""
    parts: list[str] = []
    for message in messages:
        if message.role != "system":
            break
        parts.append(message.content)
    return "\n\n".join(parts)
