-- Caller and model data (input, output, error) are stored as json, not jsonb.
-- jsonb cannot hold the character U+0000 (PostgreSQL text cannot), so a valid request or a model
-- answer containing "\u0000" could not be logged, and a run that cannot be logged is never
-- acknowledged. json keeps the text exactly as written, escapes included; nothing queries
-- inside these columns, so jsonb's indexing is not needed. rule_trace and guardrails hold only
-- what Specwright itself writes and stay jsonb.
ALTER TABLE runs
    ALTER COLUMN input  TYPE json USING input::json,
    ALTER COLUMN output TYPE json USING output::json,
    ALTER COLUMN error  TYPE json USING error::json;
