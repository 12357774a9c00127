"""Every hit policy and collect operator, with one output and with several, against DMN 1.5's
definitions worked by hand.

The compound-output example is DMN's own (section 8.2.11, the routing table): age 17, risk
category HIGH and department review true match all four rules; output order gives rules 2, 4, 3,
1 (DECLINE before REFER before ACCEPT, and between the two REFERs, LEVEL 2 before LEVEL 1), and
priority gives rule 2. The scorecard is a "collect sum" holiday table in the style of DMN's
vacation-days example.
"""

from __future__ import annotations

from typing import Any

import pytest

from specwright.compiler import compile_spec
from specwright.compiler.errors import SpecError, TableConflict
from specwright.compiler.evaluate import evaluate_table, to_cel_values
from specwright.compiler.ir import CompiledSpec
from specwright.compiler.rulediff import rule_changes

SOURCE = "specs/routing.md"

ROUTING_INPUTS = """
| field       | type                        | constraints |
|-------------|-----------------------------|-------------|
| age         | integer                     | 0..130      |
| risk        | one of: low, medium, high   |             |
| dept_review | yes/no                      |             |
"""

ROUTING_ROWS = """
| age  | risk   | dept_review | {routing} | {level}  |
|------|--------|-------------|---------|---------|
| -    | -      | -           | accept  | none    |
| < 18 | -      | -           | decline | none    |
| -    | "high" | -           | refer   | level_1 |
| -    | -      | yes         | refer   | level_2 |
"""


def spec_text(outputs: str, tables: str, inputs: str = ROUTING_INPUTS) -> str:
    return f"---\nname: routing\n---\n# Routing\n\n## Input\n{inputs}\n## Output\n\n{outputs}\n{tables}"


def compiled(outputs: str, tables: str, inputs: str = ROUTING_INPUTS) -> CompiledSpec:
    return compile_spec(spec_text(outputs, tables, inputs), SOURCE)


def errors(outputs: str, tables: str, inputs: str = ROUTING_INPUTS) -> list[str]:
    with pytest.raises(SpecError) as caught:
        compile_spec(spec_text(outputs, tables, inputs), SOURCE)
    return [str(d) for d in caught.value.diagnostics]


def run(
    spec: CompiledSpec, data: dict[str, Any], index: int = 0
) -> tuple[tuple[int, ...], dict[str, Any]]:
    table = spec.tables[index]
    required = [f.name for f in spec.spec.outputs if f.required]
    outcome = evaluate_table(table, to_cel_values(spec.spec.inputs, data), required=required)
    return outcome.rows, outcome.results


SCALAR_OUTPUTS = """- routing (one of: decline, refer, accept): where the application goes
- review_level (one of: level_2, level_1, none): who reviews it
"""
LIST_OUTPUTS = """- routing (list of one of: decline, refer, accept): where the application goes
- review_level (list of one of: level_2, level_1, none): who reviews it
"""
DMN_INPUT = {"age": 17, "risk": "high", "dept_review": True}


def routing_table(policy: str, *, routing: str = "routing", level: str = "review_level") -> str:
    heading = f"## Decision: {routing}, {level} ({policy})"
    return heading + "\n" + ROUTING_ROWS.format(routing=routing, level=level)


# ----------------------------------------------------------------------------- single hit


def test_priority_with_compound_outputs_ranks_left_to_right() -> None:
    spec = compiled(SCALAR_OUTPUTS, routing_table("priority"))
    table = spec.tables[0]
    assert table.name == "Decision: routing, review_level"
    assert table.outputs == ("routing", "review_level")
    assert table.priority == ("decline", "refer", "accept")
    assert table.ranks == (("review_level", ("level_2", "level_1", "none")),)
    assert run(spec, DMN_INPUT) == ((2,), {"routing": "decline", "review_level": "none"})
    # without rule 2 (age 40): rules 3 and 4 tie on routing; level_2 ranks before level_1
    older = {**DMN_INPUT, "age": 40}
    assert run(spec, older) == ((4,), {"routing": "refer", "review_level": "level_2"})


def test_first_unique_and_any_with_compound_outputs() -> None:
    spec = compiled(SCALAR_OUTPUTS, routing_table("first"))
    assert run(spec, DMN_INPUT) == ((1,), {"routing": "accept", "review_level": "none"})
    rows = """
| age  | risk   | routing | review_level |
|------|--------|---------|--------------|
| < 18 | -      | decline | none         |
| >= 18| "high" | refer   | level_1      |
| >= 18| "high" | refer   | level_2      |
| >= 18| not("high") | accept | none    |
"""
    problems = errors(SCALAR_OUTPUTS, "## Decision: routing, review_level (any)\n" + rows)
    assert problems == [
        f"{SOURCE}:25:1: error: Decision: routing, review_level (any): rows 2 and 3 overlap but "
        "give different results (routing=refer, review_level=level_1 vs routing=refer, "
        "review_level=level_2), e.g. age=18, risk=high"
    ]
    agreeing = rows.replace("level_2", "level_1")
    spec = compiled(SCALAR_OUTPUTS, "## Decision: routing, review_level (any)\n" + agreeing)
    assert run(spec, {"age": 30, "risk": "high", "dept_review": False}) == (
        (2, 3),
        {"routing": "refer", "review_level": "level_1"},
    )
    problems = errors(SCALAR_OUTPUTS, "## Decision: routing, review_level (unique)\n" + agreeing)
    assert problems == [
        f"{SOURCE}:25:1: error: Decision: routing, review_level (unique): rows 2 and 3 overlap, "
        "e.g. age=18, risk=high"
    ]


def test_any_conflict_at_run_time_names_every_output() -> None:
    spec = compiled(SCALAR_OUTPUTS, routing_table("priority"))
    table = spec.tables[0].model_copy(update={"hit_policy": "any"})
    with pytest.raises(TableConflict) as caught:
        evaluate_table(table, to_cel_values(spec.spec.inputs, DMN_INPUT))
    assert 'routing="accept", review_level="none" vs routing="decline"' in str(caught.value)


# ----------------------------------------------------------------------------- multiple hits


def test_output_order_with_compound_outputs_is_dmns_2_4_3_1() -> None:
    spec = compiled(LIST_OUTPUTS, routing_table("output order"))
    assert run(spec, DMN_INPUT) == (
        (2, 4, 3, 1),
        {
            "routing": ["decline", "refer", "refer", "accept"],
            "review_level": ["none", "level_2", "level_1", "none"],
        },
    )


def test_rule_order_and_collect_keep_rule_order() -> None:
    for policy in ("rule order", "collect"):
        spec = compiled(LIST_OUTPUTS, routing_table(policy))
        assert run(spec, DMN_INPUT) == (
            (1, 2, 3, 4),
            {
                "routing": ["accept", "decline", "refer", "refer"],
                "review_level": ["none", "none", "level_1", "level_2"],
            },
        )
        assert run(spec, {"age": 40, "risk": "low", "dept_review": False}) == (
            (1,),
            {"routing": ["accept"], "review_level": ["none"]},
        )


def test_output_order_with_one_output_ties_keep_rule_order() -> None:
    outputs = "- routing (list of one of: decline, refer, accept): where it goes\n"
    rows = "\n".join(
        line.rsplit("|", 2)[0] + "|" for line in ROUTING_ROWS.strip().splitlines()
    ).format(routing="routing")
    spec = compiled(outputs, "## Decision: routing (output order)\n" + rows)
    assert run(spec, DMN_INPUT) == (
        (2, 3, 4, 1),
        {"routing": ["decline", "refer", "refer", "accept"]},
    )


def test_a_gathering_table_with_several_outputs_has_no_holes() -> None:
    table = routing_table("rule order").replace("| refer   | level_1 |", "| refer   | -       |")
    assert errors(LIST_OUTPUTS, table) == [
        f"{SOURCE}:25:43: error: Decision: routing, review_level, row 3, column review_level: "
        "'-' would leave a hole: a rule order table with several result columns gives lists whose "
        "items line up row by row: write one of: level_2, level_1, none, or give review_level its "
        "own table"
    ]


def test_gathering_outputs_must_be_lists() -> None:
    assert errors(SCALAR_OUTPUTS, routing_table("output order"))[0] == (
        f"{SOURCE}:21:33: error: Decision: routing, review_level: column routing: an output order "
        "table gathers the results of every matching row into a list, but routing is one of: "
        "decline, refer, accept: declare it as a list of values (list of text, list of one of: ...)"
    )


# ----------------------------------------------------------------------------- collect operators

HOLIDAY_INPUTS = """
| field         | type    | constraints |
|---------------|---------|-------------|
| age           | integer | 0..130      |
| service_years | integer | 0..60       |
"""
HOLIDAY_ROWS = """
| age      | service_years | {out} |
|----------|---------------|-------|
| -        | -             | 22    |
| < 18     | -             | 5     |
| >= 60    | -             | 3     |
| -        | >= 30         | 5     |
| 18..59   | 15..29        | 2     |
"""


def holidays(how: str, output: str = "integer") -> CompiledSpec:
    outputs = f"- days ({output}): extra holiday days\n"
    table = f"## Decision: days ({how})\n" + HOLIDAY_ROWS.format(out="days")
    return compiled(outputs, table, HOLIDAY_INPUTS)


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        # age 16, 1 year: rows 1 and 2 -> 22 + 5
        ("collect sum", {(16, 1): 27, (61, 31): 30, (40, 20): 24, (40, 1): 22}),
        ("C+", {(16, 1): 27, (61, 31): 30, (40, 20): 24, (40, 1): 22}),
        ("collect count", {(16, 1): 2, (61, 31): 3, (40, 20): 2, (40, 1): 1}),
        ("C#", {(16, 1): 2, (61, 31): 3, (40, 20): 2, (40, 1): 1}),
        ("collect min", {(16, 1): 5, (61, 31): 3, (40, 20): 2, (40, 1): 22}),
        ("C<", {(16, 1): 5, (61, 31): 3, (40, 20): 2, (40, 1): 22}),
        ("collect max", {(16, 1): 22, (61, 31): 22, (40, 20): 22, (40, 1): 22}),
        ("C>", {(16, 1): 22, (61, 31): 22, (40, 20): 22, (40, 1): 22}),
    ],
)
def test_collect_operators_on_a_holiday_scorecard(
    how: str, expected: dict[tuple[int, int], int]
) -> None:
    spec = holidays(how)
    table = spec.tables[0]
    assert table.hit_policy == "collect"
    assert table.aggregation == {"+": "sum", "#": "count", "<": "min", ">": "max"}.get(
        how[-1], how.split()[-1]
    )
    for (age, years), days in expected.items():
        assert run(spec, {"age": age, "service_years": years})[1] == {"days": days}


def test_sum_of_money_is_exact_and_no_values_is_no_value() -> None:
    outputs = "- fee (money, optional): the fee\n"
    table = """## Decision: fee (collect sum)

| age  | fee |
|------|-----|
| < 18 | 0.1 |
| < 30 | 0.2 |
| < 40 | -   |
"""
    spec = compiled(outputs, table, HOLIDAY_INPUTS)
    assert run(spec, {"age": 10, "service_years": 0}) == ((1, 2, 3), {"fee": 0.3})
    assert run(spec, {"age": 35, "service_years": 0}) == ((3,), {})
    assert run(spec, {"age": 50, "service_years": 0}) == ((), {})


def test_count_of_no_rows_is_zero() -> None:
    outputs = "- flags (integer): how many checks flag the order\n"
    table = "## Decision: flags (collect count)\n\n| age | flags |\n|---|---|\n| < 18 | 1 |\n| > 99 | 1 |\n"
    spec = compiled(outputs, table, HOLIDAY_INPUTS)
    assert run(spec, {"age": 50, "service_years": 0}) == ((), {"flags": 0})
    assert run(spec, {"age": 10, "service_years": 0}) == ((1,), {"flags": 1})


def test_operators_need_one_numeric_output() -> None:
    assert errors(
        "- days (text): days\n",
        "## Decision: days (collect sum)\n" + HOLIDAY_ROWS.format(out="days"),
        HOLIDAY_INPUTS,
    ) == [
        f"{SOURCE}:19:30: error: Decision: days: column days: a collect sum table gives one value, "
        "a number, whole number or money, but days is text: declare it as integer, number or money"
    ]
    assert errors(
        "- days (number): days\n",
        "## Decision: days (C#)\n" + HOLIDAY_ROWS.format(out="days"),
        HOLIDAY_INPUTS,
    )[0] == (
        f"{SOURCE}:19:30: error: Decision: days: column days: a collect count table gives one "
        "value, a whole number, but days is a number: declare it as integer"
    )
    outputs = "- days (integer): days\n- note (integer): note\n"
    table = "## Decision: days, note (collect max)\n\n| age | days | note |\n|---|---|---|\n| - | 1 | 2 |\n"
    assert errors(outputs, table, HOLIDAY_INPUTS) == [
        f"{SOURCE}:18:4: error: Decision: days, note (collect max): a table that adds up its rows "
        "has one result column, it has 2 (days, note): give the other outputs their own table "
        "(DMN defines no operator for several outputs)"
    ]


# ----------------------------------------------------------------------------- the heading


def test_heading_names_every_output_with_did_you_mean() -> None:
    table = routing_table("first", level="review_levl")
    assert errors(SCALAR_OUTPUTS, table)[0] == (
        f"{SOURCE}:19:4: error: Decision: routing, review_levl: review_levl is not an Output field "
        '(did you mean "review_level"?)'
    )
    missing = "## Decision: routing, review_level\n\n| age | routing |\n|---|---|\n| - | accept |\n"
    assert errors(SCALAR_OUTPUTS, missing) == [
        f"{SOURCE}:19:4: error: Decision: routing, review_level has no column review_level: "
        "add a result column for it"
    ]


# ----------------------------------------------------------------------------- exact analysis


def test_gaps_unused_rows_and_guardrails_of_a_multi_output_table() -> None:
    no_catch_all = routing_table("first").replace(
        "| -    | -      | -           | accept  | none    |\n", ""
    )
    assert errors(SCALAR_OUTPUTS, no_catch_all) == [
        f"{SOURCE}:19:4: error: Decision: routing, review_level has a gap: no row matches "
        "age=18, risk=low, dept_review=no: add a row for it (or a last row of - cells for "
        "everything else)"
    ]
    shadowed = (
        no_catch_all
        + "| < 10 | -      | -           | decline | level_1 |\n"
        + "| -    | -      | -           | accept  | none    |\n"
    )
    spec = compiled(SCALAR_OUTPUTS, shadowed)
    assert [w.message for w in spec.warnings] == [
        "Decision: routing, review_level, row 4 is never used: row 1 takes every input it "
        "matches: the first matching row wins; remove it, or move it above them"
    ]
    guardrail = (
        "\n## Guardrails\n\n- A department review is a level 2 review: "
        '`output.routing != "refer" || output.review_level == "level_2"`\n'
    )
    text = routing_table("priority") + guardrail
    assert errors(SCALAR_OUTPUTS, text) == [
        f"{SOURCE}:25:1: error: the tables can break guardrail \"A department review is a level "
        '2 review" (line 30): age=18, risk=high, dept_review=no gives routing=refer, '
        "review_level=level_1 (Decision: routing, review_level row 3)"
    ]


def test_the_diff_names_a_changed_collect_operator_and_where_it_changes_the_days() -> None:
    changes = rule_changes(holidays("collect sum"), holidays("collect max"))
    assert [c.message for c in changes][:3] == [
        "Decision: days: hit policy collect sum → collect max",
        "Decision: days decides differently for age < 18, service_years < 30: days 27 → 22",
        "Decision: days decides differently for age < 18, service_years > 29: days 32 → 22",
    ]
    assert len(changes) == 7  # every input two rows match (tests/compiler/test_regions_gather.py)
