"""How a ``--batch-api`` job is cut and what a restart reads back: chunks of at most the cap,
the recorded chunk first and alone after a restart, and records of the single-batch format
(before chunks) still resumed."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from specwright.runtime.cli.run_cmd import batch_caps, run
from specwright.runtime.engine.batch_api_run import JobBatches, chunks
from specwright.runtime.logstore.bulk import BatchState
from specwright.runtime.models.batch_api import CAPS, BatchCaps


def numbers(lines: list[int], size: int, resumed_last: int | None) -> list[tuple[list[int], bool]]:
    return [([n for n, _ in chunk], resumed)
            for chunk, resumed in chunks(iter((n, "{}") for n in lines), size, resumed_last)]


def test_lines_are_cut_into_chunks_of_at_most_the_cap() -> None:
    assert numbers(list(range(1, 8)), 3, None) == [([1, 2, 3], False), ([4, 5, 6], False),
                                                   ([7], False)]


def test_after_a_restart_the_recorded_chunk_comes_first_and_alone() -> None:
    # lines 1-2 were done; the recorded chunk ended at line 6; line 5 is done too
    remaining = [3, 4, 6, 7, 8, 9, 10]
    assert numbers(remaining, 3, 6) == [([3, 4, 6], True), ([7, 8, 9], False), ([10], False)]
    assert numbers([7, 8], 3, 6) == [([7, 8], False)]  # the recorded chunk was all done
    assert numbers([2, 3], 3, 6) == [([2, 3], True)]


def test_a_record_of_one_batch_for_the_whole_job_is_resumed() -> None:
    old = BatchState("anthropic", "msgbatch_1", {"lines": [1, 2, 5], "model": "m"})
    job = JobBatches.of(old, "m")
    assert job.chunk_last == 5 and job.batches == [("msgbatch_1", [1, 2, 5])]
    job.start_chunk(5, keep=True)
    assert job.batches == [("msgbatch_1", [1, 2, 5])]
    job.end_chunk(["msgbatch_1"])
    job.start_chunk(9, keep=False)
    state = job.state([("msgbatch_2", [6, 9])])
    assert state == BatchState("anthropic", "msgbatch_2", {
        "model": "m", "chunk_last": 9, "batches": [{"id": "msgbatch_2", "lines": [6, 9]}],
        "history": ["msgbatch_1"]})


def test_the_cap_options_lower_each_providers_own_caps_and_need_batch_api(tmp_path: Path) -> None:
    caps = batch_caps(100, None)
    assert caps("openai") == BatchCaps(100, CAPS["openai"].max_bytes)
    assert caps("anthropic") == BatchCaps(100, CAPS["anthropic"].max_bytes)
    assert batch_caps(10**9, 5)("openai") == BatchCaps(CAPS["openai"].max_requests, 5)
    src = tmp_path / "in.jsonl"
    src.write_text("{}\n")
    result = CliRunner().invoke(run, ["quote", "--input", str(src), "--project", str(tmp_path),
                                      "--batch-max-requests", "5"])
    assert result.exit_code == 2 and "go with --batch-api" in result.output
