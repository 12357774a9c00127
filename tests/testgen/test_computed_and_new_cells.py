"""A spec using every new condition form at once: a derived value, a nested path through an
optional object, list conditions, a reference to another field, text ranges, a FEEL list and a
date written ``date("...")``. Its generated suite (boundaries, totality, examples) passes, and
the boundary check reads each column as the runtime computes it."""

from __future__ import annotations

from pathlib import Path

from tg_support import make_project, revision_dir, run_pytest

from specwright.runtime import testing
from specwright.runtime.testing.boundaries import boundary_inputs, check_boundaries

SPEC = """---
name: order-check
title: Order check
owner: order-ops
---

# Order check

Decide what happens to an order.

## Input

| field         | type          | constraints       | description                  |
|---------------|---------------|-------------------|------------------------------|
| order_total   | money         | >= 0, <= 100000   | Order total                  |
| credit_limit  | money         | >= 0, <= 100000   | The customer's credit limit  |
| customer_code | text          | 1..8 characters   | Customer code                |
| ordered_on    | date          |                   | Order date                   |
| ship_to       | address       | optional          | Where it goes                |
| lines         | list of lines | 0..5 items        | Order lines                  |

### Address

| field   | type | constraints | description  |
|---------|------|-------------|--------------|
| country | text | 2 letters   | Country code |

### Line

| field    | type   | constraints    | description      |
|----------|--------|----------------|------------------|
| price    | money  | >= 0, <= 1000  | Line price       |
| in_stock | yes/no |                | The item is here |

## Output

- decision (one of: accept, hold, reject): What happens

## Derived

| name        | type   | expression       | description           |
|-------------|--------|------------------|-----------------------|
| lines_total | number | sum(lines.price) | The lines added up    |

## Decision: decision

| ship_to.country | any lines: in_stock = no | count lines | order_total          | customer_code | ordered_on              | lines_total | decision |
|-----------------|--------------------------|-------------|----------------------|---------------|-------------------------|-------------|----------|
| ["CU", "IR"]    | -                        | -           | -                    | -             | -                       | -           | reject   |
| -               | -                        | 0           | -                    | -             | -                       | -           | reject   |
| -               | -                        | -           | > input.credit_limit | -             | -                       | -           | hold     |
| -               | yes                      | -           | -                    | -             | -                       | -           | hold     |
| -               | -                        | -           | -                    | "A".."M"      | >= date("2024-01-01")   | -           | accept   |
| -               | -                        | -           | -                    | -             | -                       | > 2500      | hold     |
| -               | -                        | -           | -                    | -             | -                       | -           | accept   |

## Examples

### A blocked destination

```json
{"input": {"order_total": 10, "credit_limit": 100, "customer_code": "B1", "ordered_on": "2024-02-01",
           "ship_to": {"country": "CU"}, "lines": [{"price": 10, "in_stock": true}]},
 "output": {"decision": "reject"}}
```

### Over the credit limit

```json
{"input": {"order_total": 150, "credit_limit": 100, "customer_code": "B1", "ordered_on": "2024-02-01",
           "lines": [{"price": 150, "in_stock": true}]},
 "output": {"decision": "hold"},
 "derived": {"lines_total": 150}}
```

### A missing item

```json
{"input": {"order_total": 15, "credit_limit": 100, "customer_code": "Z9", "ordered_on": "2024-02-01",
           "lines": [{"price": 10, "in_stock": true}, {"price": 5, "in_stock": false}]},
 "output": {"decision": "hold"}}
```
"""


def test_the_generated_suite_of_a_spec_with_every_new_form_passes(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"order-check": SPEC})
    suite = testing.SpecSuite.load(revision_dir(root, "order-check"))
    table = suite.table("Decision: decision")
    assert [c.name for c in table.computed_columns] == ["ship_to.country", "any lines: in_stock = no",
                                                "count lines", "lines_total"]
    check_boundaries(suite, table.name)  # the oracle reads every column as the runtime computes it
    cases = boundary_inputs(suite, [table])
    assert {2024, 2023} <= {int(p.raw["ordered_on"][:4]) for p in cases}
    done = run_pytest(root, revision_dir(root, "order-check"))
    assert done.returncode == 0, done.stdout + done.stderr
