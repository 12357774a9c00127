"""Compact JSON text for the hot paths (HTTP answers, execution-log rows).

Encoded by Pydantic's Rust serializer, several times faster than ``json.dumps`` for a run's small
values, with the standard library's rules: compact separators, non-ASCII characters as they are,
any other value (a datetime, a Decimal) written by ``str``, and NaN or infinity refused with a
``ValueError`` (they are not JSON). The text is the standard library's but for one spelling: a
float's exponent may be written without a leading zero (``9e-7`` for ``9e-07``), the same number. The Rust serializer writes those two as the bare words ``NaN``
and ``Infinity``; a text holding either word (a string may, too) is encoded again by the standard
library, which raises for the numbers and gives the same text otherwise.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import to_json

_careful = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str
).encode


def dumps_bytes(value: Any) -> bytes:
    data = to_json(value, fallback=str)
    if b"NaN" in data or b"Infinity" in data:
        return _careful(value).encode()
    return data


def dumps(value: Any) -> str:
    return dumps_bytes(value).decode()
