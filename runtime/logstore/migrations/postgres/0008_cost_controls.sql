-- Cost controls (docs/models.md): prompt-cache writes per attempt, the answer cache, and the
-- day's use of each budget. Every replica sharing this database sees the same cache and budgets.

-- Prompt tokens an attempt wrote to the provider's prompt cache (Anthropic), part of
-- input_tokens and priced at the cache-write rate. NULL for attempts logged before.
ALTER TABLE attempts ADD COLUMN cache_write_tokens bigint;
-- A run answered from the answer cache: the id of the run whose answer it returned.
ALTER TABLE runs ADD COLUMN cached_from text;

-- One recorded answer per (spec, revision, input): key is the SHA-256 of the three.
CREATE TABLE answer_cache (
    key         text COLLATE "C" NOT NULL PRIMARY KEY,
    spec        text             NOT NULL,
    revision    integer          NOT NULL,
    run_id      text             NOT NULL,     -- the run that produced the answer
    model       text,                          -- "provider:model" that answered then
    output      text             NOT NULL,     -- the answer, JSON text
    created_at  float8           NOT NULL,
    expires_at  float8           NOT NULL
);
CREATE INDEX answer_cache_expires ON answer_cache (expires_at);

-- Tokens and cost used per budget scope ("spec:<name>", "key:<id>") and UTC day.
CREATE TABLE budget_usage (
    scope       text             NOT NULL,
    day         text             NOT NULL,     -- YYYY-MM-DD, UTC
    tokens      bigint           NOT NULL DEFAULT 0,
    cost_usd    double precision NOT NULL DEFAULT 0,
    runs        bigint           NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, day)
);
