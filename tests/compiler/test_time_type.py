"""The ``time`` type (a time of day, ``09:30``): input field, cells (comparisons, ranges,
``time("17:00")``, references), defaults, examples and a call's input under one rule (a time of
day never carries an offset), its JSON Schema, the exact analysis (seconds since midnight) and
boundary values a second either side of each threshold."""

from __future__ import annotations

from typing import Any

import pytest

from specwright.compiler import compile_spec
from specwright.compiler.errors import SpecError
from specwright.compiler.evaluate import evaluate_table, to_cel_values
from specwright.compiler.ir import CompiledSpec
from specwright.compiler.schema import type_schema
from specwright.compiler.validate import validate_value
from specwright.runtime.testing.boundaries import boundary_values
from specwright.runtime.testing.input_strategies import invalid_mutations

SOURCE = "specs/shop-hours.md"
SPEC = """---
name: shop-hours
---
# Shop hours

## Input

| field     | type           | constraints   | description |
|-----------|----------------|---------------|-------------|
| placed_at | time           |               | When the order was placed |
| region    | one of: eu, us |               | Region |
| cutoff    | time           | DEFAULT       | Cutoff |

## Output

- dispatch (one of: today, tomorrow): when it ships

## Decision: dispatch

| placed_at | region | dispatch |
|-----------|--------|----------|
ROWS
EXAMPLES"""
ROWS = """| < 09:30                  | -    | today    |
| [09:30..time("17:00"))   | "eu" | today    |
| < input.cutoff           | "us" | today    |
| -                        | -    | tomorrow |"""
FIRST_ROW = SPEC.splitlines().index("ROWS") + 1


def text(rows: str = ROWS, default: str = "default 17:00", examples: str = "") -> str:
    return SPEC.replace("ROWS", rows).replace("DEFAULT", default).replace("EXAMPLES", examples)


def compiled(**kw: Any) -> CompiledSpec:
    return compile_spec(text(**kw), SOURCE)


def errors(**kw: Any) -> list[str]:
    with pytest.raises(SpecError) as caught:
        compiled(**kw)
    return [str(d) for d in caught.value.diagnostics if d.severity == "error"]


def decide(spec: CompiledSpec, **data: Any) -> str:
    values = to_cel_values(spec.spec.inputs, data)
    return str(evaluate_table(spec.tables[0], values).results["dispatch"])


def test_cells_compare_times_of_day_as_cel_on_canonical_text() -> None:
    spec = compiled()
    assert [r.condition for r in spec.tables[0].rows] == [
        'input.placed_at < "09:30:00"',
        '(input.placed_at >= "09:30:00" && input.placed_at < "17:00:00") && input.region == "eu"',
        'input.placed_at < input.cutoff && input.region == "us"',
        "true",
    ]
    cutoff = next(f for f in spec.spec.inputs if f.name == "cutoff")
    assert cutoff.default == "17:00:00"


@pytest.mark.parametrize(
    ("placed_at", "region", "expected"),
    [("09:29:59", "eu", "today"), ("09:30", "eu", "today"), ("16:59:59", "eu", "today"),
     ("17:00", "eu", "tomorrow"), ("16:59", "us", "today"), ("17:00:00", "us", "tomorrow")],
)
def test_runs_decide_on_either_side_of_each_threshold(placed_at: str, region: str,
                                                      expected: str) -> None:
    assert decide(compiled(), placed_at=placed_at, region=region) == expected


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("< 09:30Z", "'< 09:30Z' has an offset, but a time of day never does: write the "
                     "wall-clock time alone (like 09:30); for a moment, use a date and time field"),
        ('< time("25:00")', """'< time("25:00")' is not a time of day (write 09:30)"""),
        ("< 2024-01-31", "'< 2024-01-31' is not a time of day (write 09:30)"),
        ("< input.region", "'< input.region' compares with input.region, which is one of: eu, "
                           "us, not a time of day (write 09:30)"),
    ],
)
def test_a_wrong_time_cell_is_located_with_the_fix(cell: str, message: str) -> None:
    rows = f"| {cell} | - | today |\n| - | - | tomorrow |"
    (error,) = errors(rows=rows)
    assert error == f"{SOURCE}:{FIRST_ROW}:3: error: Decision: dispatch, row 1, column placed_at: {message}"


def test_the_exact_analysis_finds_the_gap_at_the_second_it_opens() -> None:
    rows = "| < 09:30 | - | today |\n| > 09:30 | - | tomorrow |"
    (error,) = errors(rows=rows)
    assert "has a gap: no row matches placed_at=09:30:00" in error


def test_a_default_or_example_with_an_offset_is_refused_by_the_same_rule() -> None:
    (error,) = errors(default="default 17:00+01:00")
    assert 'default "17:00+01:00" has an offset, but a time of day never does' in error
    example = ('\n## Examples\n\n### Late\n\n```json\n{"input": {"placed_at": "18:00Z", '
               '"region": "eu"}, "output": {"dispatch": "tomorrow"}}\n```\n')
    (error,) = errors(examples=example)
    assert '"18:00Z" has an offset, but a time of day never does' in error


def test_a_calls_input_follows_the_rule_and_the_schema_says_it() -> None:
    spec = compiled()
    placed = next(f for f in spec.spec.inputs if f.name == "placed_at")
    schema = type_schema(placed.type, None)  # type: ignore[arg-type]
    assert schema == {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
                      "x-specwright-type": "time"}
    assert validate_value(placed.type, "09:30", "placed_at") == []
    assert validate_value(placed.type, "24:00", "placed_at") == [
        'placed_at: "24:00" is not a time of day (write 09:30)']
    names = {m.what for m in invalid_mutations({"type": "object", "properties": {
        "placed_at": schema}, "required": ["placed_at"]}, {"placed_at": "09:30"})}
    assert "'09:30Z', a time of day with an offset" in names


def test_boundary_values_are_a_second_either_side_of_each_threshold() -> None:
    from specwright.runtime.testing.boundaries import parse_cell

    spec = compiled()
    placed = next(f for f in spec.spec.inputs if f.name == "placed_at")
    cells = [parse_cell(c, "placed_at", placed.type, False, {})
             for c in ("< 09:30", '[09:30..time("17:00"))')]
    assert boundary_values(placed.type, True, cells)[:6] == [
        "09:29:59", "09:30:00", "09:30:01", "16:59:59", "17:00:00", "17:00:01"]


def test_a_guardrail_compares_with_canonical_time_text() -> None:
    guard = '\n## Guardrails\n\n- Early orders ship today: `input.placed_at >= "09:30" || output.dispatch == "today"`\n'
    (error,) = errors(examples=guard)
    assert 'placed_at is a time of day, compared as HH:MM:SS text, but "09:30" is not one ' \
           '(write "09:30:00")' in error
    ok = guard.replace('"09:30"', '"09:30:00"')
    assert len(compiled(examples=ok).guardrails) == 1


def test_the_generated_input_model_refuses_an_offset_naming_the_field() -> None:
    import sys
    from types import ModuleType

    from pydantic import ValidationError

    from specwright.compiler.models_gen import models_source

    module = ModuleType("specwright_test_time_models")
    sys.modules[module.__name__] = module
    try:
        exec(compile(models_source(compiled(), 1), module.__name__, "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    model = module.Input
    ok = model.model_validate({"placed_at": "09:30", "region": "eu"})
    assert ok.model_dump(mode="json") == {"placed_at": "09:30:00", "region": "eu",
                                          "cutoff": "17:00:00"}
    for wrong in ("09:30Z", "09:30:00+01:00", 930, "9:30"):
        with pytest.raises(ValidationError) as caught:
            model.model_validate({"placed_at": wrong, "region": "eu"})
        (error,) = caught.value.errors()
        assert error["loc"] == ("placed_at",) and "without an offset" in error["msg"]


def test_specs_without_a_time_field_keep_their_models_byte_for_byte() -> None:
    from specwright.compiler.models_gen import TIME_PRELUDE, models_source

    assert TIME_PRELUDE in models_source(compiled(), 1)
    other = compile_spec(text().replace("| time           |", "| integer        |")
                         .replace("default 17:00", "default 0")
                         .replace(ROWS, "| < 930 | - | today |\n| - | - | tomorrow |"), SOURCE)
    assert "_iso_time" not in models_source(other, 1)


DERIVED = """
## Derived

| name       | type    | expression                                   | description |
|------------|---------|----------------------------------------------|-------------|
| late       | yes/no  | placed_at >= "17:00" or placed_at < time("06:00") | After hours |
| opens      | time    | time("09:30")                                | Opening     |
"""


def test_derived_values_compare_times_and_tables_read_them() -> None:
    source = text(rows="| - | - | today |").replace("## Decision", DERIVED + "\n## Decision")
    source = source.replace("| placed_at | region | dispatch |\n|-----------|--------|----------|\n"
                            "| - | - | today |",
                            "| late | placed_at | dispatch |\n|---|---|---|\n"
                            "| yes | - | tomorrow |\n| - | < time(\"09:30\") | tomorrow |\n"
                            "| - | - | today |")
    spec = compile_spec(source, SOURCE)
    late = next(d for d in spec.derived if d.name == "late")
    assert late.cel == '((input.placed_at >= "17:00:00") || (input.placed_at < "06:00:00"))'
    assert next(d for d in spec.derived if d.name == "opens").kind == "time"
    assert decide(spec, placed_at="17:00", region="eu") == "tomorrow"
    assert decide(spec, placed_at="09:29:59", region="eu") == "tomorrow"
    assert decide(spec, placed_at="12:00", region="eu") == "today"


@pytest.mark.parametrize(
    ("expression", "message"),
    [('placed_at < "17:00Z"', '"17:00Z" has an offset, but a time of day never does'),
     ('placed_at < time("7pm")', '"7pm" is not a time of day: write 09:30')],
)
def test_derived_time_problems_are_located(expression: str, message: str) -> None:
    derived = DERIVED.replace('placed_at >= "17:00" or placed_at < time("06:00")', expression)
    source = text().replace("## Decision", derived + "\n## Decision")
    with pytest.raises(SpecError) as caught:
        compile_spec(source, SOURCE)
    (error,) = [str(d) for d in caught.value.diagnostics if d.severity == "error"]
    assert "Derived late: " + message in error
