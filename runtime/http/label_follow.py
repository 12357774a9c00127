"""The server follows the labels in the log database: a label moved anywhere is served here
within ``POLL_S`` (docs/versioning.md).

Every ``POLL_S`` one thread of its own reads the one-row move counter (``label_state``); when it
changed, it reads the labels, loads any revision they point at that this server does not have
(from ``generated/``, else from the revisions stored in the database), and, back on the event
loop, swaps in a catalog with the new labels in one assignment, as hot reload does. A request
keeps the revision it resolved at its start, so a move fails no request. The database
connection lives on that one thread (SQLite connections must stay on theirs).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from fastapi import FastAPI

from specwright.runtime.engine.catalog import Catalog, Labels, LoadedRevision
from specwright.runtime.engine.labels import Places, load_target
from specwright.runtime.errors import LabelRefused, LogUnavailable
from specwright.runtime.http.calls import sync_routes
from specwright.runtime.http.state import ServerState
from specwright.runtime.logstore.labels import LabelDB, open_label_db

log = logging.getLogger("specwright.labels")

POLL_S = 0.5
T = TypeVar("T")


class LabelFollower:
    """Owns the label connection and its thread; ``refresh()`` applies the database's labels."""

    def __init__(self, app: FastAPI, state: ServerState) -> None:
        self.app, self.state = app, state
        settings, root = state.settings, state.root
        self.places = Places(settings.path(root, settings.generated_dir),
                             settings.path(root, settings.data_dir) / "revisions")
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="specwright-labels")
        self._db: LabelDB | None = None
        self._seen: int | None = None
        self._lock = asyncio.Lock()

    async def run(self, fn: Callable[[LabelDB], T]) -> T:
        """``fn(db)`` on the label thread (opening the database on first use)."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._call, fn)

    def _call(self, fn: Callable[[LabelDB], T]) -> T:
        if self._db is None:
            try:
                self._db = open_label_db(self.state.settings, self.state.root)
            except LogUnavailable:
                raise
            except Exception as exc:  # noqa: BLE001 - any driver error: the database is not there
                raise LogUnavailable(f"the label database cannot be opened: "
                                     f"{type(exc).__name__}") from None
        assert self._db is not None  # create=True: always a database
        try:
            return fn(self._db)
        except self._db.db_errors as exc:
            raise LogUnavailable(f"the label database failed: {type(exc).__name__}") from None

    async def refresh(self, *, force: bool = False) -> bool:
        """Apply the labels when the move counter changed (or ``force``); True when applied."""
        async with self._lock:
            version = await self.run(lambda db: db.version())
            if version == self._seen and not force:
                return False
            catalog = self.state.catalog
            labels, extra = await self.run(lambda db: self._read(db, catalog))
            self.state.catalog = self.state.catalog.with_labels(labels, extra)  # the swap
            sync_routes(self.app, self.state.catalog)
            self._seen = version
            return True

    def _read(self, db: LabelDB, catalog: Catalog) -> tuple[Labels, dict[str, list[LoadedRevision]]]:
        labels = db.labels()
        extra: dict[str, list[LoadedRevision]] = {}
        for spec, by_label in labels.items():
            entry = catalog.specs.get(spec)
            have = {r.revision for r in entry.revisions} if entry is not None else set()
            for label, revision in by_label.items():
                if revision is None or revision in have:
                    continue
                try:
                    extra.setdefault(spec, []).append(
                        load_target(db, self.places, spec, revision, store=False))
                    have.add(revision)
                except LabelRefused as exc:
                    log.error('label "%s" of %s points at r%d, which cannot be served here: %s',
                              label, spec, revision, exc.message)
        return labels, extra

    async def follow(self, poll_s: float = POLL_S) -> None:
        """Runs until cancelled; a failed poll is logged and retried (serving goes on)."""
        while True:
            await asyncio.sleep(poll_s)
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading the labels failed; serving the labels read before")

    async def close(self) -> None:
        def shut(db: LabelDB) -> None:
            db.close()

        if self._db is not None:
            await self.run(shut)
            self._db = None
        self._pool.shutdown(wait=True)


def actor_of(key: Any) -> str:
    """Who moved a label over HTTP: the API key id, or the open (loopback) server."""
    return str(getattr(key, "id", None) or "open-server")
