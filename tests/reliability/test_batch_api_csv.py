"""``specwright run --batch-api`` over a real CSV export (``shared/data/orders``): only the rows
whose cells fit the spec are submitted, each row answered and logged once, and the job (the
file and its column mapping) is recorded so the same command resumes it."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from rel_support import KEYS, compile_here, make_project

from specwright.runtime.config import load_settings
from specwright.runtime.engine.batch_api_run import run_batch_api
from specwright.runtime.engine.input_source import InputOptions
from specwright.runtime.fakeserver import FakeConfig, FakeServerThread
from specwright.runtime.logstore import RunQuery, open_store
from specwright.runtime.models.rate_limits import LIMITERS

SHIPMENTS = (Path(__file__).resolve().parents[2].parent / "shared" / "data" / "orders"
             / "usaid_scms_shipments_sample_1000.csv")
WEIGHT = "Weight (Kilograms)"
MAPPING = InputOptions(
    columns=(("order_id", "ID"), ("weight_kg", WEIGHT), ("declared_value", "Line Item Value")),
    constants=(("destination_country", "US"), ("promised_days", "5")))


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    LIMITERS.clear()


async def test_a_csv_file_through_a_provider_batch(tmp_path: Path) -> None:
    with SHIPMENTS.open(encoding="utf-8-sig", newline="") as fh:
        weights = [row[WEIGHT] for row in csv.DictReader(fh)]
    fits = sum(1 for w in weights if re.fullmatch(r"\d+(\.\d+)?", w) and 0 < float(w) <= 70)
    with FakeServerThread(FakeConfig()) as fake:
        root = make_project(tmp_path / "proj", fake.url)
        spec = root / "specs" / "carrier-selection.md"
        spec.write_text(spec.read_text().replace(
            "  - anthropic:claude-haiku-4-5\n  - openai:gpt-4.1-mini\n",
            "  - openai:gpt-4.1-mini\n"), encoding="utf-8")
        compile_here(root)
        settings = load_settings(root)
        out = io.StringIO()
        summary = await run_batch_api(settings, root, "carrier-selection", SHIPMENTS, out,
                                      poll_s=0.01, options=MAPPING)
        stats = fake.stats()
        again = await run_batch_api(settings, root, "carrier-selection", SHIPMENTS,
                                    io.StringIO(), poll_s=0.01, options=MAPPING)
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(rows) == len({r["line"] for r in rows}) == len(weights) == 1000
    assert summary.ok == fits and summary.failed == 1000 - fits
    assert {r["status"] for r in rows if r["status"] != "ok"} == {"invalid_input"}
    # one batch of the rows that fit: a 422 row never reaches the model
    assert stats["batches_created"] == 1 and stats["requests"] == fits
    assert again.total == 0 and again.skipped == 1000  # the same job: nothing runs again
    async with open_store(settings, root) as store:
        page = await store.query(RunQuery(spec="carrier-selection", limit=1000))
    assert len({r.id for r in page.runs}) == 1000
