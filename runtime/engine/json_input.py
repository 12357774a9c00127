"""Request bodies parsed as plain JSON, for HTTP calls and batch lines alike.

A body that is not plain JSON (wrong content type, invalid UTF-8, NaN, huge numbers, nesting
deeper than ``MAX_JSON_DEPTH``, lone surrogates, a key twice in one object) raises a typed 4xx whose message says what is
wrong, before anything is validated, logged or sent to a model.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from pydantic_core import from_json

from specwright.runtime.engine.json_dupes import duplicate_key_path
from specwright.runtime.errors import DuplicateKey, InvalidJson, UnsupportedMediaType

__all__ = ["MAX_JSON_DEPTH", "parse_json_body"]

MAX_JSON_DEPTH = 64


def parse_json_body(body: bytes, content_type: str | None) -> Any:
    """Parse a request body as JSON; raise a typed 4xx for anything that is not plain JSON."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "application/json" and not (media.startswith("application/") and
                                             media.endswith("+json")):
        shown = media or "none"
        raise UnsupportedMediaType(
            f"the body must be JSON: send Content-Type: application/json (got {shown})"
        )
    # Fast path: the Rust parser Pydantic ships (several times faster than ``json.loads`` with
    # the hooks below), then one walk for what it accepts and a body may not hold: non-finite
    # numbers, huge integers, deep nesting. It refuses everything else ``_parse_carefully``
    # refuses (and lone surrogates); whatever it refuses or the walk flags is parsed again
    # carefully, which raises the error that says what is wrong.
    try:
        value = from_json(body, allow_inf_nan=False, cache_strings="keys")
    except ValueError:  # refused: the careful parse raises the error that says why
        value = _parse_carefully(body)
    else:
        if not _plain(value):
            value = _parse_carefully(body)
    path = duplicate_key_path(body, value)
    if path is not None:
        where = ".".join(str(p) for p in path[:-1]) or "the body"
        raise DuplicateKey(
            f"the key {str(path[-1])[:80]!r} appears twice in one object ({where}): "
            "send each key once",
            details=[{"loc": ["body", *path], "msg": "duplicate key", "type": "duplicate_key"}],
        )
    return value


def _parse_carefully(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidJson(f"the body is not valid UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(
            text, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_bounded_int
        )
    except json.JSONDecodeError as exc:
        raise InvalidJson(
            f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise InvalidJson(f"the body is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except ValueError as exc:  # NaN/Infinity, huge numbers
        raise InvalidJson(f"the body is not valid JSON: {exc}") from None
    if _depth_exceeds(value, MAX_JSON_DEPTH):
        raise InvalidJson(f"the body is nested more than {MAX_JSON_DEPTH} levels deep")
    # A lone UTF-16 surrogate escape (\ud800 without its pair) decodes to a code point that is
    # not a character: it cannot be stored, logged or sent to a model. The regex keeps the
    # common case (no such escape in the text) to one scan of the body.
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise InvalidJson(
            "the body holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without its "
            "pair): it is not a character; send the text as UTF-8 or as a complete escape pair"
        )
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# No field of any spec can hold more digits than a double's range; longer integers are refused
# before Python's own int-conversion limit produces a message about sys.set_int_max_str_digits.
MAX_INT_DIGITS = 400


def _bounded_int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS:
        raise ValueError(f"an integer with {len(text)} digits is too large")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


_INT_LIMIT = 10**MAX_INT_DIGITS  # the careful parse counts a minus sign as a digit
_NEGATIVE_INT_LIMIT = -(10 ** (MAX_INT_DIGITS - 1))


def _plain(value: Any) -> bool:
    """No container nested deeper than MAX_JSON_DEPTH, every float finite, every integer
    shorter than MAX_INT_DIGITS digits: what ``_parse_carefully`` would accept."""
    stack: list[tuple[Any, int]] = [([value], 0)]  # the body as the only item of a list
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return False
        for child in item.values() if type(item) is dict else item:
            kind = type(child)  # exact types: the parser makes no subclasses
            if kind is str or kind is bool or child is None:
                continue
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is float:
                if not math.isfinite(child):
                    return False
            elif not _NEGATIVE_INT_LIMIT < child < _INT_LIMIT:
                return False
    return True


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
