-- Each attempt keeps the model's raw answer (capped, sensitive values redacted) and the
-- guardrail results of that answer (JSON text, like the answer: only Specwright reads it back).
ALTER TABLE attempts ADD COLUMN answer text;
ALTER TABLE attempts ADD COLUMN guardrails text;
