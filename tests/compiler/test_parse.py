"""parse_spec, document level: front matter, title and description, sections, the reference spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from specwright.compiler import parse_spec
from specwright.compiler.errors import Diagnostic, SpecError
from specwright.compiler.ir import Route, RouteModel, Spec

SOURCE = "specs/demo.md"
REFERENCE = Path(__file__).resolve().parents[2] / "specs" / "carrier-selection.md"

BODY = """
# Demo

Decide things.

## Input

| field     | type   | constraints | description |
|-----------|--------|-------------|-------------|
| weight_kg | number | > 0         | Weight      |

## Output

| field | type   | description |
|-------|--------|-------------|
| ok    | yes/no | Fine        |
"""


def doc(front: str = "name: demo", body: str = BODY) -> str:
    return f"---\n{front}\n---\n{body}"


def errors(text: str, source: str = SOURCE) -> list[Diagnostic]:
    with pytest.raises(SpecError) as info:
        parse_spec(text, source)
    assert info.value.diagnostics
    return list(info.value.diagnostics)


def one_error(text: str, source: str = SOURCE) -> Diagnostic:
    found = errors(text, source)
    assert len(found) == 1, [str(d) for d in found]
    return found[0]


def where(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based (line, col) of the nth occurrence of needle: computed independently of the parser."""
    pos = -1
    for _ in range(nth + 1):
        pos = text.index(needle, pos + 1)
    before = text[:pos]
    return before.count("\n") + 1, pos - (before.rfind("\n") + 1) + 1


def assert_at(d: Diagnostic, text: str, needle: str, message: str, nth: int = 0) -> None:
    assert (d.line, d.col) == where(text, needle, nth), str(d)
    assert d.message == message
    assert d.file == SOURCE


# ----------------------------------------------------------------------------- the basics


def test_minimal_spec_parses() -> None:
    spec = parse_spec(doc(), SOURCE)
    assert isinstance(spec, Spec)
    assert (spec.source, spec.name, spec.title, spec.owner) == (SOURCE, "demo", "Demo", None)
    assert spec.description == "Decide things."
    assert [f.name for f in spec.inputs] == ["weight_kg"]
    assert [f.name for f in spec.outputs] == ["ok"]
    assert spec.route == Route()
    assert (spec.rules, spec.tables, spec.guardrails, spec.examples) == ((), (), (), ())


def test_parse_is_deterministic() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    one = parse_spec(text, "specs/carrier-selection.md")
    two = parse_spec(text, "specs/carrier-selection.md")
    assert one == two
    assert one.model_dump_json() == two.model_dump_json()


def test_crlf_and_bom_do_not_move_locations() -> None:
    text = doc(body=BODY.replace("| number |", "| nmber  |"))
    plain = one_error(text)
    crlf = one_error("\ufeff" + text.replace("\n", "\r\n"))
    assert (plain.line, plain.col, plain.message) == (crlf.line, crlf.col, crlf.message)


def test_every_problem_is_reported_at_once_sorted_by_position() -> None:
    text = doc(
        front="name: demo\nrouting: fallbak",
        body=BODY.replace("number", "nmber").replace("yes/no", "yes/nope"),
    )
    found = errors(text)
    assert [d.message for d in found] == [
        'unknown routing "fallbak" (did you mean "fallback"?)',
        'unknown type "nmber" (did you mean "number"?)',
        'unknown type "yes/nope" (did you mean "yes/no"?)',
    ]
    assert [d.line for d in found] == sorted(d.line for d in found)
    assert (
        str(found[1])
        == f"{SOURCE}:{where(text, 'nmber')[0]}:{where(text, 'nmber')[1]}: error: "
        + found[1].message
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00\x01\x02",
        "---",
        "---\n---",
        "# only a title",
        "|||\n|-|-|\n",
        "```json\n{",
        "\ufffe" * 10,
    ],
)
def test_garbage_raises_only_spec_error(text: str) -> None:
    found = errors(text)
    assert all(d.line >= 1 and d.col >= 1 and d.message for d in found)


# ----------------------------------------------------------------------------- title and description


def test_front_matter_title_wins_over_heading() -> None:
    spec = parse_spec(doc(front="name: demo\ntitle: Official title"), SOURCE)
    assert spec.title == "Official title"


def test_description_keeps_markdown_and_stops_at_first_section() -> None:
    body = BODY.replace(
        "Decide things.", "Decide *things*.\n\n- one\n- two\n\n### Background\n\nMore."
    )
    spec = parse_spec(doc(body=body), SOURCE)
    assert spec.description == "Decide *things*.\n\n- one\n- two\n\n### Background\n\nMore."


def test_missing_title_is_an_error() -> None:
    text = doc(body=BODY.replace("# Demo\n", ""))
    d = one_error(text)
    assert_at(
        d, text, "Decide", 'the spec has no title: add a "# <Title>" line after the front matter'
    )


def test_second_title_is_an_error() -> None:
    text = doc(body=BODY + "\n# Notes\n")
    d = one_error(text)
    assert_at(
        d,
        text,
        "Notes",
        'a second "# Notes" title: a spec has one "#" title; use "##" for sections',
    )


# ----------------------------------------------------------------------------- front matter


def test_missing_front_matter() -> None:
    d = errors(BODY.lstrip())[0]
    assert (d.line, d.col) == (1, 1)
    assert d.message.startswith('missing front matter: start the file with a "---" line')


def test_unclosed_front_matter() -> None:
    found = errors("---\nname: demo\n" + BODY)
    assert (found[0].line, found[0].col) == (1, 1)
    assert found[0].message == 'front matter is not closed: add a "---" line after it'


def test_yaml_error_is_located_in_the_file() -> None:
    text = doc(front="name: demo\nmodels: [openai:gpt-4.1")
    d = one_error(text)
    assert d.line == 3  # the models line: file line = YAML line + the opening "---"
    assert d.message.startswith("front matter is not valid YAML: expected ',' or ']'")


def test_yaml_bad_indentation_points_at_the_key() -> None:
    text = doc(front="name: demo\n  owner: x\ntitle: [")
    d = errors(text)[0]
    assert d.line in (3, 4) and d.message.startswith("front matter is not valid YAML")


def test_empty_front_matter() -> None:
    d = one_error(doc(front=""))
    assert (d.line, d.message) == (1, 'front matter is empty: add "name: <spec-name>"')


def test_front_matter_must_be_a_mapping() -> None:
    d = one_error(doc(front="- name\n- demo"))
    assert (d.line, d.message) == (2, 'front matter must be "key: value" lines (name, title, ...)')


def test_name_is_required_and_the_fix_names_the_file() -> None:
    d = one_error(doc(front="title: Demo"))
    assert d.message == 'front matter has no name: add "name: demo"'


def test_name_must_be_kebab_case() -> None:
    text = doc(front="name: Demo_Spec")
    d = one_error(text)
    assert_at(
        d,
        text,
        "Demo_Spec",
        'name "Demo_Spec" must be kebab-case (lowercase words joined by "-"), like "demo-spec"',
    )


def test_name_must_match_the_file_stem() -> None:
    text = doc(front="name: other")
    d = one_error(text)
    assert_at(
        d,
        text,
        "other",
        'name "other" does not match the file name "demo.md": write "name: demo" or rename the file to "other.md"',
    )


@pytest.mark.parametrize("source", ["<memory>", "specs\\demo.md", "/abs/path/specs/demo.md"])
def test_stem_check_only_for_markdown_paths(source: str) -> None:
    assert parse_spec(doc(), source).source == source


def test_unknown_key_with_did_you_mean() -> None:
    text = doc(front="name: demo\nowners: ops\nmodel: openai:gpt-4.1")
    found = errors(text)
    assert_at(found[0], text, "owners", 'unknown front matter key "owners" (did you mean "owner"?)')
    assert_at(found[1], text, "model:", 'unknown front matter key "model" (did you mean "models"?)')


def test_unknown_key_without_close_match_lists_keys() -> None:
    d = one_error(doc(front="name: demo\ncolour: red"))
    assert (
        d.message
        == 'unknown front matter key "colour" (keys are: name, title, owner, models, routing, review when, temperature, seed, top_p, max_tokens, answer cache)'
    )


def test_duplicate_key() -> None:
    text = doc(front="name: demo\nowner: a\nowner: b")
    assert_at(one_error(text), text, "owner: b", 'front matter key "owner" appears twice')


@pytest.mark.parametrize("key", ["title", "owner"])
def test_title_and_owner_must_be_text(key: str) -> None:
    assert one_error(doc(front=f"name: demo\n{key}: [1, 2]")).message == f"{key} must be text"


def test_route_from_strings() -> None:
    front = "name: demo\nowner: ops\nmodels:\n  - anthropic:claude-haiku-4-5\n  - openai:gpt-4.1-mini\nrouting: cheapest"
    spec = parse_spec(doc(front=front), SOURCE)
    assert spec.owner == "ops"
    assert spec.route.strategy == "cheapest"
    assert spec.route.models == (
        RouteModel(ref="anthropic:claude-haiku-4-5"),
        RouteModel(ref="openai:gpt-4.1-mini"),
    )
    assert spec.route.loc.line == 4


def test_route_weighted_mappings() -> None:
    front = "name: demo\nmodels:\n  - {model: openai:gpt-4.1, weight: 3}\n  - model: ollama:llama3:8b\n    weight: 0.5\nrouting: weighted"
    spec = parse_spec(doc(front=front), SOURCE)
    assert spec.route.models == (
        RouteModel(ref="openai:gpt-4.1", weight=3.0),
        RouteModel(ref="ollama:llama3:8b", weight=0.5),
    )


def test_a_single_model_string_is_accepted() -> None:
    spec = parse_spec(doc(front="name: demo\nmodels: openai:gpt-4.1-mini"), SOURCE)
    assert spec.route.models == (RouteModel(ref="openai:gpt-4.1-mini"),)


@pytest.mark.parametrize("strategy", ["fallback", "weighted", "least-busy", "cheapest", "fastest"])
def test_every_routing_strategy(strategy: str) -> None:
    front = f"name: demo\nrouting: {strategy}"
    assert parse_spec(doc(front=front), SOURCE).route.strategy == strategy


def test_routing_typo() -> None:
    text = doc(front="name: demo\nrouting: least_busy")
    assert_at(
        one_error(text),
        text,
        "least_busy",
        'unknown routing "least_busy" (did you mean "least-busy"?)',
    )


def test_routing_nonsense_lists_strategies() -> None:
    d = one_error(doc(front="name: demo\nrouting: random"))
    assert (
        d.message
        == 'unknown routing "random" (one of: fallback, weighted, least-busy, cheapest, fastest)'
    )


@pytest.mark.parametrize(
    ("models", "message"),
    [
        ("[gpt-4]", 'model "gpt-4" must be written "provider:model", like "openai:gpt-4.1-mini"'),
        ("[5]", 'model "5" must be written "provider:model", like "openai:gpt-4.1-mini"'),
        ("{a: b}", 'models must be a list of "provider:model" entries'),
        ("[openai:x, openai:x]", 'model "openai:x" is listed twice'),
        (
            "[{model: openai:x, wieght: 2}]",
            'unknown model setting "wieght" (did you mean "weight"?)',
        ),
    ],
)
def test_bad_models(models: str, message: str) -> None:
    found = errors(doc(front=f"name: demo\nmodels: {models}"))
    assert message in [d.message for d in found]


def test_weight_needs_weighted_routing() -> None:
    d = one_error(doc(front="name: demo\nmodels:\n  - {model: openai:x, weight: 2}"))
    assert (d.line, d.message) == (
        3,
        'model weights are only used with "routing: weighted": add it or remove the weights',
    )


def test_weighted_routing_needs_every_weight() -> None:
    text = doc(
        front="name: demo\nrouting: weighted\nmodels:\n  - {model: openai:x, weight: 2}\n  - openai:y"
    )
    assert_at(
        one_error(text),
        text,
        "openai:y",
        'routing is weighted but model "openai:y" has no weight: write "- {model: openai:y, weight: 1}"',
    )


@pytest.mark.parametrize("weight", ["0", "-1", "yes", ".inf", "'2'"])
def test_weight_must_be_positive_number(weight: str) -> None:
    d = one_error(
        doc(
            front=f"name: demo\nrouting: weighted\nmodels:\n  - {{model: openai:x, weight: {weight}}}"
        )
    )
    assert d.message.startswith('weight of "openai:x" must be a number greater than 0')


# ----------------------------------------------------------------------------- sections


@pytest.mark.parametrize(
    ("heading", "message"),
    [
        ("Guardrail", 'unknown section "Guardrail" (did you mean "Guardrails"?)'),
        ("Exampels", 'unknown section "Exampels" (did you mean "Examples"?)'),
        ("Decison: ok", 'unknown section "Decison: ok" (did you mean "Decision: ok"?)'),
        ("Rulez and notes", 'unknown section "Rulez and notes" (did you mean "Rules"?)'),
        (
            "Notes",
            'unknown section "Notes": the sections are Input, Output, Derived, Rules, Decision: <field>, Guardrails, '
            "Examples (an object type section needs a table with columns field | type | constraints | description)",
        ),
    ],
)
def test_unknown_section(heading: str, message: str) -> None:
    text = doc(body=BODY + f"\n## {heading}\n\nSomething.\n")
    assert_at(one_error(text), text, heading, message)


def test_duplicate_section() -> None:
    text = doc(body=BODY + "\n## Output\n\n| field | type |\n|---|---|\n| b | text |\n")
    d = one_error(text)
    assert_at(
        d,
        text,
        "Output",
        f'section "Output" appears twice (first on line {where(text, "Output")[0]}): merge them',
        nth=1,
    )


@pytest.mark.parametrize("section", ["Input", "Output"])
def test_missing_input_or_output(section: str) -> None:
    start = BODY.index(f"## {section}")
    end = BODY.find("## ", start + 3)
    text = doc(body=BODY[:start] + (BODY[end:] if end > 0 else ""))
    d = one_error(text)
    assert_at(
        d,
        text,
        "# Demo",
        f'missing section "## {section}": add it with a table with columns field | type | constraints | description',
    )


def test_section_without_fields() -> None:
    text = doc(
        body=BODY.replace(
            "| field | type   | description |\n|-------|--------|-------------|\n| ok    | yes/no | Fine        |",
            "To be decided.",
        )
    )
    d = one_error(text)
    assert_at(
        d,
        text,
        "Output",
        '"## Output" has no fields: add a table with columns field | type | constraints | description',
    )


def test_section_names_are_case_insensitive() -> None:
    spec = parse_spec(
        doc(body=BODY.replace("## Input", "## INPUT").replace("## Output", "## output")), SOURCE
    )
    assert spec.inputs and spec.outputs


def test_front_matter_without_opening_line_gets_a_hint() -> None:
    text = "name: demo\n---\n" + BODY
    messages = [d.message for d in errors(text)]
    assert (
        '"name: demo" reads as a heading because of the "---" line under it: front matter goes at the '
        'very top of the file, between two "---" lines'
    ) in messages


# ----------------------------------------------------------------------------- the reference spec


def test_reference_spec_ir() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    spec = parse_spec(text, "specs/carrier-selection.md")
    assert (spec.name, spec.title, spec.owner) == (
        "carrier-selection",
        "Carrier selection",
        "fulfilment-ops",
    )
    assert spec.route.strategy == "fallback"
    assert [m.ref for m in spec.route.models] == [
        "anthropic:claude-haiku-4-5",
        "openai:gpt-4.1-mini",
    ]
    assert spec.description.startswith("Choose the carrier and service level")
    assert spec.description.endswith("keep it short and concrete.")

    inputs = {f.name: f for f in spec.inputs}
    assert list(inputs) == [
        "order_id",
        "weight_kg",
        "destination_country",
        "destination_region",
        "promised_days",
        "declared_value",
        "hazmat",
    ]
    t = inputs["order_id"].type
    assert (t.kind, t.min_length, t.max_length) == ("text", 1, 40)
    t = inputs["weight_kg"].type
    assert (t.kind, t.exclusive_minimum, t.maximum, t.minimum) == ("number", 0, 70, None)
    t = inputs["destination_country"].type
    assert (t.kind, t.pattern, t.min_length, t.max_length) == ("text", "^[A-Za-z]{2}$", 2, 2)
    assert inputs["destination_region"].required is False
    assert (
        inputs["promised_days"].type.kind,
        inputs["promised_days"].type.minimum,
        inputs["promised_days"].type.maximum,
    ) == ("integer", 1, 14)
    assert (inputs["declared_value"].type.kind, inputs["declared_value"].type.minimum) == (
        "money",
        0,
    )
    hazmat = inputs["hazmat"]
    assert (hazmat.type.kind, hazmat.required, hazmat.has_default, hazmat.default) == (
        "boolean",
        False,
        True,
        False,
    )
    assert hazmat.description == "The parcel contains dangerous goods"
    assert (inputs["weight_kg"].loc.line, inputs["weight_kg"].loc.col) == where(text, "weight_kg ")

    outputs = {f.name: f for f in spec.outputs}
    assert outputs["carrier"].type.values == ("ups", "fedex", "usps", "dhl")
    assert outputs["service"].type.values == ("ground", "express", "overnight")
    assert (outputs["reason"].type.kind, outputs["reason"].type.max_length) == ("text", 200)
    assert all(f.required for f in spec.outputs)

    assert [r.number for r in spec.rules] == [1, 2, 3, 4, 5]
    assert spec.rules[0].text == "Never ship hazmat parcels with USPS."
    assert spec.rules[4].text == "Explain the choice in one plain sentence in `reason`."
    assert (spec.rules[1].loc.line, spec.rules[1].loc.col) == where(text, "International shipments")

    service, insured = spec.tables
    assert (service.field, service.hit_policy, insured.field) == ("service", "first", "insured")
    assert [c.text for c in service.columns] == ["promised_days", "destination_region", "service"]
    assert [[c.text for c in r.cells] for r in service.rows] == [
        ["<= 1", "-", "overnight"],
        ["2..3", "-", "express"],
        ["4..6", '"AK", "HI"', "express"],
        ["-", "-", "ground"],
    ]
    cell = service.rows[2].cells[1]
    assert (cell.loc.line, cell.loc.col) == where(text, '"AK", "HI"')
    assert (service.rows[2].loc.line, service.rows[2].number) == (where(text, "| 4..6")[0], 3)
    assert (service.loc.line, service.loc.col) == where(text, "Decision: service")
    assert [[c.text for c in r.cells] for r in insured.rows] == [["> 1000", "yes"], ["-", "no"]]

    hazmat_rule, international = spec.guardrails
    assert hazmat_rule.label == "Hazmat never goes with USPS"
    assert hazmat_rule.expression == '!(input.hazmat && output.carrier == "usps")'
    assert (hazmat_rule.loc.line, hazmat_rule.loc.col) == where(text, "!(input.hazmat")
    assert international.label == "International parcels worth $50 or more never go with USPS"
    assert international.expression.startswith('input.destination_country == "US" ||')
    assert international.expression.endswith("input.declared_value < 50.0")
    assert (international.loc.line, international.loc.col) == where(
        text, 'input.destination_country == "US"'
    )

    assert [e.title for e in spec.examples] == [
        "Small domestic parcel",
        "Hawaii, four days",
        "Hazmat abroad",
    ]
    first = spec.examples[0]
    assert first.input["weight_kg"] == 1.2 and first.input["destination_region"] == "OR"
    assert first.output == {"service": "ground", "insured": False}
    assert spec.examples[2].output == {"carrier": "dhl", "service": "ground", "insured": False}
    assert (first.loc.line, first.loc.col) == where(text, "Small domestic parcel")
