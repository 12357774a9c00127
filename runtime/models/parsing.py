"""Tolerant parsing of the text a model answered with, into exactly one JSON object.

Accepted, in this order (the first that yields exactly one object wins):

1. the text is a JSON object (the fast path: provider-native structured output);
2. a fenced code block (```json ... ```) holding one JSON object;
3. one JSON object inside prose ("Here is the answer: {...} Hope this helps");
4. any of the above after removing trailing commas (``{"a": 1,}``) outside strings.

Never repaired: truncated JSON (the answer was cut off: an error, not a shorter object), several
different objects (ambiguous), duplicate keys with different values, ``NaN``/``Infinity``, a
top-level array or scalar. Nothing is dropped silently: list items and fields are returned
exactly as the model wrote them, and the caller's validation reports an invalid item as an
error rather than a shorter list.
"""

from __future__ import annotations

import json
import re
from typing import Any

from specwright.runtime.errors import ParseError

__all__ = ["ParseError", "parse_json_object"]


_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)```", re.DOTALL)
_MAX_CANDIDATES = 20


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out and out[key] != value:
            raise ParseError(f'the key "{key}" appears twice with different values')
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise ParseError(f"{name} is not a JSON number")


# strict=False: a raw newline or tab inside a JSON string is taken as written (small models
# write multi-line reasons that way); it is still one object, parsed whole.
_decoder = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_constant, strict=False)


def _loads(text: str) -> Any:
    return _decoder.decode(text)


def parse_json_object(text: str) -> dict[str, Any]:
    """Return the one JSON object in ``text``, or raise ParseError naming the problem."""
    stripped = text.strip()
    if not stripped:
        raise ParseError("the answer is empty; expected one JSON object")
    try:
        value = _loads(stripped)
    except json.JSONDecodeError as exc:
        first_error: str = _describe(exc, stripped)
    else:
        if isinstance(value, dict):
            return value
        raise ParseError(f"expected one JSON object, got a JSON {_kind(value)}")

    for source in (stripped, _strip_trailing_commas(stripped)):
        found = _extract(source)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ParseError(
                f"the answer holds {len(found)} different JSON objects; expected exactly one"
            )
    raise ParseError(first_error)


def _extract(text: str) -> list[dict[str, Any]]:
    """Distinct objects found in fenced blocks, else top-level ``{...}`` spans of the text."""
    found: list[dict[str, Any]] = []
    for match in _FENCE.finditer(text):
        body = match.group(2).strip()
        if body.startswith("{"):
            _add(found, _try(body))
    if found:
        return found
    for span in _object_spans(text):
        _add(found, _try(span))
    return found


def _add(found: list[dict[str, Any]], value: dict[str, Any] | None) -> None:
    if value is not None and value not in found:
        found.append(value)


def _try(text: str) -> dict[str, Any] | None:
    try:
        value = _loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


class _StringTracker:
    """Whether the character just read lies inside a JSON string (its quotes included).

    The one string scanner of this module: object spans, trailing commas and unclosed
    answers all need to skip what is quoted, escapes included.
    """

    __slots__ = ("escaped", "inside")

    def __init__(self) -> None:
        self.inside = False
        self.escaped = False

    def quoted(self, ch: str, *, strings_here: bool = True) -> bool:
        """Read ``ch``; True when it is part of a string. ``strings_here=False``: a quote here
        opens no string (prose around an object)."""
        if self.inside:
            if self.escaped:
                self.escaped = False
            elif ch == "\\":
                self.escaped = True
            elif ch == '"':
                self.inside = False
            return True
        if ch == '"' and strings_here:
            self.inside = True
            return True
        return False


def _object_spans(text: str) -> list[str]:
    """Balanced top-level ``{...}`` spans, string-aware; an unclosed span is not returned."""
    spans: list[str] = []
    depth = 0
    start = -1
    strings = _StringTracker()
    for i, ch in enumerate(text):
        if strings.quoted(ch, strings_here=depth > 0):
            continue
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append(text[start : i + 1])
                if len(spans) >= _MAX_CANDIDATES:
                    break
    return spans


def _strip_trailing_commas(text: str) -> str:
    """Remove commas directly before ``}`` or ``]`` (whitespace allowed), outside strings."""
    out: list[str] = []
    strings = _StringTracker()
    pending: list[str] = []  # a comma and the whitespace after it, held back
    for ch in text:
        if not strings.inside and pending:
            if ch.isspace():
                pending.append(ch)
                continue
            if ch in "}]":
                out.extend(pending[1:])  # drop the comma, keep the whitespace
            else:
                out.extend(pending)
            pending = []
        if strings.quoted(ch):
            out.append(ch)
            continue
        if ch == ",":
            pending = [ch]
            continue
        out.append(ch)
    out.extend(pending)
    return "".join(out)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _describe(exc: json.JSONDecodeError, text: str) -> str:
    where = f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
    if text.startswith(("{", "[")) and _unclosed(text):
        return f"the JSON is incomplete (the answer may have been cut off): {where}"
    if "{" not in text:
        return "the answer contains no JSON object"
    return f"not valid JSON: {where}"


def _unclosed(text: str) -> bool:
    """True when a string, object or array opened in ``text`` is never closed."""
    depth = 0
    strings = _StringTracker()
    for ch in text:
        if strings.quoted(ch):
            continue
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
    return strings.inside or depth > 0
