-- Which API key made a run: its id, never the key. NULL for a keyless run (an open server on
-- loopback) and for runs logged before this column existed.
ALTER TABLE runs ADD COLUMN key_id TEXT;
