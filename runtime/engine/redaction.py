"""Redaction of fields marked ``sensitive`` before a run is written to the execution log.

A field is marked in the spec (``sensitive`` constraint). Its value is replaced by ``"[redacted]"``
wherever it occurs: at the top level, inside nested objects and inside lists of objects. The
value the caller sent and the value the model saw are not changed; only the logged copy is.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from specwright.compiler.ir import Field, FieldType

REDACTED = "[redacted]"


def has_sensitive(fields: Iterable[Field]) -> bool:
    return any(f.sensitive or _type_has_sensitive(f.type) for f in fields)


def _type_has_sensitive(t: FieldType | None) -> bool:
    if t is None:
        return False
    if t.kind == "object":
        return has_sensitive(t.fields)
    if t.kind == "list":
        return _type_has_sensitive(t.items)
    return False


def redact(fields: Iterable[Field], data: Any, mask: str = REDACTED) -> Any:
    """A copy of ``data`` (an object of these fields) with every sensitive value replaced by
    ``mask`` (None stays None: an absent optional value is not a secret).

    Data that does not have the declared shape (invalid input) is redacted as far as it
    matches; what does not match is copied as is.
    """
    fields = tuple(fields)
    if not isinstance(data, dict) or not has_sensitive(fields):
        return data
    by_name = {f.name: f for f in fields}
    out: dict[str, Any] = {}
    for key, value in data.items():
        f = by_name.get(key)
        if f is None:
            out[key] = value
        elif f.sensitive:
            out[key] = mask if value is not None else None
        else:
            out[key] = _redact_value(f.type, value, mask)
    return out


def _redact_value(t: FieldType, value: Any, mask: str) -> Any:
    if t.kind == "object":
        return redact(t.fields, value, mask)
    if t.kind == "list" and t.items is not None and isinstance(value, list):
        if not _type_has_sensitive(t.items):
            return value
        return [_redact_value(t.items, v, mask) for v in value]
    return value
