"""A pytest plugin: collect only the latest revision's test module of each spec.

Revisions are immutable, and a revision's test module was run when that revision was the latest.
Collecting superseded revisions again would run tests whose imports belong to an earlier release
of Specwright (revisions written before the ``specwright`` package imported ``runtime``), so
``pytest generated`` runs what ``specwright test`` runs: the latest revision of every spec.
Enable it with ``-p specwright.runtime.testing.collect``.
"""

from __future__ import annotations

from pathlib import Path

from specwright.runtime.testing.runner import latest_revision_dir, revision_number


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    """True for a revision directory (``<spec>/r<N>``) that is not its spec's latest."""
    if revision_number(collection_path.name) is None or not collection_path.is_dir():
        return None
    if not (collection_path / "manifest.json").is_file():
        return None
    latest = latest_revision_dir(collection_path.parent)
    return True if latest is not None and latest != collection_path else None
