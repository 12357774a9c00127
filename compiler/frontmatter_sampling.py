"""Sampling settings in a spec's front matter: ``temperature``, ``seed``, ``top_p``, ``max_tokens``.

They travel with the route (``ir.Route``) into every model request of the spec and win over the
deployment's settings (``runtime/models/sampling.py``). Each is checked here with its line, so a
typo is a located error rather than a request a provider refuses.
"""

from __future__ import annotations

import math
from typing import Any

import yaml

from specwright.compiler.report import Reporter

SAMPLING_KEYS = ("temperature", "seed", "top_p", "max_tokens")

# key -> (lowest, highest, integer?, what to write)
_RANGES: dict[str, tuple[float, float, bool, str]] = {
    "temperature": (0.0, 2.0, False, "a number from 0 to 2, e.g. temperature: 0"),
    "top_p": (0.0, 1.0, False, "a number above 0 and at most 1, e.g. top_p: 0.9"),
    "seed": (0, 2**63 - 1, True, "a whole number from 0, e.g. seed: 1234"),
    "max_tokens": (1, 1_000_000, True, "a whole number of tokens above 0, e.g. max_tokens: 400"),
}


def read_sampling(
    data: dict[Any, Any], nodes: dict[str, tuple[yaml.Node, yaml.Node]], first_line: int,
    report: Reporter,
) -> dict[str, Any]:
    """The sampling keys present in the front matter, validated; bad ones are reported."""
    out: dict[str, Any] = {}
    for key in SAMPLING_KEYS:
        if key not in nodes:
            continue
        raw = data.get(key)
        low, high, integer, hint = _RANGES[key]
        node = nodes[key][1]
        value = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None
        ok = value is not None and math.isfinite(value) and low <= value <= high
        if value is not None and integer and not value.is_integer():
            ok = False
        if key == "top_p" and value == 0:
            ok = False
        if not ok or value is None:
            report.error(first_line + node.start_mark.line, node.start_mark.column + 1,
                         f"{key} must be {hint}")
            continue
        out[key] = int(raw) if integer else value  # type: ignore[arg-type]
    return out
