"""Run ids: ULIDs (https://github.com/ulid/spec), 26 characters of Crockford base32.

48 bits of millisecond timestamp, then 80 random bits. Ids sort as strings in creation order;
within one millisecond the random part is incremented, so ids made by one process are strictly
increasing even when the clock stands still or steps back. (The ``python-ulid`` package does the
same; forty lines are not worth a dependency.)
"""

from __future__ import annotations

import os
import re
import threading
import time

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80
_RANDOM_MAX = (1 << _RANDOM_BITS) - 1
_TIME_MAX = (1 << 48) - 1
ULID_RE = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")

_lock = threading.Lock()
_last_ms = -1
_last_random = 0


_PAIRS = [a + b for a in ALPHABET for b in ALPHABET]  # 10 bits -> 2 characters


def _characters(value: int, pairs: int) -> str:
    """The low ``pairs * 10`` bits of ``value`` -> ``pairs * 2`` characters, most significant
    first."""
    table = _PAIRS
    return "".join([table[(value >> shift) & 1023] for shift in range(pairs * 10 - 10, -10, -10)])


def encode(value: int) -> str:
    """128-bit integer -> 26 characters (130 bits, the top 2 zero), most significant first."""
    return _characters(value, 13)


_time_part = ("", -1)  # the 10 characters of the last millisecond encoded, and that millisecond
_POOL_IDS = 256  # ids' worth of randomness read from the OS at a time
_pool = b""
_pool_at = 0


def _fresh_random() -> int:
    """79 random bits (the top one of 80 left at 0) from the OS's CSPRNG, read for 256 ids at a
    time: one system call instead of one per id. Called with ``_lock`` held."""
    global _pool, _pool_at
    if _pool_at >= len(_pool):
        _pool, _pool_at = os.urandom(10 * _POOL_IDS), 0
    chunk = _pool[_pool_at : _pool_at + 10]
    _pool_at += 10
    return int.from_bytes(chunk, "big") >> 1


def _forget_pool() -> None:
    """In a forked child: never hand out the bytes the parent will hand out too."""
    global _pool, _pool_at
    _pool, _pool_at = b"", 0


os.register_at_fork(after_in_child=_forget_pool)


def new_run_id(now: float | None = None) -> str:
    """A new ULID, greater than every id this process made before it."""
    global _last_ms, _last_random, _time_part
    ms = int((time.time() if now is None else now) * 1000)
    with _lock:
        if ms <= _last_ms:  # same millisecond, or the clock stepped back: keep counting up
            ms = _last_ms
            rnd = _last_random + 1
            if rnd > _RANDOM_MAX:  # 2**80 ids in one millisecond: borrow the next one
                ms, rnd = ms + 1, _fresh_random()
        else:
            # The top random bit starts at 0, leaving 2**79 increments before overflow.
            rnd = _fresh_random()
        if ms > _TIME_MAX:
            raise ValueError("timestamp beyond the ULID range (year 10889)")
        _last_ms, _last_random = ms, rnd
    # Runs made in the same millisecond share the time part: encode it once. (One tuple, read
    # and replaced whole, so another thread never sees a prefix paired with another ms.)
    prefix, prefix_ms = _time_part
    if prefix_ms != ms:
        prefix = _characters(ms, 5)  # 48 bits in 10 characters
        _time_part = (prefix, ms)
    return prefix + _characters(rnd, 8)  # 80 bits in 16 characters


def is_run_id(value: str) -> bool:
    return ULID_RE.fullmatch(value) is not None


def timestamp_of(run_id: str) -> float:
    """The creation time (epoch seconds, millisecond precision) encoded in a run id."""
    if not is_run_id(run_id):
        raise ValueError(f"not a run id: {run_id!r}")
    ms = 0
    for ch in run_id[:10]:
        ms = ms * 32 + ALPHABET.index(ch)
    return ms / 1000
