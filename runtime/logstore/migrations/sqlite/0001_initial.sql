-- Execution log, initial schema (SQLite).
-- One row per run; totals (tokens, cost) are denormalized for fast listing.
-- JSON columns hold JSON text; timestamps are unix epoch seconds (REAL).

CREATE TABLE runs (
    id            TEXT    NOT NULL PRIMARY KEY,  -- ULID: sorts by creation time
    spec          TEXT    NOT NULL,
    revision      INTEGER NOT NULL,
    major         INTEGER NOT NULL,
    created_at    REAL    NOT NULL,
    status        TEXT    NOT NULL,
    latency_ms    REAL    NOT NULL,
    model         TEXT,                          -- "provider:model" that produced the answer
    mock          INTEGER NOT NULL DEFAULT 0,
    input_tokens  INTEGER NOT NULL DEFAULT 0,    -- summed over attempts
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd      REAL,                          -- NULL when any attempt's price is unknown
    attempt_count INTEGER NOT NULL DEFAULT 0,
    input         TEXT,
    output        TEXT,
    error         TEXT,
    rule_trace    TEXT    NOT NULL DEFAULT '[]',
    guardrails    TEXT    NOT NULL DEFAULT '[]'
);

CREATE INDEX runs_spec_id ON runs (spec, id);
CREATE INDEX runs_status_id ON runs (status, id);
CREATE INDEX runs_created_at ON runs (created_at);

CREATE TABLE attempts (
    run_id        TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,              -- 0, 1, 2... in the order they were made
    provider      TEXT    NOT NULL,
    model         TEXT    NOT NULL,
    purpose       TEXT    NOT NULL,
    started_at    REAL    NOT NULL,
    latency_ms    REAL    NOT NULL,
    status        TEXT    NOT NULL,
    input_tokens  INTEGER,
    output_tokens INTEGER,
    cached_tokens INTEGER,
    cost_usd      REAL,                          -- NULL: price unknown (never 0 for unknown)
    error_class   TEXT,
    error         TEXT,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
