"""``specwright run`` over real CSV exports (``shared/data/orders``, rows nobody here wrote):
every row answered once and logged once, messy cells answered as located 422s by the spec's
own validation, and an interrupted CSV run resumed after the rows it logged."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from specwright.runtime.cli import main
from specwright.runtime.config import Settings
from specwright.runtime.engine.batch import LineResult, run_batch
from specwright.runtime.engine.input_source import InputOptions
from specwright.runtime.logstore import RunQuery, open_store

pytestmark = pytest.mark.usefixtures("no_provider_keys")

ORDERS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "orders"
SHIPMENTS = ORDERS / "usaid_scms_shipments_sample_1000.csv"
RETAIL = ORDERS / "uci_online_retail_sample_149rows.csv"
WEIGHT = "Weight (Kilograms)"
RETAIL_MAPPING = InputOptions(
    columns=(("order_id", "InvoiceNo"), ("item_count", "Quantity"), ("order_total", "UnitPrice")),
    constants=(("payment_status", "authorized"), ("shipping_country", "GB"),
               ("address_verified", "yes"), ("fraud_score", "10")))


INTAKE_SPEC = """\
---
name: shipment-intake
title: Shipment intake
owner: test
---

# Shipment intake

Sort a delivered shipment by how it travelled.

## Input

| field              | type   | constraints      | description                 |
|--------------------|--------|------------------|-----------------------------|
| shipment_id        | text   | 1..40 characters | Shipment number             |
| country            | text   | 1..80 characters | Destination country         |
| shipment_mode      | text   | max 40 characters | How it travelled           |
| weight_kg          | number | > 0              | Weight in kilograms         |
| scheduled_delivery | date   |                  | The promised delivery date  |
| delivered          | date   |                  | The day it was delivered    |

## Output

- handling (one of: air, surface): How it travelled

## Decision: handling

| shipment_mode        | handling |
|----------------------|----------|
| "Air", "Air Charter" | air      |
| -                    | surface  |

## Examples

### By air

```json
{"input":  {"shipment_id": "4", "country": "Vietnam", "shipment_mode": "Air", "weight_kg": 171,
            "scheduled_delivery": "2006-08-27", "delivered": "2006-08-27"},
 "output": {"handling": "air"}}
```
"""
INTAKE_ARGS = ["--column", "shipment_id=ID", "--column", f"weight_kg={WEIGHT}",
               "--column", "delivered=Delivered to Client Date", "--no-progress"]


@pytest.fixture
def intake_project(tmp_path: Path) -> Path:
    """A rules-only spec whose Input holds a shipment export's columns, dates included."""
    from specwright.runtime.project.compile_all import compile_project

    root = tmp_path / "intake"
    (root / "specs").mkdir(parents=True)
    (root / "specs" / "shipment-intake.md").write_text(INTAKE_SPEC, encoding="utf-8")
    result = compile_project(root, Settings(), write=True)
    assert not [str(d) for o in result.outcomes for d in o.errors]
    return root


def _rows(path: Path) -> dict[int, dict[str, str]]:
    """The file's rows by the line each starts on, read here independently of the runtime."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        out, start = {}, 2
        for row in reader:
            out[start] = row
            start = reader.line_num + 1
        return out


async def _logged(project: Path, spec: str) -> list[str]:
    ids: list[str] = []
    async with open_store(Settings(), project) as store:
        cursor = None
        while True:
            page = await store.query(RunQuery(spec=spec, limit=500, cursor=cursor))
            ids += [r.id for r in page.runs]
            cursor = page.next_cursor
            if not cursor:
                return ids


def test_a_thousand_real_shipments_every_messy_weight_a_located_422(
        example_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    args = ["run", "carrier-selection", "--input", str(SHIPMENTS), "--mock", "--no-progress",
            "--output", str(out), "--project", str(example_project),
            "--column", "order_id=ID", "--column", f"weight_kg={WEIGHT}",
            "--column", "declared_value=Line Item Value",
            "--set", "destination_country=US", "--set", "promised_days=5"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1, r.output  # some rows failed: exit 1, and the batch went on
    results = {row["line"]: row for row in map(json.loads, out.read_text().splitlines())}
    rows = _rows(SHIPMENTS)
    assert len(rows) == 1000 and sorted(results) == sorted(rows)  # every row answered once
    messy = {n for n, row in rows.items() if not re.fullmatch(r"-?\d+(\.\d+)?", row[WEIGHT])}
    heavy = {n for n, row in rows.items() if n not in messy and float(row[WEIGHT]) > 70}
    assert messy and heavy  # the sample holds both kinds
    refused = {n for n, row in results.items() if row["status"] == "invalid_input"}
    assert refused == messy | heavy
    for n in refused:
        details = results[n]["error"]["details"]
        assert [d["loc"] for d in details] == [["body", "weight_kg"]], results[n]
        assert ("valid number" in details[0]["msg"]) == (n in messy)
    assert all(results[n]["status"] == "ok" for n in set(rows) - refused)
    assert "1000 lines: " in r.output and f"{len(refused)} failed" in r.output
    ids = asyncio.run(_logged(example_project, "carrier-selection"))
    assert len(ids) == len(set(ids)) == 1000  # every row logged once, the 422s too
    assert set(ids) == {row["run_id"] for row in results.values()}


def test_real_shipments_dates_read_by_format_and_the_422s_are_the_messy_weights(
        intake_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    r = CliRunner().invoke(main, [
        "run", "shipment-intake", "--input", str(SHIPMENTS), "--output", str(out),
        "--project", str(intake_project), *INTAKE_ARGS,
        "--column", "scheduled_delivery=Scheduled Delivery Date", "--date-format", "%d-%b-%y"])
    assert r.exit_code == 1, r.output
    results = {row["line"]: row for row in map(json.loads, out.read_text().splitlines())}
    rows = _rows(SHIPMENTS)
    messy = {n for n, row in rows.items() if not re.fullmatch(r"-?\d+(\.\d+)?", row[WEIGHT])}
    assert sorted(results) == sorted(rows)
    refused = {n for n, row in results.items() if row["status"] != "ok"}
    assert refused == messy and len(refused) == 362  # the count computed from the file
    assert all(results[n]["status"] == "invalid_input" and [d["loc"] for d in results[n][
        "error"]["details"]] == [["body", "weight_kg"]] for n in refused)
    air = {n for n, row in rows.items() if row["Shipment Mode"] in ("Air", "Air Charter")}
    assert {n for n, row in results.items() if row.get("output") == {"handling": "air"}} \
        == air - messy
    ids = asyncio.run(_logged(intake_project, "shipment-intake"))
    assert len(ids) == len(set(ids)) == 1000


def test_dates_in_another_form_are_not_guessed(intake_project: Path, tmp_path: Path) -> None:
    """The PO dates are written 4/12/07 (April or December?) or "N/A - From RDC": read as
    27-Aug-06 they do not parse, and each row says which field."""
    out = tmp_path / "results.jsonl"
    CliRunner().invoke(main, [
        "run", "shipment-intake", "--input", str(SHIPMENTS), "--output", str(out),
        "--project", str(intake_project), *INTAKE_ARGS,
        "--column", "scheduled_delivery=PO Sent to Vendor Date", "--date-format", "%d-%b-%y"])
    results = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(results) == 1000 and all(r["status"] == "invalid_input" for r in results)
    assert all(["body", "scheduled_delivery"] in [d["loc"] for d in r["error"]["details"]]
               for r in results)
    assert not any(["body", "delivered"] in [d["loc"] for d in r["error"]["details"]]
                   for r in results)


async def test_real_invoices_through_a_rules_only_spec(example_project: Path) -> None:
    out = io.StringIO()
    summary = await run_batch(Settings(), example_project, "order-validation", RETAIL, out,
                              options=RETAIL_MAPPING)
    results = [json.loads(x) for x in out.getvalue().splitlines()]
    rows = _rows(RETAIL)
    negative = {n for n, row in rows.items() if row["Quantity"].startswith("-")}
    assert negative and [r["line"] for r in results] == sorted(rows)
    refused = {r["line"]: r for r in results if r["status"] != "ok"}
    assert set(refused) == negative  # the cancellation's negative quantity, nothing else
    for row in refused.values():
        assert row["status"] == "invalid_input"
        assert [d["loc"] for d in row["error"]["details"]] == [["body", "item_count"]]
    assert summary.total == len(rows) and summary.failed == len(negative)
    assert all(f"line {n}: invalid_input" in " ".join(summary.problems) for n in negative)


async def test_an_interrupted_csv_run_resumes_after_the_rows_it_logged(
        example_project: Path) -> None:
    stop = asyncio.Event()
    first_out, second_out = io.StringIO(), io.StringIO()

    def tick(result: LineResult) -> None:
        if result.line >= 40:
            stop.set()

    first = await run_batch(Settings(), example_project, "order-validation", RETAIL, first_out,
                            concurrency=4, stop=stop, progress=tick, resume=True,
                            options=RETAIL_MAPPING)
    assert first.stopped and 0 < first.total < 149
    skipped: list[int] = []
    second = await run_batch(Settings(), example_project, "order-validation", RETAIL, second_out,
                             concurrency=4, resume=True, on_start=skipped.append,
                             options=RETAIL_MAPPING)
    assert skipped == [first.total] and not second.stopped
    assert second.total == 149 - first.total
    done = [json.loads(x)["line"] for x in (first_out.getvalue() + second_out.getvalue()
                                            ).splitlines()]
    assert sorted(done) == sorted(_rows(RETAIL))  # every row once, none twice
    ids = await _logged(example_project, "order-validation")
    assert len(ids) == len(set(ids)) == 149
    other: dict[str, Any] = {"constants": (*RETAIL_MAPPING.constants[:-1], ("fraud_score", "90"))}
    remapped = InputOptions(columns=RETAIL_MAPPING.columns, **other)
    third = await run_batch(Settings(), example_project, "order-validation", RETAIL,
                            io.StringIO(), resume=True, options=remapped)
    assert third.skipped == 0 and third.total == 149  # another mapping is another job


@pytest.mark.parametrize(("extra", "message"), [
    (["--column", "weight=Weight (Kilograms)"],
     'the spec has no input field "weight" (did you mean "weight_kg"?)'),
    (["--column", "weight_kg=Weight (Kilogram)"],
     'usaid_scms_shipments_sample_1000.csv:1: no column "Weight (Kilogram)" in the header '
     '(did you mean "Weight (Kilograms)"?)'),
    (["--column", "weight_kg=Weight (Kilograms)", "--set", "promised_days=five"],
     '--set promised_days=five: "five" is not a plain number'),
    (["--format", "jsonl"], "--column, --set and --date-format read a CSV file"),
])
def test_a_wrong_mapping_stops_before_any_row_runs(example_project: Path, extra: list[str],
                                                    message: str) -> None:
    args = ["run", "carrier-selection", "--input", str(SHIPMENTS), "--mock", "--no-progress",
            "--project", str(example_project), "--column", "order_id=ID",
            "--set", "destination_country=US", "--column", "declared_value=Line Item Value",
            *extra]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2 if "--format" in extra else r.exit_code == 1
    assert message in " ".join(r.output.split()) and "Traceback" not in r.output
    assert asyncio.run(_logged(example_project, "carrier-selection")) == []


def test_a_csv_that_is_not_utf8_is_a_located_error_not_a_traceback(example_project: Path,
                                                                    tmp_path: Path) -> None:
    src = tmp_path / "orders.csv"
    src.write_bytes(b"order_id,weight_kg\nA-1,2\nA-\xff2,3\n")
    r = CliRunner().invoke(main, ["run", "carrier-selection", "--input", str(src), "--mock",
                                  "--project", str(example_project)])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert f"{src}:3:3: byte 0xff is not UTF-8" in " ".join(r.output.split())
