"""Labels and the revisions they point at, in the log database (migration 0004).

Why the log database: every replica of a server already shares it (SQLite for one machine,
PostgreSQL for many), so a label moved by one process is seen by all of them. Access is
synchronous and short (one small transaction per call): the CLI calls it directly and the server
from a worker thread, never on the event loop.

* ``spec_labels``: (spec, label) -> revision; NULL follows the latest revision.
* ``label_moves``: append-only history (who, when, from, to, why).
* ``label_state``: one counter bumped by every move; servers poll it (a one-row read).
* ``revision_artifacts``: the files of a compiled revision, so a replica without the revision
  directory on disk can still load it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from specwright.runtime.errors import ConcurrentMove
from specwright.runtime.logstore import open_store, sqlite_path

if TYPE_CHECKING:
    from specwright.runtime.config import Settings

MoveKind = Literal["promote", "rollback"]


@dataclass(frozen=True, slots=True)
class LabelMove:
    id: int
    spec: str
    label: str
    kind: MoveKind
    from_revision: int | None  # None: the label followed the latest revision
    to_revision: int | None  # None: it follows the latest revision again
    served_before: int | None  # the revision callers got before the move
    actor: str
    reason: str
    moved_at: float


@dataclass(frozen=True, slots=True)
class StoredRevision:
    spec: str
    revision: int
    major: int
    content_sha256: str
    files: Mapping[str, bytes]


_MOVE_COLUMNS = ("id, spec, label, kind, from_revision, to_revision, served_before, actor, "
                 "reason, moved_at")


class LabelDB:
    """One connection to the log database; ``close()`` when done. Not thread-safe: one per
    thread (the server's label follower owns one)."""

    def __init__(self, conn: Any, backend: str,
                 db_errors: tuple[type[BaseException], ...] = ()) -> None:
        self.conn = conn
        self.backend = backend
        self.db_errors = db_errors  # what the driver raises: reported as LogUnavailable
        self._p = "?" if backend == "sqlite" else "%s"

    def close(self) -> None:
        self.conn.close()

    def _sql(self, text: str) -> str:
        return text.replace("?", self._p)

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cur = self.conn.execute(self._sql(sql), params)
        return list(cur.fetchall())

    def version(self) -> int:
        """The move counter (cheap: one row)."""
        rows = self._rows("SELECT version FROM label_state WHERE id = 1")
        return int(rows[0][0]) if rows else 0

    def labels(self, spec: str | None = None) -> dict[str, dict[str, int | None]]:
        """spec -> label -> revision (None: follows the latest)."""
        sql = "SELECT spec, label, revision FROM spec_labels"
        rows = self._rows(sql + " WHERE spec = ?", (spec,)) if spec else self._rows(sql)
        out: dict[str, dict[str, int | None]] = {}
        for name, label, revision in rows:
            out.setdefault(name, {})[label] = None if revision is None else int(revision)
        return out

    def history(self, spec: str, label: str | None = None) -> list[LabelMove]:
        """Every move of the spec's labels (of one label), oldest first."""
        sql = f"SELECT {_MOVE_COLUMNS} FROM label_moves WHERE spec = ?"
        params: tuple[Any, ...] = (spec,)
        if label is not None:
            sql, params = sql + " AND label = ?", (spec, label)
        return [_move(row) for row in self._rows(sql + " ORDER BY id", params)]

    def move(self, spec: str, label: str, to_revision: int | None, *, kind: MoveKind,
             served_before: int | None, actor: str, reason: str,
             expected: tuple[bool, int | None] | None = None) -> LabelMove:
        """Point ``label`` at ``to_revision`` and record the move, in one transaction.

        ``expected``: (label existed, its revision) as the caller read it; when the label moved
        in between, ``ConcurrentMove`` is raised and nothing changes."""
        now = time.time()
        with self._transaction():
            current = self._rows_in_tx(
                "SELECT revision FROM spec_labels WHERE spec = ? AND label = ?", (spec, label))
            before = (bool(current), current[0][0] if current else None)
            if expected is not None and before != expected:
                raise ConcurrentMove(f'label "{label}" of {spec} moved meanwhile; try again')
            if current:
                self._exec("UPDATE spec_labels SET revision = ?, updated_at = ? "
                           "WHERE spec = ? AND label = ?", (to_revision, now, spec, label))
            else:
                self._exec("INSERT INTO spec_labels (spec, label, revision, updated_at) "
                           "VALUES (?, ?, ?, ?)", (spec, label, to_revision, now))
            self._exec("INSERT INTO label_moves (spec, label, kind, from_revision, to_revision,"
                       " served_before, actor, reason, moved_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (spec, label, kind, before[1], to_revision, served_before, actor, reason,
                        now))
            self._exec("UPDATE label_state SET version = version + 1 WHERE id = 1")
            row = self._rows_in_tx(f"SELECT {_MOVE_COLUMNS} FROM label_moves WHERE spec = ? "
                                   "AND label = ? ORDER BY id DESC LIMIT 1", (spec, label))
        return _move(row[0])

    def put_revision(self, stored: StoredRevision) -> None:
        """Store a revision's files (once; a second store of the same content is a no-op)."""
        files = json.dumps({k: v.decode("utf-8") for k, v in sorted(stored.files.items())})
        with self._transaction():
            found = self._rows_in_tx("SELECT content_sha256 FROM revision_artifacts "
                                     "WHERE spec = ? AND revision = ?",
                                     (stored.spec, stored.revision))
            if found:
                if found[0][0] != stored.content_sha256:
                    raise ConcurrentMove(
                        f"{stored.spec} r{stored.revision} is stored with other content "
                        f"({found[0][0][:12]}); two projects compiled different revisions "
                        "under one number: compile in one place and share generated/")
                return
            self._exec("INSERT INTO revision_artifacts (spec, revision, major, content_sha256,"
                       " files, stored_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (stored.spec, stored.revision, stored.major, stored.content_sha256,
                        files, time.time()))

    def get_revision(self, spec: str, revision: int) -> StoredRevision | None:
        rows = self._rows("SELECT major, content_sha256, files FROM revision_artifacts "
                          "WHERE spec = ? AND revision = ?", (spec, revision))
        if not rows:
            return None
        major, digest, files = rows[0]
        decoded = {k: v.encode("utf-8") for k, v in json.loads(files).items()}
        return StoredRevision(spec, revision, int(major), str(digest), decoded)

    def stored_revisions(self, spec: str) -> list[int]:
        return [int(r) for (r,) in self._rows(
            "SELECT revision FROM revision_artifacts WHERE spec = ? ORDER BY revision", (spec,))]

    # -- transactions, the same on both backends
    def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self.conn.execute(self._sql(sql), params)

    def _rows_in_tx(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(self._sql(sql), params).fetchall())

    def _transaction(self) -> Any:
        if self.backend == "postgres":
            return self.conn.transaction()
        return _SQLiteTransaction(self.conn)


class _SQLiteTransaction:
    """BEGIN IMMEDIATE ... COMMIT (the connection is in autocommit mode)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")


def _move(row: tuple[Any, ...]) -> LabelMove:
    mid, spec, label, kind, frm, to, before, actor, reason, at = row
    return LabelMove(int(mid), str(spec), str(label), kind, frm, to, before, str(actor),
                     str(reason or ""), float(at))


def open_label_db(settings: Settings, root: Path, *, create: bool = True) -> LabelDB | None:
    """The project's log database, migrated; None when it is SQLite, does not exist yet and
    ``create`` is False (nothing was ever promoted: every label follows the latest)."""
    if not settings.database_url and not create and not sqlite_path(settings, root).exists():
        return None
    store: Any = open_store(settings, root, writer="thread")
    conn = store.connect_writer()
    try:
        store.migrate(conn)
        if store.backend == "postgres":
            conn.commit()
            conn.autocommit = True  # each read sees the latest commits; writes use transaction()
    except BaseException:
        conn.close()
        raise
    return LabelDB(conn, store.backend, tuple(store.db_errors))

