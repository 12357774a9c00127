"""Examples: validated against the fields, and the tables and guardrails held to them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import semantic_kit as k  # noqa: E402

from specwright.compiler import compile_spec  # noqa: E402
from specwright.compiler.errors import SpecError  # noqa: E402
from specwright.compiler.ir import Example  # noqa: E402

ROOT = Path(__file__).parents[2]
REFERENCE = next(
    (
        p
        for p in (
            ROOT / "specs" / "carrier-selection.md",
            ROOT.parent / "shared" / "design" / "examples" / "carrier-selection.md",
        )
        if p.exists()
    ),
    ROOT / "specs" / "carrier-selection.md",
)
SOURCE = "specs/carrier-selection.md"
D = k.SOURCE
TABLES = (k.table("service", k.SERVICE), k.table("insured", k.INSURED, line=30))
GUARDS = (
    k.guard("Hazmat never goes with USPS", '!(input.hazmat && output.carrier == "usps")', line=40),
)
HAWAII = {
    "order_id": "A-1002",
    "weight_kg": 3.0,
    "destination_country": "US",
    "destination_region": "HI",
    "promised_days": 4,
    "declared_value": 1500,
}


def errors(*examples: Example) -> list[str]:
    spec = k.spec(
        k.CARRIER_INPUTS, k.CARRIER_OUTPUTS, tables=TABLES, guardrails=GUARDS, examples=examples
    )
    return k.errors(spec)


@pytest.fixture(scope="module")
def reference_text() -> str:
    assert REFERENCE.exists(), f"{REFERENCE} is missing: the reference spec is part of the project"
    return REFERENCE.read_text(encoding="utf-8")


def test_the_reference_spec_compiles(reference_text: str) -> None:
    compiled = compile_spec(reference_text, SOURCE)
    assert [t.name for t in compiled.tables] == ["Decision: service", "Decision: insured"]
    assert compiled.tables[0].cel == (
        "[input.promised_days <= 1, (input.promised_days >= 2 && input.promised_days <= 3), "
        "(input.promised_days >= 4 && input.promised_days <= 6) && input.destination_region in "
        '["AK", "HI"], true]'
    )
    assert compiled.tables[1].cel == "[input.declared_value > 1000.0, true]"
    assert [g.label for g in compiled.guardrails] == [
        "Hazmat never goes with USPS",
        "International parcels worth $50 or more never go with USPS",
    ]
    assert compiled.table_decided == ("service", "insured")
    assert compiled.model_decided == ("carrier", "reason")


def test_a_contradicted_example_is_located_at_the_example(reference_text: str) -> None:
    text = reference_text.replace(
        '"output": {"service": "express", "insured": true}',
        '"output": {"service": "ground", "insured": true}',
    )
    with pytest.raises(SpecError) as info:
        compile_spec(text, SOURCE)
    (diagnostic,) = info.value.diagnostics
    line = next(n for n, t in enumerate(text.splitlines(), start=1) if t == "### Hawaii, four days")
    assert diagnostic.file == SOURCE
    assert line <= diagnostic.line <= line + 3
    assert diagnostic.message == (
        "example 'Hawaii, four days' expects service=ground; Decision: service row 3 gives express"
    )


def test_examples_that_agree_with_the_tables_pass() -> None:
    assert errors(k.example("Hawaii", HAWAII, {"service": "express", "insured": True})) == []
    assert errors(k.example("Only the model's part", HAWAII, {"carrier": "ups"})) == []


def test_contradictions_name_the_row() -> None:
    assert errors(k.example("Hawaii", HAWAII, {"service": "express", "insured": False})) == [
        f"{D}:60:1: error: example 'Hawaii' expects insured=no; Decision: insured row 1 gives yes"
    ]


def test_an_input_no_row_decides_is_an_error() -> None:
    gap = k.table("service", "promised_days | service\n<= 1 | overnight")
    spec = k.spec(
        k.CARRIER_INPUTS,
        k.CARRIER_OUTPUTS,
        tables=(gap,),
        examples=(k.example("Hawaii", HAWAII, {}),),
    )
    # found by the analysis at compile time, before any example runs
    assert k.errors(spec) == [
        f"{D}:20:4: error: Decision: service has a gap: no row matches promised_days=2: add a row "
        "for it (or a last row of - cells for everything else)",
    ]
    optional = tuple(
        o.model_copy(update={"required": False}) if o.name == "service" else o
        for o in k.CARRIER_OUTPUTS
    )
    spec = k.spec(k.CARRIER_INPUTS, optional, tables=(gap,), examples=(k.example("Hawaii", HAWAII, {}),))
    assert k.errors(spec) == []  # an optional output may stay unset


def test_example_inputs_and_outputs_are_validated() -> None:
    bad_input = {**HAWAII, "promised_days": 15, "weight_kg": "3", "destination_regoin": "HI"}
    del bad_input["order_id"]
    assert errors(k.example("Bad", bad_input, {"service": "expres", "insurd": True})) == [
        f"{D}:60:1: error: example 'Bad': input.destination_regoin is not an Input field "
        '(did you mean "destination_region"?)',
        f"{D}:60:1: error: example 'Bad': input.order_id is missing (it is required)",
        f"{D}:60:1: error: example 'Bad': input.promised_days: 15 is not <= 14",
        f"{D}:60:1: error: example 'Bad': input.weight_kg: \"3\" is not a number",
        f"{D}:60:1: error: example 'Bad': output.insurd is not an Output field (did you mean \"insured\"?)",
        f"{D}:60:1: error: example 'Bad': output.service: \"expres\" is not one of: ground, express, "
        'overnight (did you mean "express"?)',
    ]
    assert errors(
        k.example("Short", {**HAWAII, "destination_country": "USA", "order_id": ""}, {})
    ) == [
        f"{D}:60:1: error: example 'Short': input.destination_country: \"USA\" does not match the "
        "pattern ^[A-Za-z]{2}$",
        f"{D}:60:1: error: example 'Short': input.order_id has 0 characters, fewer than 1",
    ]


def test_guardrails_are_checked_when_the_example_names_what_they_read() -> None:
    hazmat = {**HAWAII, "hazmat": True}
    assert errors(k.example("Hazmat by USPS", hazmat, {"carrier": "usps"})) == [
        f"{D}:60:1: error: example 'Hazmat by USPS' violates guardrail 'Hazmat never goes with USPS' "
        "(line 40)"
    ]
    # the example does not say which carrier: the guardrail is not checked
    assert errors(k.example("Hazmat", hazmat, {"service": "express"})) == []


def test_duplicate_titles() -> None:
    assert errors(k.example("Same", HAWAII, {}), k.example("Same", HAWAII, {}, line=70)) == [
        f"{D}:70:1: error: example 'Same' appears twice (first on line 60): give each example its "
        "own title"
    ]


@pytest.mark.parametrize("path", sorted((ROOT / "specs").glob("*.md")), ids=lambda p: p.name)
def test_every_project_spec_checks(path: Path) -> None:
    compiled = compile_spec(path.read_text(encoding="utf-8"), f"specs/{path.name}")
    decided = set(compiled.table_decided) | set(compiled.model_decided)
    assert decided == {f.name for f in compiled.spec.outputs}
