-- Bulk runs (specwright run): which lines of an input file are done, so an interrupted run
-- resumes where it stopped, and the provider batch a run submitted, so a restart collects it
-- instead of submitting again. A job is one input file's content run through one spec major.
CREATE TABLE bulk_jobs (
    job            text    NOT NULL PRIMARY KEY,  -- sha256 of spec, major and the file's bytes
    spec           text    NOT NULL,
    input_path     text    NOT NULL,              -- as given when the job started
    lines          integer NOT NULL,              -- non-blank lines of the file
    created_at     float8  NOT NULL,
    batch_provider text,                          -- provider batch API used, if any
    batch_id       text,
    batch_state    text,                          -- JSON: what a restart needs to resume
    updated_at     float8  NOT NULL
);

CREATE TABLE bulk_lines (
    job      text    NOT NULL,
    line     integer NOT NULL,                    -- 1-based line number in the input file
    run_id   text,                                -- NULL: the line was not JSON (no run)
    status   text    NOT NULL,                    -- the run's status
    done_at  float8  NOT NULL,
    PRIMARY KEY (job, line)
);
