"""Compact JSON text for the hot paths (HTTP answers, execution-log rows).

One encoder, built once: ``json.dumps`` with any non-default option builds a new encoder on every
call, which costs more than encoding a run's small values. ``allow_nan=False``: NaN and infinity
are not JSON; ``default=str`` writes any other value (a datetime, a Decimal) as its text.
"""

from __future__ import annotations

import json

dumps = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str
).encode
