"""``specwright logs`` on both backends (sync tests: the command runs its own event loop)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from specwright.runtime.cli.logs_cmd import logs
from specwright.runtime.config import load_settings
from specwright.runtime.logstore import LogStore, open_store
from specwright.runtime.logstore.threaded import ThreadedLogStore
from specwright.runtime.records import Attempt, RunRecord

MakeRun = Callable[..., RunRecord]


def write_all(store: LogStore, runs: list[RunRecord]) -> None:
    async def go() -> None:
        await store.start()
        try:
            for run in runs:
                await store.write(run)
        finally:
            await store.close()

    asyncio.run(go())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "specwright.toml").write_text('data_dir = "data"\n', encoding="utf-8")
    return tmp_path


@pytest.fixture
def invoke(backend: str, location: str, project: Path) -> Callable[..., Result]:
    env = {"SPECWRIGHT_DATABASE_URL": location if backend == "postgres" else ""}

    def run(*args: str) -> Result:
        return CliRunner().invoke(logs, [*args, "--project", str(project)], env=env)

    return run


@pytest.fixture
def three_runs(make_store: Callable[..., LogStore], make_run: MakeRun) -> list[RunRecord]:
    runs = [
        make_run(spec="returns", created_at=1_718_000_000.123, latency_ms=1234.56),
        make_run(
            spec="carrier-selection",
            status="model_error",
            model=None,
            output=None,
            attempts=(Attempt("openai", "gpt-x", "call", 1.0, 3.0, "error", cost_usd=None),),
        ),
        make_run(spec="carrier-selection", revision=12, attempts=()),
    ]
    write_all(make_store(), runs)
    return runs


def test_table_is_aligned_newest_first(
    invoke: Callable[..., Result], three_runs: list[RunRecord]
) -> None:
    result = invoke()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 4
    assert lines[0].split() == [
        "id",
        "time",
        "(UTC)",
        "spec",
        "rev",
        "status",
        "latency",
        "ms",
        "model",
        "cost",
        "$",
    ]
    assert [line.split()[0] for line in lines[1:]] == [r.id for r in reversed(three_runs)]
    returns = lines[3].split()
    assert returns[1:5] == ["2024-06-10T06:13:20.123Z", "returns", "3", "ok"]
    assert returns[5:] == ["1234.6", "openai:gpt-4o-mini", "0.000147"]
    assert lines[2].split()[-2:] == ["-", "unknown"]  # no model, price unknown
    assert lines[1].split()[-1] == "0.000000"  # decided by tables alone: free
    # Columns line up: each header starts where its column starts in every row.
    spec_col = lines[0].index("spec")
    assert all(line[spec_col - 2 : spec_col] == "  " and line[spec_col] != " " for line in lines)
    rev_end = lines[0].index("rev") + len("rev")  # numbers are right-aligned under "rev"
    assert [line[rev_end - 3 : rev_end] for line in lines[1:]] == [" 12", "  3", "  3"]


def test_filters_and_limit(invoke: Callable[..., Result], three_runs: list[RunRecord]) -> None:
    by_spec = invoke("--spec", "carrier-selection").output.splitlines()
    assert [line.split()[0] for line in by_spec[1:]] == [three_runs[2].id, three_runs[1].id]
    by_status = invoke("--status", "model_error").output.splitlines()
    assert [line.split()[0] for line in by_status[1:]] == [three_runs[1].id]
    assert len(invoke("-n", "1").output.splitlines()) == 2
    assert invoke("--spec", "nothing").output.strip() == "no runs match"
    bad = invoke("--status", "fine")
    assert bad.exit_code == 2 and "fine" in bad.output


def test_json_lines_are_full_records(
    invoke: Callable[..., Result], three_runs: list[RunRecord]
) -> None:
    result = invoke("--json")
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["id"] for r in records] == [r.id for r in reversed(three_runs)]
    first = records[2]
    assert first["input"] == three_runs[0].input and first["created_at"] == three_runs[0].created_at
    assert first["attempts"][0]["input_tokens"] == 812 and first["cost_usd"] == 0.000147
    assert records[1]["cost_usd"] is None and records[1]["attempts"][0]["status"] == "error"


def test_without_a_log_yet(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        logs, ["--project", str(tmp_path)], env={"SPECWRIGHT_DATABASE_URL": ""}
    )
    assert result.exit_code == 0 and result.output.startswith("no runs logged yet")
    assert not (tmp_path / ".specwright").exists()  # looking does not create a database


@pytest.mark.parametrize(
    ("config", "data", "expected"),
    [
        ('database_url = "mysql://db/x"\n', None, "unsupported database URL scheme 'mysql'"),
        ('data_dir = "data"\n', b"this is not a database" * 100, "file is not a database"),
        ("data_dir = [\n", None, "not valid TOML"),
        ('log_writer = "fork"\n', None, "log_writer: Input should be 'process' or 'thread'"),
    ],
)
def test_errors_are_one_clear_line(
    tmp_path: Path, config: str, data: bytes | None, expected: str
) -> None:
    (tmp_path / "specwright.toml").write_text(config, encoding="utf-8")
    if data is not None:
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "runs.sqlite3").write_bytes(data)
    result = CliRunner().invoke(
        logs, ["--project", str(tmp_path)], env={"SPECWRIGHT_DATABASE_URL": ""}
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and expected in lines[0], (
        result.output
    )
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("config", "expected"), [("", "process"), ('log_writer = "thread"\n', "thread")]
)
def test_the_server_commits_in_a_writer_process_unless_told_otherwise(
    tmp_path: Path, config: str, expected: str
) -> None:
    (tmp_path / "specwright.toml").write_text(config, encoding="utf-8")
    settings = load_settings(tmp_path, {})
    store = open_store(settings, tmp_path)
    assert isinstance(store, ThreadedLogStore) and store.writer_mode == expected
    reader = open_store(settings, tmp_path, writer="thread")  # what `specwright logs` opens
    assert isinstance(reader, ThreadedLogStore) and reader.writer_mode == "thread"
