"""Numbered schema migrations, one directory per backend: ``<backend>/NNNN_name.sql``.

Applied in order by the store at start and tracked in a ``schema_migrations`` table
(version, name, applied_at). A migration is never edited once released: add the next number.
A number may be missing (reserved by a change not merged yet): every migration not applied is
applied, whatever its number, so one landing later is still applied.
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
    """The backend's migrations, sorted by version; each version once, starting at 1."""
    found: list[Migration] = []
    for entry in resources.files(__name__).joinpath(backend).iterdir():
        match = _NAME.fullmatch(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions) or (versions and versions[0] != 1):
        raise RuntimeError(f"{backend} migrations must be numbered 0001, 0002... : {versions}")
    return tuple(found)


def newest(known: tuple[Migration, ...]) -> int:
    """The highest version this Specwright knows (a database past it needs an upgrade)."""
    return max((m.version for m in known), default=0)
