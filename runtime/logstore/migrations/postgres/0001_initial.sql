-- Execution log, initial schema (PostgreSQL).
-- One row per run; totals (tokens, cost) are denormalized for fast listing.

CREATE TABLE runs (
    id            text COLLATE "C" NOT NULL PRIMARY KEY,  -- ULID: sorts by creation time
    spec          text             NOT NULL,
    revision      integer          NOT NULL,
    major         integer          NOT NULL,
    created_at    timestamptz      NOT NULL,
    status        text             NOT NULL,
    latency_ms    double precision NOT NULL,
    model         text,                                   -- "provider:model" that answered
    mock          boolean          NOT NULL DEFAULT false,
    input_tokens  bigint           NOT NULL DEFAULT 0,    -- summed over attempts
    output_tokens bigint           NOT NULL DEFAULT 0,
    cost_usd      double precision,                       -- NULL when any price is unknown
    attempt_count integer          NOT NULL DEFAULT 0,
    input         jsonb,
    output        jsonb,
    error         jsonb,
    rule_trace    jsonb            NOT NULL DEFAULT '[]',
    guardrails    jsonb            NOT NULL DEFAULT '[]'
);

CREATE INDEX runs_spec_id ON runs (spec, id);
CREATE INDEX runs_status_id ON runs (status, id);
CREATE INDEX runs_created_at ON runs (created_at);

CREATE TABLE attempts (
    run_id        text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq           integer          NOT NULL,              -- 0, 1, 2... in order made
    provider      text             NOT NULL,
    model         text             NOT NULL,
    purpose       text             NOT NULL,
    started_at    timestamptz      NOT NULL,
    latency_ms    double precision NOT NULL,
    status        text             NOT NULL,
    input_tokens  bigint,
    output_tokens bigint,
    cached_tokens bigint,
    cost_usd      double precision,                       -- NULL: price unknown
    error_class   text,
    error         text,
    PRIMARY KEY (run_id, seq)
);
