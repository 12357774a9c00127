"""``answer cache`` in a spec's front matter: how long an answer may be served again.

``answer cache: 24h`` opts the spec in: an identical input to the same revision gets the
recorded answer, without a model call, for 24 hours (``runtime/engine/answer_cache.py``).
``answer cache: never`` forbids it, whatever the deployment's configuration says. Durations are
a whole number and a unit: ``90s``, ``30m``, ``24h``, ``7d`` (at most 366 days).

A spec with sensitive fields cannot opt in: the cache would keep an unredacted answer and key it
by a hash of the input, and a hash of a short secret (an account number) is easily reversed.
That is a located error here rather than a cache that silently never hits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml

from specwright.compiler import ir
from specwright.compiler.report import Reporter

ANSWER_CACHE_KEY = "answer cache"
NEVER = 0  # ``Route.answer_cache_s`` of a spec that forbids the cache
MAX_S = 366 * 86400
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d{1,9})\s*([smhd])")
_HINT = 'a duration such as 90s, 30m, 24h or 7d, or "never"'


def parse_duration(text: str) -> int | None:
    """Seconds of ``24h`` / ``30m`` / ``90s`` / ``7d``; None when ``text`` is not one (or is
    zero, or longer than 366 days)."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        return None
    seconds = int(match[1]) * _UNITS[match[2]]
    return seconds if 0 < seconds <= MAX_S else None


def read_answer_cache(
    data: dict[Any, Any], nodes: dict[str, tuple[yaml.Node, yaml.Node]], first_line: int,
    report: Reporter,
) -> tuple[int | None, int]:
    """(seconds, 0 for never, or None when absent; the key's line)."""
    if ANSWER_CACHE_KEY not in nodes:
        return None, 0
    key_node, node = nodes[ANSWER_CACHE_KEY]
    line = first_line + key_node.start_mark.line
    raw = data.get(ANSWER_CACHE_KEY)
    if raw is False or (isinstance(raw, str) and raw.strip().lower() in ("never", "off", "no")):
        return NEVER, line  # YAML reads a bare ``off`` / ``no`` as false
    seconds = parse_duration(raw) if isinstance(raw, str) else None
    if seconds is None:
        report.error(first_line + node.start_mark.line, node.start_mark.column + 1,
                     f"answer cache must be {_HINT}, not {str(raw)[:40]!r}")
        return None, line
    return seconds, line


def _sensitive(fields: Iterable[ir.Field], prefix: str = "") -> list[str]:
    found: list[str] = []
    for f in fields:
        if f.sensitive:
            found.append(prefix + f.name)
        ft = f.type.items if f.type.kind == "list" and f.type.items is not None else f.type
        found += _sensitive(ft.fields, f"{prefix}{f.name}.")
    return found


def check_answer_cache(seconds: int | None, line: int, inputs: Iterable[ir.Field],
                       outputs: Iterable[ir.Field], report: Reporter) -> None:
    """An opted-in spec has no sensitive field (see the module docstring)."""
    if not seconds:
        return
    names = _sensitive(inputs) + _sensitive(outputs)
    if names:
        report.error(line, 1, "answer cache cannot be used with sensitive fields "
                     f"({', '.join(names[:5])}): the cache would keep their values; remove "
                     '"answer cache" or write "answer cache: never"')
