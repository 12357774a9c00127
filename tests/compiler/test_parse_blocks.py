"""Rules, decision tables, guardrails and examples."""

from __future__ import annotations

import pytest

from specwright.compiler import parse_spec
from specwright.compiler.errors import Diagnostic, SpecError
from specwright.compiler.ir import Spec

SOURCE = "specs/demo.md"
HEAD = """---
name: demo
---

# Demo

## Input

| field | type    |
|-------|---------|
| days  | integer |
| zone  | text    |

## Output

| field   | type                     |
|---------|--------------------------|
| service | one of: ground, express  |
"""


def doc(section: str) -> str:
    return HEAD + "\n" + section


def parse(section: str) -> Spec:
    return parse_spec(doc(section), SOURCE)


def errors(text: str) -> list[Diagnostic]:
    with pytest.raises(SpecError) as info:
        parse_spec(text, SOURCE)
    return list(info.value.diagnostics)


def one_error(text: str) -> Diagnostic:
    found = errors(text)
    assert len(found) == 1, [str(d) for d in found]
    return found[0]


def where(text: str, needle: str, nth: int = 0, after: str = "") -> tuple[int, int]:
    pos = text.index(after) - 1 if after else -1
    for _ in range(nth + 1):
        pos = text.index(needle, pos + 1)
    return text[:pos].count("\n") + 1, pos - text[:pos].rfind("\n")


def at(d: Diagnostic) -> tuple[int, int]:
    return d.line, d.col


# ----------------------------------------------------------------------------- rules


def test_numbered_rules() -> None:
    text = doc("## Rules\n\n1. Ship fast.\n2. Prefer ground when\n   it is cheap.\n")
    rules = parse_spec(text, SOURCE).rules
    assert [(r.number, r.text) for r in rules] == [
        (1, "Ship fast."),
        (2, "Prefer ground when it is cheap."),
    ]
    assert (rules[1].loc.line, rules[1].loc.col) == where(text, "Prefer")


def test_bulleted_rules_and_subheadings_count_in_order() -> None:
    rules = parse("## Rules\n\n- One.\n\n### More\n\n* Two.\n").rules
    assert [(r.number, r.text) for r in rules] == [(1, "One."), (2, "Two.")]


def test_rule_with_a_nested_list_keeps_its_markdown() -> None:
    rules = parse("## Rules\n\n1. Prefer, in order:\n   - UPS\n   - DHL\n2. Done.\n").rules
    assert rules[0].text == "Prefer, in order:\n- UPS\n- DHL"


def test_paragraph_in_rules_is_an_error() -> None:
    text = doc("## Rules\n\nShip fast and cheap.\n")
    d = one_error(text)
    assert at(d) == (where(text, "Ship fast")[0], 1)
    assert (
        d.message
        == 'rules must be a numbered list: start each rule with "1.", "2.", ... on its own line'
    )


def test_code_in_rules_is_an_error() -> None:
    d = one_error(doc("## Rules\n\n```\nx\n```\n"))
    assert d.message == "unexpected code block in Rules: rules must be a numbered list"


def test_empty_rules_and_empty_rule() -> None:
    text = doc("## Rules\n")
    assert (
        one_error(text).message
        == 'the Rules section is empty: add a numbered list ("1. ...") or remove it'
    )
    text = doc("## Rules\n\n1. One.\n2.\n")
    d = one_error(text)
    assert d.message == "an empty rule: write the rule after the number"
    assert d.line == where(text, "2.")[0]


def test_html_comments_are_allowed() -> None:
    assert len(parse("## Rules\n\n<!-- reviewed by ops -->\n\n1. One.\n").rules) == 1


# ----------------------------------------------------------------------------- decision tables

TABLE = '| days | zone       | service |\n|------|------------|---------|\n| <= 2 | -          | express |\n| -    | "AK", "HI" | express |\n| -    | -          | ground  |\n'


def test_decision_table_cells_are_kept_raw_with_positions() -> None:
    text = doc("## Decision: service\n\nSome words first.\n\n" + TABLE)
    (table,) = parse_spec(text, SOURCE).tables
    assert (table.field, table.hit_policy) == ("service", "first")
    assert (table.loc.line, table.loc.col) == where(text, "Decision: service")
    assert [(c.text, c.loc.line, c.loc.col) for c in table.columns] == [
        ("days", *where(text, "days", after="| days |")),
        ("zone", *where(text, "zone", after="| days |")),
        ("service", *where(text, "service", after="| days |")),
    ]
    assert [r.number for r in table.rows] == [1, 2, 3]
    assert [[c.text for c in r.cells] for r in table.rows] == [
        ["<= 2", "-", "express"],
        ["-", '"AK", "HI"', "express"],
        ["-", "-", "ground"],
    ]
    cell = table.rows[1].cells[1]
    assert (cell.loc.line, cell.loc.col) == where(text, '"AK"')
    assert table.rows[2].loc.line == where(text, "| -    | -  ")[0]


def test_empty_cell_is_located_after_its_pipe() -> None:
    text = doc("## Decision: service\n\n| days | service |\n|---|---|\n|| ground |\n")
    cell = parse_spec(text, SOURCE).tables[0].rows[0].cells[0]
    assert (cell.text, cell.loc.line, cell.loc.col) == ("", where(text, "|| ground")[0], 2)


@pytest.mark.parametrize(
    ("heading", "policy"),
    [
        ("Decision: service (unique)", "unique"),
        ("Decision: service — hit policy: collect", "collect"),
        ("Decision: service - hit policy: any", "any"),
        ("Decision: service (hit policy: Priority)", "priority"),
        ("decision: `service`, first", "first"),
    ],
)
def test_hit_policies(heading: str, policy: str) -> None:
    (table,) = parse(f"## {heading}\n\n{TABLE}").tables
    assert (table.field, table.hit_policy) == ("service", policy)


def test_unknown_hit_policy() -> None:
    text = doc("## Decision: service (uniqe)\n\n" + TABLE)
    d = one_error(text)
    assert at(d) == where(text, "uniqe")
    assert d.message == 'unknown hit policy "uniqe" (did you mean "unique"?)'
    text = doc("## Decision: service (random)\n\n" + TABLE)
    assert (
        one_error(text).message
        == 'unknown hit policy "random" (hit policies are: first, unique, any, collect, '
        "priority, rule order, output order, collect sum, collect min, collect max, collect count)"
    )


def test_decision_without_field() -> None:
    text = doc("## Decision\n\n" + TABLE)
    d = one_error(text)
    assert at(d) == where(text, "Decision")
    assert d.message == 'name the output field this table decides, like "## Decision: service"'


def test_decision_field_must_be_a_field_name() -> None:
    text = doc("## Decision: Service\n\n" + TABLE)
    d = one_error(text)
    assert at(d) == where(text, "Service")
    assert d.message == '"Service" is not a field name: write the output field, like "service"'


def test_decision_without_table() -> None:
    text = doc("## Decision: service\n\nSee the other table.\n")
    d = one_error(text)
    assert (
        d.message
        == '"Decision: service" has no table: add a decision table whose columns are input fields, then the output field'
    )


def test_decision_with_pipes_but_no_table_says_why() -> None:
    text = doc("## Decision: service\n\n| days | service |\n|---|\n| 1 | ground |\n")
    assert one_error(text).message.startswith(
        '"Decision: service" has no table: the lines with "|" are not a table'
    )


def test_two_tables_in_one_decision() -> None:
    text = doc("## Decision: service\n\n" + TABLE + "\n" + TABLE)
    d = one_error(text)
    assert d.line == where(text, "| days", 1, after="## Decision")[0]
    assert (
        d.message
        == 'one table per decision section: give this table its own "## Decision: <field>"'
    )


def test_empty_decision_table() -> None:
    text = doc("## Decision: service\n\n| days | service |\n|---|---|\n")
    assert one_error(text).message == "the decision table has no rows: add at least one rule row"


def test_ragged_decision_rows_are_located_at_the_row() -> None:
    text = doc(
        "## Decision: service\n\n| days | zone | service |\n|---|---|---|\n| 1 | ground |\n| - | - | - | ground |\n"
    )
    found = errors(text)
    assert [(d.line, d.col, d.message) for d in found] == [
        (where(text, "| 1 | ground")[0], 1, "row 1 has 2 cells but the table has 3 columns"),
        (where(text, "| - | - | - |")[0], 1, "row 2 has 4 cells but the table has 3 columns"),
    ]


def test_two_decisions_for_one_field() -> None:
    text = doc("## Decision: service\n\n" + TABLE + "\n## Decision: service (unique)\n\n" + TABLE)
    d = one_error(text)
    assert at(d) == where(text, "Decision: service (unique)")
    assert d.message == (
        f'a second decision table for "service" (the first is on line {where(text, "Decision: service")[0]}): '
        "merge their rows into one table"
    )


# ----------------------------------------------------------------------------- guardrails


def test_guardrails_label_expression_and_location() -> None:
    text = doc(
        '## Guardrails\n\n- Fast when urgent: `input.days > 2 || output.service == "express"`\n'
        '- Never ground to Alaska:\n  `input.zone != "AK" ||\n  output.service != "ground"`\n'
    )
    first, second = parse_spec(text, SOURCE).guardrails
    assert (first.label, first.expression) == (
        "Fast when urgent",
        'input.days > 2 || output.service == "express"',
    )
    assert (first.loc.line, first.loc.col) == where(text, "input.days")
    assert (second.label, second.expression) == (
        "Never ground to Alaska",
        'input.zone != "AK" || output.service != "ground"',
    )
    assert (second.loc.line, second.loc.col) == where(text, 'input.zone != "AK"')


def test_guardrail_label_may_hold_code_and_expression_may_hold_backticks() -> None:
    text = doc("## Guardrails\n\n- The `zone` is kept: ``output.service != `x` `` \n")
    (g,) = parse_spec(text, SOURCE).guardrails
    assert (g.label, g.expression) == ("The `zone` is kept", "output.service != `x`")
    assert (g.loc.line, g.loc.col) == where(text, "output.service")


def test_guardrail_label_after_the_expression() -> None:
    (g,) = parse("## Guardrails\n\n1. `input.days >= 0` — days are never negative\n").guardrails
    assert (g.label, g.expression) == ("days are never negative", "input.days >= 0")


def test_guardrail_without_code() -> None:
    text = doc("## Guardrails\n\n- Days are never negative\n")
    d = one_error(text)
    assert at(d) == where(text, "Days")
    assert d.message == (
        'this guardrail has no expression in backticks: write it like "- Refund never exceeds the order total: '
        '`output.refund_amount <= input.order_total`"'
    )


def test_guardrail_without_label_or_expression() -> None:
    assert one_error(doc("## Guardrails\n\n- `input.days > 0`\n")).message.startswith(
        "this guardrail has no label"
    )
    text = doc("## Guardrails\n\n- Label: `  `\n")
    assert (
        one_error(text).message
        == "this guardrail's expression is empty: write the CEL expression between the backticks"
    )


def test_paragraph_in_guardrails() -> None:
    text = doc("## Guardrails\n\nDays: `input.days > 0`\n")
    d = one_error(text)
    assert (d.line, d.message.startswith("write each guardrail as a bullet")) == (
        where(text, "Days:")[0],
        True,
    )


# ----------------------------------------------------------------------------- examples


def test_json_yaml_and_unlabelled_examples() -> None:
    text = doc(
        '## Examples\n\n```json\n{"input": {"days": 1, "zone": "AK"}, "output": {"service": "express"}}\n```\n\n'
        "### Slow\n\nWords.\n\n```yaml\ninput:\n  days: 9\n  zone: OR\n  when: 2024-05-01\noutput: {}\n```\n\n"
        '### Plain\n\n```\n{"input": {}, "output": {}}\n```\n\n### Yml\n\n```yml\ninput: {a: yes}\noutput: {}\n```\n'
    )
    spec = parse_spec(text, SOURCE)
    assert [e.title for e in spec.examples] == ["example 1", "Slow", "Plain", "Yml"]
    assert spec.examples[0].input == {"days": 1, "zone": "AK"}
    assert spec.examples[0].output == {"service": "express"}
    assert (spec.examples[0].loc.line, spec.examples[0].loc.col) == (where(text, "```json")[0], 1)
    assert spec.examples[1].input == {"days": 9, "zone": "OR", "when": "2024-05-01"}
    assert (spec.examples[1].loc.line, spec.examples[1].loc.col) == where(text, "Slow")
    assert spec.examples[3].input == {"a": True}


def test_json_error_is_located_inside_the_block() -> None:
    text = doc(
        '## Examples\n\n### Broken\n\n```json\n{"input": {"days": 1,\n            "zone": },\n "output": {}}\n```\n'
    )
    d = one_error(text)
    assert at(d) == where(text, '},\n "output"')
    assert d.message == "the example is not valid JSON: Expecting value"


def test_yaml_error_is_located_inside_the_block() -> None:
    text = doc("## Examples\n\n### Broken\n\n```yaml\ninput:\n  days: [1\noutput: {}\n```\n")
    d = one_error(text)
    assert d.line == where(text, "output: {}")[0]
    assert d.message.startswith("the example is not valid YAML:")


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            "```json\n[1, 2]\n```",
            'an example is a mapping with input and output, like {"input": {...}, "output": {...}}',
        ),
        (
            '```json\n{"input": {}}\n```',
            '"output" of example "X" is missing: write it as {"field": value, ...}',
        ),
        (
            '```json\n{"input": [], "output": {}}\n```',
            '"input" of example "X" is not an object: write it as {"field": value, ...}',
        ),
        (
            '```json\n{"input": {}, "ouput": {}, "output": {}}\n```',
            'unknown key "ouput" in example "X" (did you mean "output"?)',
        ),
        (
            '```json\n{"input": {"a": NaN}, "output": {}}\n```',
            "the example is not valid: NaN is not a number an example can use",
        ),
        (
            '```json\n{"input": {"a": 1, "a": 2}, "output": {}}\n```',
            'the example is not valid: key "a" appears twice',
        ),
        (
            "```yaml\ninput: {1: a}\noutput: {}\n```",
            "the example is not valid: key 1 must be text: put it in quotes",
        ),
        (
            "```yaml\ninput: {a: .nan}\noutput: {}\n```",
            "the example is not valid: nan is not a number an example can use",
        ),
        ("```toml\na = 1\n```", 'an example block must be ```json or ```yaml, not "toml"'),
        ("```json\n\n```", 'the example block is empty: write {"input": {...}, "output": {...}}'),
        (
            '    {"input": {}}',
            "indented code is not read as an example: use a ```json (or ```yaml) fenced block",
        ),
        (
            "No code here.",
            'example "X" has no code block: add a ```json block with {"input": {...}, "output": {...}}',
        ),
    ],
)
def test_bad_examples(block: str, message: str) -> None:
    assert one_error(doc(f"## Examples\n\n### X\n\n{block}\n")).message == message


def test_two_blocks_in_one_example() -> None:
    block = '```json\n{"input": {}, "output": {}}\n```\n'
    text = doc(f"## Examples\n\n### X\n\n{block}\n{block}")
    d = one_error(text)
    assert d.line == where(text, "```json", 1)[0]
    assert (
        d.message == 'example "X" has more than one code block: give each example its own ### title'
    )


def test_duplicate_example_titles() -> None:
    block = '```json\n{"input": {}, "output": {}}\n```\n'
    text = doc(f"## Examples\n\n### Same\n\n{block}\n### same\n\n{block}")
    d = one_error(text)
    assert at(d) == where(text, "same")
    assert (
        d.message
        == f'two examples are called "same" (the first is on line {where(text, "Same")[0]}): give each its own title'
    )


def test_empty_examples_section() -> None:
    assert one_error(doc("## Examples\n")).message.startswith("the Examples section is empty")


@pytest.mark.parametrize(
    ("heading", "fields", "policy", "aggregation"),
    [
        ("Decision: service, zone_code (rule order)", ("service", "zone_code"), "rule order", None),
        ("Decision: service, zone_code, output order", ("service", "zone_code"), "output order",
         None),
        ("Decision: service (C+)", ("service",), "collect", "sum"),
        ("Decision: service — hit policy: Collect  Count", ("service",), "collect", "count"),
        ("Decision: service, `first`", ("service", "first"), "first", None),
        ("Decision: service, collect", ("service",), "collect", None),
        ("Decision: service, hit policy: C<", ("service",), "collect", "min"),
    ],
)
def test_headings_with_several_outputs_and_collect_operators(
    heading: str, fields: tuple[str, ...], policy: str, aggregation: str | None
) -> None:
    (table,) = parse(f"## {heading}\n\n{TABLE}").tables
    assert (table.field, *table.more_fields) == fields
    assert (table.hit_policy, table.aggregation) == (policy, aggregation)


def test_a_heading_field_that_is_not_a_name_is_located() -> None:
    text = doc("## Decision: service, ZoneCode\n\n" + TABLE)
    d = one_error(text)
    assert d.message == '"ZoneCode" is not a field name: write the output field, like "zone_code"'
    assert at(d) == where(text, "ZoneCode")
