"""Duplicate keys in a JSON body: refused, never "last one wins".

JSON parsers disagree about ``{"a": 1, "a": 2}`` (first wins, last wins, error), so a body with a
duplicate key can mean one thing to a proxy or a validator in front of the server and another to
the server. Specwright refuses it with a 422 that names the key and where it is.

The check costs one byte count in the common case: every ``:`` outside a string separates a key
from its value, so when the body holds no more ``:`` bytes than the parsed value holds keys, no
key can be repeated. Otherwise (a ``:`` inside a string, such as a time or a URL, or a real
duplicate) the body is parsed again keeping every pair, to find the first repeated key.
"""

from __future__ import annotations

import json
from typing import Any


class _Pairs(list[tuple[str, Any]]):
    """An object's pairs in order, duplicates kept."""


def _count_keys(value: Any) -> int:
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            count += len(item)
            stack.extend(item.values())
        elif type(item) is list:
            stack.extend(item)
    return count


def _first_duplicate(value: Any, path: list[str | int]) -> list[str | int] | None:
    if isinstance(value, _Pairs):
        seen: set[str] = set()
        for key, _ in value:
            if key in seen:
                return [*path, key]
            seen.add(key)
        for key, child in value:
            found = _first_duplicate(child, [*path, key])
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found = _first_duplicate(child, [*path, i])
            if found is not None:
                return found
    return None


def duplicate_key_path(body: bytes, value: Any) -> list[str | int] | None:
    """The path of the first key that ``body`` (which parsed to ``value``) repeats within one
    object, ending with that key; None when no key is repeated."""
    if body.count(b":") <= _count_keys(value):
        return None
    pairs = json.loads(body.decode("utf-8"), object_pairs_hook=_Pairs)
    return _first_duplicate(pairs, [])
