"""Money is exact in guardrails: sums and differences of amounts compare as decimals, in the
compiler's checks, in CEL at run time and in the runtime's Python fast path alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from specwright.compiler import compile_spec
from specwright.compiler.evaluate import evaluate_guardrails, to_cel_values
from specwright.compiler.ir import CompiledSpec
from specwright.runtime.engine.combined_cel import CombinedCel
from specwright.runtime.engine.run_plan import build_plan

SPEC = """---
name: money-sum
title: Money sum
owner: qa
---

# Money sum

Check that the parts of an order add up to its total.

## Input

| field | type  | constraints | description |
|-------|-------|-------------|-------------|
| a     | money | >= 0        | First part  |
| b     | money | >= 0        | Second part |
| c     | money | >= 0        | Third part  |
| total | money | >= 0        | The total   |

## Output

| field    | type                 | constraints | description |
|----------|----------------------|-------------|-------------|
| decision | one of: accept, hold |             | What we do  |

## Decision: decision

| total  | decision |
|--------|----------|
| > 1000 | hold     |
| -      | accept   |

## Guardrails

- The parts add up: `input.total > 1000.0 || input.a + input.b + input.c == input.total`
- Not more than the total: `input.a + input.b + input.c <= input.total`
- Not less than the total: `!(input.a + input.b + input.c < input.total)`
- Literals are amounts too: `input.a + 10.1 + 0.3 != 20.6 || input.a == 10.2`
- Amounts written out: `10.2 + 10.1 + 0.3 == 20.6 && 0.1 + 0.2 == 0.3`

## Examples

### The parts add up

```json
{"input": {"a": 10.2, "b": 10.1, "c": 0.3, "total": 20.6}, "output": {"decision": "accept"}}
```
"""


@pytest.fixture(scope="module")
def compiled() -> CompiledSpec:
    return compile_spec(SPEC, "specs/money-sum.md")  # the example passes every guardrail


def _all_paths(compiled: CompiledSpec, data: dict[str, Any]) -> list[tuple[bool, ...]]:
    """Guardrail results by the compiler's evaluation, by the runtime's combined CEL program and
    by its native fast path."""
    spec = compiled.spec
    values_in = to_cel_values(spec.inputs, data)
    values_out = to_cel_values(spec.outputs, {"decision": "accept"})
    reference = tuple(r.passed for r in evaluate_guardrails(compiled.guardrails, values_in,
                                                            values_out))
    plan = build_plan(compiled)
    native = plan.cel
    assert native.native_guardrails is not None  # the fast path handles money comparisons
    cel_only = CombinedCel(native.input_fields, native.output_fields, native.flat,
                           native.table_program, native.table_rows, native.guardrail_program)
    assert type(native.scope(values_in)) is dict  # the Python closures, not CEL
    fast = native.guardrail_values(native.scope(values_in), values_out)
    slow = cel_only.guardrail_values(cel_only.scope(values_in), values_out)
    assert fast is not None and slow is not None
    return [reference, tuple(fast), tuple(slow)]


def test_sums_of_amounts_compare_exactly(compiled: CompiledSpec) -> None:
    assert 10.2 + 10.1 + 0.3 != 20.6  # what a double gives, and what a guardrail gave
    results = _all_paths(compiled, {"a": 10.2, "b": 10.1, "c": 0.3, "total": 20.6})
    assert results == [(True, True, True, True, True)] * 3


@pytest.mark.parametrize(("total", "expected"), [
    (20.61, (False, True, False, True, True)),  # a cent more than the parts
    (20.59, (False, False, True, True, True)),  # a cent less
    (0.0, (False, False, True, True, True)),
])
def test_a_cent_apart_is_different(compiled: CompiledSpec, total: float,
                                   expected: tuple[bool, ...]) -> None:
    results = _all_paths(compiled, {"a": 10.2, "b": 10.1, "c": 0.3, "total": total})
    assert results == [expected] * 3


def test_the_compiled_guardrail_shows_how(compiled: CompiledSpec) -> None:
    cel = compiled.guardrails[0].cel
    assert "double(input.a + input.b + input.c) - double(input.total)" in cel
    assert "0.005" in cel


def test_comparisons_without_arithmetic_are_left_as_written() -> None:
    spec = Path(__file__).resolve().parents[2] / "specs" / "returns-evaluation.md"
    compiled = compile_spec(spec.read_text(encoding="utf-8"), "specs/returns-evaluation.md")
    assert "output.refund_amount <= input.order_total" in [g.cel for g in compiled.guardrails]
