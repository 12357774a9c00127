"""Times of day (the ``time`` type): ``09:30`` or ``09:30:15``, a wall-clock reading.

One rule everywhere (cells, defaults, examples, derived values, a call's input): a time of day
never carries an offset. A date and time must carry one (it names a moment, and without an
offset it is a different moment in every timezone); a time of day names no moment at all, and
no offset can be applied to it without a date (a zone's offset changes with the date), so
``09:30Z`` and ``09:30+01:00`` are refused with the fix. Values are compared as the canonical
``HH:MM:SS`` text (zero-padded, so text order is time order) and analysed as seconds since
midnight.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = [
    "DAY_SECONDS",
    "NO_OFFSET",
    "SCHEMA_PATTERN",
    "TIME_EXAMPLE",
    "TIME_RE",
    "canonical_time",
    "has_offset",
    "iso_time",
    "time_seconds",
]

TIME_RE = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?")
_OFFSET_RE = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|z|[+-]\d{2}:?\d{2})")
TIME_EXAMPLE = "09:30"
DAY_SECONDS = 86_400
NO_OFFSET = (
    "has an offset, but a time of day never does: write the wall-clock time alone "
    "(like 09:30); for a moment, use a date and time field"
)
# the pattern a call's input must match (JSON Schema): HH:MM or HH:MM:SS, no offset
SCHEMA_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


def time_seconds(text: str) -> int | None:
    """Seconds since midnight of ``HH:MM`` or ``HH:MM:SS``; None when ``text`` is not one."""
    match = TIME_RE.fullmatch(text.strip())
    if match is None:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds or 0)


def has_offset(text: str) -> bool:
    """``09:30Z``, ``09:30:00+01:00``: a time of day written with an offset (refused)."""
    return _OFFSET_RE.fullmatch(text.strip()) is not None


def iso_time(seconds: int) -> str:
    """``HH:MM:SS`` of seconds since midnight (0 to 86399)."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def canonical_time(value: object) -> str:
    """The CEL value of a time of day: ``HH:MM:SS`` (a ``datetime.time`` or valid text)."""
    if isinstance(value, dt.time):
        return value.replace(microsecond=0, tzinfo=None).isoformat()
    seconds = time_seconds(str(value))
    if seconds is None:
        raise ValueError(f"{value!r} is not a time of day (write {TIME_EXAMPLE})")
    return iso_time(seconds)
