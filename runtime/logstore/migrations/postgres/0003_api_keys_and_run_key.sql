-- API keys live in the log database when it is PostgreSQL, so every replica sharing it agrees
-- on which keys are active (a key file per host does not scale out). Only a key's SHA-256 is
-- stored, never the key. runs.key_id records which key made a run (its id, never the key).
CREATE TABLE IF NOT EXISTS api_keys (
    id              text             NOT NULL PRIMARY KEY,
    name            text             NOT NULL,
    role            text             NOT NULL CHECK (role IN ('admin', 'caller')),
    sha256          text             NOT NULL UNIQUE,
    prefix          text             NOT NULL,
    created_at      double precision NOT NULL,
    revoked_at      double precision,
    rate_per_minute integer
);
ALTER TABLE runs ADD COLUMN IF NOT EXISTS key_id text;
