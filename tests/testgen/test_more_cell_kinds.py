"""A spec exercising what the example specs do not: a ``unique`` table, dates, ranges with
closed ends, ``not(...)`` on an optional field, yes/no columns and a guardrail over tables."""

from __future__ import annotations

from pathlib import Path

from tg_support import make_project, revision_dir, run_pytest

from specwright.runtime import testing
from specwright.runtime.testing.boundaries import boundary_inputs

SPEC = """---
name: refund-window
title: Refund window
owner: returns-ops
---

# Refund window

Decide the refund route for a return request.

## Input

| field         | type                          | constraints        | description                 |
|---------------|-------------------------------|--------------------|-----------------------------|
| order_total   | money                         | >= 0, <= 100000    | Order total in USD          |
| delivered_on  | date                          |                    | Delivery date               |
| channel       | one of: web, store, phone     | optional           | Where the return was opened |
| opened        | yes/no                        | default no         | The parcel was opened       |
| items         | integer                       | 1..50              | Items returned              |

## Output

| field      | type                              | description              |
|------------|-----------------------------------|--------------------------|
| route      | one of: instant, standard, manual | How the refund is paid   |
| inspection | yes/no                            | Inspect before refunding |

## Decision: route (unique)

| order_total | delivered_on  | channel         | route    |
|-------------|---------------|-----------------|----------|
| < 500       | >= 2024-01-01 | -               | instant  |
| < 500       | < 2024-01-01  | -               | standard |
| [500..5000] | -             | "web", "store"  | standard |
| [500..5000] | -             | not("web", "store") | manual |
| > 5000      | -             | -               | manual   |

## Decision: inspection

| opened | items  | inspection |
|--------|--------|------------|
| yes    | -      | yes        |
| no     | > 10   | yes        |
| -      | -      | no         |

## Guardrails

- Big refunds are never instant: `output.route != "instant" || input.order_total < 500.0`

## Examples

### Small recent order

```json
{"input": {"order_total": 120.5, "delivered_on": "2024-03-01", "channel": "web", "items": 1},
 "output": {"route": "instant", "inspection": false}}
```
"""


def test_boundary_inputs_sit_on_and_around_every_threshold(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"refund-window": SPEC})
    suite = testing.SpecSuite.load(revision_dir(root, "refund-window"))
    cases = boundary_inputs(suite, [suite.table("Decision: route")])
    totals = {p.raw["order_total"] for p in cases}
    dates = {p.raw["delivered_on"] for p in cases}
    channels = {p.raw.get("channel", "absent") for p in cases}
    assert {499.99, 500, 500.01, 4999.99, 5000, 5000.01} <= totals
    assert {"2023-12-31", "2024-01-01", "2024-01-02"} <= dates
    assert {"web", "store", "phone", "absent"} <= channels
    for name in ("Decision: route", "Decision: inspection"):
        testing.check_boundaries(suite, name)
        testing.check_tables_total(suite, name)
    testing.check_unique(suite, "Decision: route")


def test_its_whole_generated_suite_passes(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"refund-window": SPEC})
    done = run_pytest(root, revision_dir(root, "refund-window"))
    assert done.returncode == 0, done.stdout
    assert "test_decision_route_never_matches_two_rows" in (
        revision_dir(root, "refund-window") / "test_refund_window.py").read_text(encoding="utf-8")
    assert "test_guardrail_big_refunds_are_never_instant" in (
        revision_dir(root, "refund-window") / "test_refund_window.py").read_text(encoding="utf-8")
    assert " passed in " in done.stdout and "skipped" not in done.stdout
