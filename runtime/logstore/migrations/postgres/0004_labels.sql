-- Labels (production, staging...) per spec, every move of them, and the compiled revisions
-- they point at, so that every replica sharing this database serves the same revision.
-- A label row with revision NULL follows the latest revision (the state before any move).

CREATE TABLE spec_labels (
    spec        text        NOT NULL,
    label       text        NOT NULL,
    revision    integer,                         -- NULL: the latest revision
    updated_at  float8      NOT NULL,
    PRIMARY KEY (spec, label)
);

-- Append-only: a move is never updated or deleted.
CREATE TABLE label_moves (
    id            bigserial   PRIMARY KEY,
    spec          text        NOT NULL,
    label         text        NOT NULL,
    kind          text        NOT NULL,          -- promote | rollback
    from_revision integer,                       -- NULL: it followed the latest revision
    to_revision   integer,                       -- NULL: it follows the latest revision again
    served_before integer,                       -- the revision it resolved to before the move
    actor         text        NOT NULL,          -- API key id, or the OS user of the CLI
    reason        text        NOT NULL DEFAULT '',
    moved_at      float8      NOT NULL
);
CREATE INDEX label_moves_spec ON label_moves (spec, label, id);

-- One row; bumped by every move: replicas poll this cheap counter.
CREATE TABLE label_state (
    id       integer NOT NULL PRIMARY KEY CHECK (id = 1),
    version  bigint  NOT NULL
);
INSERT INTO label_state (id, version) VALUES (1, 0);

-- Compiled revisions, verified by their content hash: files is a JSON object name -> text.
CREATE TABLE revision_artifacts (
    spec            text        NOT NULL,
    revision        integer     NOT NULL,
    major           integer     NOT NULL,
    content_sha256  text        NOT NULL,
    files           text        NOT NULL,
    stored_at       float8      NOT NULL,
    PRIMARY KEY (spec, revision)
);
