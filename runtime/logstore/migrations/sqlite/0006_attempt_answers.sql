-- Each attempt keeps the model's raw answer (capped, sensitive values redacted) and the
-- guardrail results of that answer (JSON text), so the log can explain a rejected answer.
ALTER TABLE attempts ADD COLUMN answer TEXT;
ALTER TABLE attempts ADD COLUMN guardrails TEXT;
