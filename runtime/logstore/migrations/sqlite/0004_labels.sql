-- Labels (production, staging...) per spec, every move of them, and the compiled revisions
-- they point at, so that every process sharing this database serves the same revision.
-- A label row with revision NULL follows the latest revision (the state before any move).

CREATE TABLE spec_labels (
    spec        TEXT    NOT NULL,
    label       TEXT    NOT NULL,
    revision    INTEGER,                        -- NULL: the latest revision
    updated_at  REAL    NOT NULL,
    PRIMARY KEY (spec, label)
);

-- Append-only: a move is never updated or deleted.
CREATE TABLE label_moves (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    spec          TEXT    NOT NULL,
    label         TEXT    NOT NULL,
    kind          TEXT    NOT NULL,             -- promote | rollback
    from_revision INTEGER,                      -- NULL: it followed the latest revision
    to_revision   INTEGER,                      -- NULL: it follows the latest revision again
    served_before INTEGER,                      -- the revision it resolved to before the move
    actor         TEXT    NOT NULL,             -- API key id, or the OS user of the CLI
    reason        TEXT    NOT NULL DEFAULT '',
    moved_at      REAL    NOT NULL
);
CREATE INDEX label_moves_spec ON label_moves (spec, label, id);

-- One row; bumped by every move: servers poll this cheap counter.
CREATE TABLE label_state (
    id       INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    version  INTEGER NOT NULL
);
INSERT INTO label_state (id, version) VALUES (1, 0);

-- Compiled revisions, verified by their content hash: files is a JSON object name -> text.
CREATE TABLE revision_artifacts (
    spec            TEXT    NOT NULL,
    revision        INTEGER NOT NULL,
    major           INTEGER NOT NULL,
    content_sha256  TEXT    NOT NULL,
    files           TEXT    NOT NULL,
    stored_at       REAL    NOT NULL,
    PRIMARY KEY (spec, revision)
);
