-- Review cases: what reviewers did with escalated runs, append-only.
-- A case is opened by its run (status 'escalated'); its id is the run's id, so opening a case
-- costs no write beyond the run's own. Claims, resolutions and webhook delivery attempts are
-- events here; no row of runs or review_events is ever updated.
CREATE TABLE review_events (
    id        TEXT    NOT NULL PRIMARY KEY,  -- ULID: sorts by time
    case_id   TEXT    NOT NULL REFERENCES runs (id),
    kind      TEXT    NOT NULL,              -- claim, resolve, delivery
    actor     TEXT,                          -- the reviewer's key name; NULL for deliveries
    at        REAL    NOT NULL,              -- unix epoch seconds
    data      TEXT    NOT NULL DEFAULT '{}'  -- JSON: the resolution, or one delivery attempt
);

CREATE INDEX review_events_case ON review_events (case_id, id);
-- Two reviewers cannot both resolve one case: the second insert fails.
CREATE UNIQUE INDEX review_events_one_resolution ON review_events (case_id) WHERE kind = 'resolve';
