-- Webhook deliveries of review resolutions, durable: one row per resolved case whose spec has a
-- webhook, written in the same transaction as the resolution. The attempts themselves stay
-- append-only review_events (kind 'delivery'); this row is the queue's state: how many attempts
-- were made, when the next is due, whether it is finished (acknowledged or given up), and which
-- server is making an attempt right now (a lease: held until lease_until, then anyone's).
CREATE TABLE webhook_deliveries (
    case_id     TEXT    NOT NULL PRIMARY KEY,  -- the resolved case (its run's id)
    spec        TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    due_at      REAL    NOT NULL,              -- unix epoch seconds
    done        INTEGER NOT NULL DEFAULT 0,    -- 1: acknowledged, or max_attempts reached
    holder      TEXT,                          -- the server holding the lease
    lease_until REAL    NOT NULL DEFAULT 0
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE done = 0;
