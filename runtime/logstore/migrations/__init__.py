"""Numbered schema migrations, one directory per backend: ``<backend>/NNNN_name.sql``.

Applied in order by the store at start and tracked in a ``schema_migrations`` table
(version, name, applied_at). A migration is never edited once released: add the next number.
Numbers are handed out per feature, so a checkout may lack some (0005 without 0003): versions
must be distinct and increasing, not contiguous; each one missing from ``schema_migrations`` is
applied, in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load(backend: str) -> tuple[Migration, ...]:
    """The backend's migrations, sorted by version; every version distinct and at least 1."""
    found: list[Migration] = []
    for entry in resources.files(__name__).joinpath(backend).iterdir():
        match = _NAME.fullmatch(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions) or (versions and versions[0] < 1):
        raise RuntimeError(f"{backend} migrations must have distinct numbers from 0001: {versions}")
    return tuple(found)
