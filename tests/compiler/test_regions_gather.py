"""An edit to a gathering table (``collect``, ``collect sum``/``min``/``max``/``count``) is
analysed exactly, as any other table's: the regions where its answer changes, each with the old
and new answer the runtime's evaluator gives, checked by hand and against brute force."""

from __future__ import annotations

import operator
import re
import sys
from pathlib import Path
from typing import Any

import z3
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from test_hit_policies import (  # noqa: E402
    HOLIDAY_INPUTS,
    HOLIDAY_ROWS,
    LIST_OUTPUTS,
    compiled,
    routing_table,
)

from specwright.compiler import compile_spec  # noqa: E402
from specwright.compiler.evaluate import evaluate_table, to_cel_values  # noqa: E402
from specwright.compiler.ir import CompiledSpec  # noqa: E402
from specwright.compiler.regions import LIMIT, decided_differently  # noqa: E402
from specwright.compiler.regions_gather import answers  # noqa: E402
from specwright.compiler.rulediff import RuleChange, rule_changes  # noqa: E402
from specwright.compiler.smt_model import SpecModel  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCORECARD = (ROOT / "tests" / "data" / "scorecard.md").read_text().split("## Examples")[0]
YOUNG = "| < 25    | -        | 5      |"
HIGH = '| -       | "high"   | 20     |'
MEDIUM = '| -       | "medium" | 7      |'


def regions(old: CompiledSpec, new: CompiledSpec) -> list[RuleChange]:
    return [c for c in rule_changes(old, new) if c.what in ("decides differently", "not analysed")]


def decide(spec: CompiledSpec, table: str, example: dict[str, Any]) -> dict[str, Any]:
    found = next(t for t in spec.tables if t.name == table)
    return evaluate_table(found, to_cel_values(spec.spec.inputs, example)).results


def replayed(old: CompiledSpec, new: CompiledSpec, changes: list[RuleChange]) -> None:
    """Every region's example is decided by the runtime as the change says."""
    for change in changes:
        table, example = change.detail["table"], change.detail["example"]
        outputs = change.detail["old"]
        assert {o: decide(old, table, example).get(o) for o in outputs} == change.detail["old"]
        assert {o: decide(new, table, example).get(o) for o in outputs} == change.detail["new"]


def scorecard(*edits: tuple[str, str]) -> CompiledSpec:
    text = SCORECARD
    for was, now in edits:
        assert was in text
        text = text.replace(was, now)
    return compile_spec(text, "specs/scorecard.md")


# ----------------------------------------------------------------------------- collect sum


def test_a_moved_threshold_in_a_scorecard_changes_the_total_where_it_moved() -> None:
    old, new = scorecard(), scorecard((YOUNG, YOUNG.replace("< 25", "< 30")))
    changes = regions(old, new)
    assert [c.message for c in changes] == [
        "Decision: points decides differently for 25 <= age < 30, risk=low: points 10 → 15",
        "Decision: points decides differently for 25 <= age < 30, risk=medium: points 17 → 22",
        "Decision: points decides differently for 25 <= age < 30, risk=high: points 30 → 35",
    ]
    assert changes[2].detail == {
        "table": "Decision: points", "region": "25 <= age < 30, risk=high",
        "example": {"age": 25, "risk": "high"}, "old": {"points": 30}, "new": {"points": 35},
    }
    replayed(old, new, changes)


def test_changed_points_and_an_added_row_change_exactly_the_totals_they_reach() -> None:
    old = scorecard()
    higher = scorecard((HIGH, HIGH.replace("20", "25")))
    assert [c.message for c in regions(old, higher)] == [
        "Decision: points decides differently for age < 25, risk=high: points 35 → 40",
        "Decision: points decides differently for age >= 25, risk=high: points 30 → 35",
    ]
    senior = scorecard((MEDIUM, MEDIUM + "\n| >= 65   | -        | 3      |"))
    changes = regions(old, senior)
    assert [c.message for c in changes] == [
        "Decision: points decides differently for age >= 65, risk=low: points 10 → 13",
        "Decision: points decides differently for age >= 65, risk=medium: points 17 → 20",
        "Decision: points decides differently for age >= 65, risk=high: points 30 → 33",
    ]
    replayed(old, senior, changes)


def test_a_row_split_in_two_with_the_same_points_changes_no_total() -> None:
    old = scorecard()
    split = scorecard((YOUNG, "| < 20    | -        | 5      |\n| 20..24  | -        | 5      |"))
    assert [c.what for c in rule_changes(old, split)] == ["row changed", "row added"]
    moved = scorecard((YOUNG + "\n" + HIGH, HIGH + "\n" + YOUNG))  # the order of a sum is no matter
    assert regions(old, moved) == []


# ----------------------------------------------------------------------------- lists


def _swapped(table: str) -> str:
    lines = table.split("\n")
    i = next(n for n, line in enumerate(lines) if '"high"' in line)
    lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return "\n".join(lines)


def test_collect_lists_change_where_the_order_of_two_rows_shows() -> None:
    old = compiled(LIST_OUTPUTS, routing_table("collect"))
    new = compiled(LIST_OUTPUTS, _swapped(routing_table("collect")))
    changes = regions(old, new)
    assert [c.message for c in changes] == [
        "Decision: routing, review_level decides differently for age < 18, risk=high, "
        "dept_review=yes: review_level [none, none, level_1, level_2] → "
        "[none, none, level_2, level_1]",
        "Decision: routing, review_level decides differently for age >= 18, risk=high, "
        "dept_review=yes: review_level [none, level_1, level_2] → [none, level_2, level_1]",
    ]
    assert changes[1].detail["old"] == {
        "routing": ["accept", "refer", "refer"], "review_level": ["none", "level_1", "level_2"]}
    replayed(old, new, changes)
    # output order ranks the two rows (level_2 before level_1) wherever they are written
    ranked = compiled(LIST_OUTPUTS, routing_table("output order"))
    assert regions(ranked, compiled(LIST_OUTPUTS, _swapped(routing_table("output order")))) == []


def test_collect_to_output_order_reorders_the_lists_where_several_rows_match() -> None:
    old = compiled(LIST_OUTPUTS, routing_table("collect"))
    new = compiled(LIST_OUTPUTS, routing_table("output order"))
    changes = regions(old, new)
    assert len(changes) == 7  # every input two or more rows match, by which rows
    assert changes[0].message == (
        "Decision: routing, review_level decides differently for age < 18, risk not high, "
        "dept_review=no: routing [accept, decline] → [decline, accept]"
    )
    replayed(old, new, changes)
    # a single input (age >= 18, low risk, no review) matches only the catch-all: unchanged
    alone = {"age": 40, "risk": "low", "dept_review": False}
    name = changes[0].detail["table"]
    assert decide(old, name, alone) == decide(new, name, alone)


# ----------------------------------------------------------------------------- min, max, count


def holidays(how: str, rows: str = HOLIDAY_ROWS) -> CompiledSpec:
    outputs = "- days (integer, optional): extra holiday days\n"
    return compiled(outputs, f"## Decision: days ({how})\n" + rows.format(out="days"), HOLIDAY_INPUTS)


CATCH_ALL = "| -        | -             | 22    |\n"


def test_min_and_max_with_no_matching_row_on_one_side() -> None:
    assert CATCH_ALL in HOLIDAY_ROWS
    for how in ("collect min", "collect max", "collect sum"):
        old, new = holidays(how), holidays(how, HOLIDAY_ROWS.replace(CATCH_ALL, ""))
        changes = regions(old, new)
        gap = [c for c in changes if c.detail["new"] == {"days": None}]
        assert [c.message for c in gap] == [
            "Decision: days decides differently for 18 <= age < 60, service_years < 15: "
            "days 22 → (no value)"
        ], how
        replayed(old, new, changes)
    back = regions(holidays("collect max", HOLIDAY_ROWS.replace(CATCH_ALL, "")), holidays("C>"))
    assert (
        "Decision: days decides differently for 18 <= age < 60, service_years < 15: "
        "days (no value) → 22"
    ) in [c.message for c in back]


def test_count_of_no_rows_is_zero_not_no_value() -> None:
    ones = re.sub(r"\| (22|5|3|2) +\|\n", "| 1 |\n", HOLIDAY_ROWS)
    old = holidays("collect count", ones)
    new = holidays("C#", ones.replace("| -        | -             | 1 |\n", ""))
    changes = regions(old, new)
    assert changes and all(  # every input: one fewer
        c.detail["new"]["days"] == c.detail["old"]["days"] - 1 for c in changes)
    assert changes[2].message == (
        "Decision: days decides differently for 18 <= age < 60, service_years < 15: days 1 → 0")
    replayed(old, new, changes)


def test_a_changed_operator_is_analysed() -> None:
    changes = regions(holidays("collect min"), holidays("collect max"))
    assert [c.message for c in changes] == [
        "Decision: days decides differently for age < 18: days 5 → 22",
        "Decision: days decides differently for 18 <= age < 60, 15 <= service_years < 30: "
        "days 2 → 22",
        "Decision: days decides differently for age < 60, service_years > 29: days 5 → 22",
        "Decision: days decides differently for age > 59: days 3 → 22",
    ]


def test_a_first_table_becoming_a_sum_is_compared_value_by_value() -> None:
    changes = regions(holidays("first"), holidays("collect sum"))
    assert changes[0].message == (
        "Decision: days decides differently for age < 18, service_years < 30: days 22 → 27")
    replayed(holidays("first"), holidays("collect sum"), changes)


def test_what_is_not_analysed_says_why() -> None:
    computed = HOLIDAY_ROWS.replace("| 2     |", "| = input.age - 10 |")
    assert [c.message for c in regions(holidays("C+"), holidays("C+", computed))] == [
        "Decision: days: the inputs it now decides differently for are not analysed (row 5 of "
        "a collect sum table computes days = input.age - 10)"
    ]
    outputs = "- routing (list of one of: decline, refer, accept): where it goes\n"
    text = "## Decision: routing ({})\n\n| age | routing |\n|---|---|\n| - | accept |\n"
    first = compiled(outputs.replace("list of ", ""), text.format("first"))
    listed = compiled(outputs, text.format("collect"))
    assert [c.message for c in regions(first, listed)][-1] == (
        "Decision: routing: the inputs it now decides differently for are not analysed (the "
        "hit policy changed from first to collect: a list is not compared with one value)"
    )


# ----------------------------------------------------------------------------- brute force

CELLS = ["-", "< 5", "<= 5", "> 12", ">= 12", "5..12", "7", "not(7)", "]3..9["]
GRID = [{"a": a, "b": b} for a in range(21) for b in range(11)]
NUMBERS = ["-", "0", "1", "2", "5"]
# (hit policy, output type): the cells each may hold
KINDS = {
    ("collect sum", "integer"): NUMBERS, ("C+", "integer"): NUMBERS,
    ("collect min", "integer"): NUMBERS, ("collect max", "integer"): NUMBERS,
    ("collect count", "integer"): ["1", "-"], ("C#", "integer"): ["1", "-"],
    ("collect sum", "money"): ["-", "0.1", "0.2", "0.3", "1"],
    ("collect max", "money"): ["-", "0.1", "0.2", "0.3", "1"],
    ("collect", "list of integer"): NUMBERS, ("rule order", "list of integer"): NUMBERS,
    ("collect", "list of one of: x, y, z;"): ["-", "x", "y", "z"],
    ("output order", "list of one of: x, y, z;"): ["-", "x", "y", "z"],
}
Kind = tuple[str, str]
Rows = list[tuple[str, str, str]]


def _text(rows: Rows, kind: Kind) -> str:
    how, output = kind
    body = "\n".join(f"| {a} | {b} | {v} |" for a, b, v in rows)
    return (
        "---\nname: gen\n---\n# Gen\n\n## Input\n\n| field | type | constraints |\n|---|---|---|\n"
        "| a | integer | 0..20 |\n| b | integer | 0..10 |\n\n## Output\n\n"
        f"- out ({output}, optional): o\n\n## Decision: out ({how})\n\n"
        f"| a | b | out |\n|---|---|---|\n{body}\n"
    )


@st.composite
def edits(draw: st.DrawFn) -> tuple[Kind, Rows, Kind, Rows]:
    kind = draw(st.sampled_from(sorted(KINDS)))
    values = KINDS[kind]
    row = st.tuples(st.sampled_from(CELLS), st.sampled_from(CELLS), st.sampled_from(values))
    before = draw(st.lists(row, min_size=1, max_size=4))
    after = list(before)
    for _ in range(draw(st.integers(1, 2))):
        what = draw(st.sampled_from(["cell", "value", "add", "remove", "swap"]))
        i = draw(st.integers(0, len(after) - 1))
        if what == "cell":
            column = draw(st.integers(0, 1))
            cells = list(after[i])
            cells[column] = draw(st.sampled_from(CELLS))
            after[i] = (cells[0], cells[1], cells[2])
        elif what == "value":
            after[i] = (after[i][0], after[i][1], draw(st.sampled_from(values)))
        elif what == "add":
            after.insert(i, draw(row))
        elif what == "remove" and len(after) > 1:
            del after[i]
        elif what == "swap" and i + 1 < len(after):
            after[i], after[i + 1] = after[i + 1], after[i]
    alike = [k for k in KINDS if KINDS[k] == values and k[1] == kind[1]]  # the same cells fit
    return kind, before, draw(st.sampled_from(alike)), after


_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _inside(region: str, point: dict[str, int]) -> bool:
    """Whether ``point`` is in a region as the diff writes it (``3 <= a < 9, b=7``)."""
    if region == "every input":
        return True
    for part in region.split(", "):
        found = re.fullmatch(r"(?:(\d+) (<=?) )?([ab])(?:=(\d+)| ([<>]=?) (\d+))?", part)
        assert found is not None, part
        low, low_op, name, equal, op, high = found.groups()
        value = point[name]
        if equal is not None and value != int(equal):
            return False
        if low is not None and not _OPS[low_op](int(low), value):
            return False
        if op is not None and not _OPS[op](value, int(high)):
            return False
    return True


@settings(max_examples=150, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(edits())
@example((("collect count", "integer"), [("-", "-", "1"), ("< 5", "7", "1"), ("5..12", "-", "-")],
          ("C#", "integer"), [("< 5", "-", "1"), ("< 5", "7", "1"), ("5..12", "-", "1")]))
@example((("output order", "list of one of: x, y, z;"), [("-", "-", "z"), ("> 12", "7", "x")],
          ("output order", "list of one of: x, y, z;"), [("-", "-", "z"), ("> 12", "-", "y")]))
def test_generated_edits_agree_with_brute_force(drawn: tuple[Kind, Rows, Kind, Rows]) -> None:
    kind_before, before, kind_after, after = drawn
    old = compile_spec(_text(before, kind_before), "specs/gen.md")
    new = compile_spec(_text(after, kind_after), "specs/gen.md")
    changes = decided_differently(old, new, old.tables[0], new.tables[0])
    truncated = bool(changes) and changes[-1].detail.get("truncated") is True
    listed = changes[:-1] if truncated else changes
    assert len(listed) <= LIMIT and all(c.what == "decides differently" for c in listed)

    def out(spec: CompiledSpec, point: dict[str, int]) -> Any:
        return evaluate_table(spec.tables[0], to_cel_values(spec.spec.inputs, point)).results.get(
            "out")

    answers = {(p["a"], p["b"]): (out(old, p), out(new, p)) for p in GRID}
    for change in listed:  # every input of a region changes as the region says
        example = change.detail["example"]
        assert answers[(example.get("a", 0), example.get("b", 0))] == (
            change.detail["old"]["out"], change.detail["new"]["out"]), change.message
        for point in GRID:
            if _inside(change.detail["region"], point):
                was, now = answers[(point["a"], point["b"])]
                assert (was, now) == (change.detail["old"]["out"], change.detail["new"]["out"]), (
                    change.message, point)
    if not truncated:  # and every changed input is in a region
        for point in GRID:
            was, now = answers[(point["a"], point["b"])]
            if was != now:
                assert any(_inside(c.detail["region"], point) for c in listed), (point, was, now)


def test_an_example_the_evaluator_cannot_decide_is_shown_from_the_rows_that_match() -> None:
    """The evaluator raising on an example (a CEL error) does not lose the answer: the rows the
    solver says match are gathered by the same hit policy code."""
    spec = holidays("collect sum")
    table = spec.tables[0]
    model = SpecModel(spec.spec, [table])
    terms = model.table(table)
    example = {"age": 16, "service_years": 1}
    _, _, point = model.explain(
        z3.And(*(model.vars[("input", n)].fix(v) for n, v in example.items())), model.inputs())
    assert answers(spec, table, terms, point, example) == {"days": 27}
    broken = table.model_copy(update={"cel": "[1 / 0]"})
    assert answers(spec, broken, terms, point, example) == {"days": 27}


def test_more_regions_than_the_limit_are_cut_and_said_so() -> None:
    rows = [(str(k), "-", str(k)) for k in range(16)]
    old = compile_spec(_text(rows, ("collect sum", "integer")), "specs/gen.md")
    more = [(a, b, str(int(v) + 1)) for a, b, v in rows]
    new = compile_spec(_text(more, ("C+", "integer")), "specs/gen.md")
    changes = decided_differently(old, new, old.tables[0], new.tables[0])
    assert [c.message for c in changes[:2]] == [
        "Decision: out decides differently for a < 1: out 0 → 1",
        "Decision: out decides differently for 0 < a < 2: out 1 → 2",
    ]
    assert len(changes) == LIMIT + 1 and changes[-1].detail == {
        "table": "Decision: out", "truncated": True}
    assert changes[-1].message == (
        "Decision: out: more inputs are decided differently (only the first 12 regions are listed)")
