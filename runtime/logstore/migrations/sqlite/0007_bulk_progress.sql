-- Bulk runs (specwright run): which lines of an input file are done, so an interrupted run
-- resumes where it stopped, and the provider batch a run submitted, so a restart collects it
-- instead of submitting again. A job is one input file's content run through one spec major.
CREATE TABLE bulk_jobs (
    job           TEXT    NOT NULL PRIMARY KEY,   -- sha256 of spec, major and the file's bytes
    spec          TEXT    NOT NULL,
    input_path    TEXT    NOT NULL,               -- as given when the job started
    lines         INTEGER NOT NULL,               -- non-blank lines of the file
    created_at    REAL    NOT NULL,
    batch_provider TEXT,                          -- provider batch API used, if any
    batch_id      TEXT,
    batch_state   TEXT,                           -- JSON: what a restart needs to resume
    updated_at    REAL    NOT NULL
);

CREATE TABLE bulk_lines (
    job      TEXT    NOT NULL,
    line     INTEGER NOT NULL,                    -- 1-based line number in the input file
    run_id   TEXT,                                -- NULL: the line was not JSON (no run)
    status   TEXT    NOT NULL,                    -- the run's status
    done_at  REAL    NOT NULL,
    PRIMARY KEY (job, line)
);
