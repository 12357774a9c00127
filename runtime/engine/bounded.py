"""Bounds on what one invalid request can make the server write: in its 422 answer, and in the
execution log.

A 759 KB body with 70,000 unknown keys used to get a 6.8 MB answer listing every error and to
write 7.6 MB to the log. Now a 422 lists at most ``MAX_ERRORS_LISTED`` errors and says how many
there were, and the log keeps an invalid input only up to ``MAX_LOGGED_INVALID_INPUT`` bytes of
JSON; a larger one is logged as a summary: its size, and its first top-level keys.
"""

from __future__ import annotations

from typing import Any

from specwright.runtime.jsontext import dumps

MAX_ERRORS_LISTED = 50
MAX_LOC_PART = 100  # characters of one path element (a key name) in an error's location
MAX_LOGGED_INVALID_INPUT = 16_384  # bytes of JSON
MAX_SUMMARY_KEYS = 20


def bounded_details(details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first ``MAX_ERRORS_LISTED`` errors, with over-long key names in their paths cut."""
    out = []
    for d in details[:MAX_ERRORS_LISTED]:
        loc = [p[:MAX_LOC_PART] + "..." if isinstance(p, str) and len(p) > MAX_LOC_PART else p
               for p in d.get("loc", ())]
        out.append({**d, "loc": loc})
    return out


def count_note(total: int) -> str:
    """``""``, or what a message says when only some of ``total`` errors are listed."""
    if total <= MAX_ERRORS_LISTED:
        return ""
    return f"; the first {MAX_ERRORS_LISTED} of {total} are listed"


def bounded_input(value: Any) -> Any:
    """``value`` as logged for an invalid request: itself when its JSON is small enough, else
    a summary."""
    try:
        size = len(dumps(value).encode("utf-8"))
    except (TypeError, ValueError):
        return {"_omitted": "an input that is not JSON"}
    if size <= MAX_LOGGED_INVALID_INPUT:
        return value
    summary: dict[str, Any] = {
        "_omitted": f"an invalid input of {size} bytes of JSON (more than "
                    f"{MAX_LOGGED_INVALID_INPUT} are not logged)",
        "_bytes": size,
    }
    if isinstance(value, dict):
        summary["_keys"] = [k[:MAX_LOC_PART] for k in list(value)[:MAX_SUMMARY_KEYS]]
        summary["_key_count"] = len(value)
    return summary
