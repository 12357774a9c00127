-- Cost controls (docs/models.md): prompt-cache writes per attempt, the answer cache, and the
-- day's use of each budget. Every replica sharing this database sees the same cache and budgets.

-- Prompt tokens an attempt wrote to the provider's prompt cache (Anthropic), part of
-- input_tokens and priced at the cache-write rate. NULL for attempts logged before.
ALTER TABLE attempts ADD COLUMN cache_write_tokens INTEGER;
-- A run answered from the answer cache: the id of the run whose answer it returned.
ALTER TABLE runs ADD COLUMN cached_from TEXT;

-- One recorded answer per (spec, revision, input): key is the SHA-256 of the three.
CREATE TABLE answer_cache (
    key         TEXT    NOT NULL PRIMARY KEY,
    spec        TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    run_id      TEXT    NOT NULL,              -- the run that produced the answer
    model       TEXT,                          -- "provider:model" that answered then
    output      TEXT    NOT NULL,              -- the answer, JSON text
    created_at  REAL    NOT NULL,
    expires_at  REAL    NOT NULL
);
CREATE INDEX answer_cache_expires ON answer_cache (expires_at);

-- Tokens and cost used per budget scope ("spec:<name>", "key:<id>") and UTC day.
CREATE TABLE budget_usage (
    scope       TEXT    NOT NULL,
    day         TEXT    NOT NULL,              -- YYYY-MM-DD, UTC
    tokens      INTEGER NOT NULL DEFAULT 0,
    cost_usd    REAL    NOT NULL DEFAULT 0,
    runs        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, day)
) WITHOUT ROWID;
