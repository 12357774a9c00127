"""The bulk-run tables (migration 0007) on both backends: done lines and a recorded batch."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from specwright.runtime.config import Settings
from specwright.runtime.logstore.bulk import BatchState, DoneLine, job_id, open_bulk_db


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest) -> Settings:
    if request.param == "postgres":
        return Settings(database_url=request.getfixturevalue("pg_url"))  # a fresh schema
    return Settings()


def test_lines_and_batches_round_trip(settings: Settings, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(f'{{"run": "{uuid.uuid4()}"}}\n')
    job = job_id("triage", 1, src)
    assert job != job_id("triage", 2, src) and job != job_id("other", 1, src)
    db = open_bulk_db(settings, tmp_path)
    try:
        db.start(job, "triage", str(src), 3)
        db.start(job, "triage", "moved.jsonl", 3)  # a resumed job keeps its first record
        assert db.done(job) == {}
        db.mark(job, [DoneLine(1, "r1", "ok"), DoneLine(2, None, "invalid_json")])
        db.mark(job, [DoneLine(1, "r9", "model_error")])  # done again: the latest run
        assert db.done(job) == {1: DoneLine(1, "r9", "model_error"),
                                2: DoneLine(2, None, "invalid_json")}
        assert db.batch(job) is None
        db.set_batch(job, BatchState("openai", "batch_1", {"ids": [1, 2], "status": "sent"}))
        assert db.batch(job) == BatchState("openai", "batch_1", {"ids": [1, 2], "status": "sent"})
        db.set_batch(job, None)
        assert db.batch(job) is None
    finally:
        db.close()
