"""The fake server's prompt cache: cached prompt tokens reported the way each vendor does.

* OpenAI caches the longest prefix it has seen before, by itself, once the prompt reaches
  ``min_tokens`` (1,024 at OpenAI): here the prefix is the Output schema (``response_format``)
  and the leading system messages, and a repeat of it is reported in
  ``usage.prompt_tokens_details.cached_tokens``.
* Anthropic caches only up to the last ``cache_control`` breakpoint (tools, then system, then
  message blocks, in that order): the first request with a prefix writes it
  (``cache_creation_input_tokens``), later ones read it (``cache_read_input_tokens``), and
  ``input_tokens`` counts only the tokens after the breakpoint. A prefix shorter than
  ``min_tokens`` is not cached, as at Anthropic.

Token counts use the fake's usual estimate (``len(json) // 4``), capped at the prompt's.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any


def _tokens(parts: list[Any]) -> int:
    return len(json.dumps(parts, sort_keys=True, ensure_ascii=False)) // 4


class PrefixCache:
    """Prefixes seen per model; the oldest are forgotten past ``limit``."""

    def __init__(self, min_tokens: int = 1024, limit: int = 4096) -> None:
        self.min_tokens = min_tokens
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._limit = limit

    def _hit(self, model: str, parts: list[Any]) -> bool:
        """Whether this prefix was seen before; remembers it either way."""
        text = json.dumps([model, parts], sort_keys=True, ensure_ascii=False)
        key = hashlib.sha256(text.encode()).hexdigest()
        if key in self._seen:
            self._seen.move_to_end(key)
            return True
        self._seen[key] = None
        if len(self._seen) > self._limit:
            self._seen.popitem(last=False)
        return False

    def openai(self, request: Mapping[str, Any], prompt_tokens: int) -> int:
        """``cached_tokens`` of a Chat Completions request."""
        parts: list[Any] = [request.get("response_format"), request.get("tools")]
        for message in request.get("messages") or ():
            if not isinstance(message, Mapping) or message.get("role") not in ("system",
                                                                                "developer"):
                break
            parts.append(message.get("content"))
        tokens = min(_tokens(parts), prompt_tokens)
        if prompt_tokens < self.min_tokens or tokens < self.min_tokens:
            return 0
        return tokens if self._hit(str(request.get("model")), parts) else 0

    def anthropic(self, request: Mapping[str, Any], prompt_tokens: int) -> tuple[int, int]:
        """(cache_read_input_tokens, cache_creation_input_tokens) of a Messages request."""
        pieces: list[Any] = []
        last = -1
        for piece in _blocks(request):
            pieces.append(piece)
            if isinstance(piece, Mapping) and piece.get("cache_control"):
                last = len(pieces) - 1
        if last < 0:
            return 0, 0
        prefix = pieces[: last + 1]
        tokens = min(_tokens(prefix), prompt_tokens)
        if tokens < self.min_tokens:
            return 0, 0
        return (tokens, 0) if self._hit(str(request.get("model")), prefix) else (0, tokens)


def _blocks(request: Mapping[str, Any]) -> list[Any]:
    """Everything a Messages request's prefix is made of, in cache order."""
    out: list[Any] = list(request.get("tools") or ())
    system = request.get("system")
    out.extend(system if isinstance(system, list) else ([system] if system else []))
    for message in request.get("messages") or ():
        content = message.get("content") if isinstance(message, Mapping) else None
        out.extend(content if isinstance(content, list) else [content])
    return out
