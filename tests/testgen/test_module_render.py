"""``specwright.compiler.testgen``: the generated module is thin, readable, deterministic and revision-free."""

from __future__ import annotations

import ast

from tg_support import edit, spec_text

from specwright.compiler import compile_spec
from specwright.compiler.testgen import fields_read, identifier, render_test_module
from specwright.compiler.testgen import test_module_name as module_name


def _compiled(text: str | None = None, name: str = "carrier-selection"):  # type: ignore[no-untyped-def]
    return compile_spec(text or spec_text(name), f"specs/{name}.md")


def _tests(source: str) -> dict[str, str]:
    """Test function name -> the one statement of its body (docstring aside)."""
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            body = [n for n in node.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
            assert len(body) == 1, f"{node.name} is not a one-liner"
            out[node.name] = ast.unparse(body[0])
    return out


def test_one_named_test_per_example_table_and_guardrail() -> None:
    compiled = _compiled()
    source = render_test_module(compiled)
    tests = _tests(source)
    assert tests["test_example_hawaii_four_days"] == "testing.check_example(SUITE, 'Hawaii, four days')"
    assert tests["test_example_hazmat_abroad_model_decided"] == (
        "testing.check_example_model(SUITE, 'Hazmat abroad')")
    assert "test_example_hawaii_four_days_model_decided" not in tests  # names no model field
    assert tests["test_decision_service_always_decides"] == (
        "testing.check_tables_total(SUITE, 'Decision: service')")
    assert tests["test_decision_service_boundaries"] == (
        "testing.check_boundaries(SUITE, 'Decision: service')")
    assert tests["test_input_accepts_every_valid_input"] == "testing.check_input_contract_valid(SUITE)"
    assert tests["test_input_rejects_invalid_input_naming_the_field"] == (
        "testing.check_input_contract_invalid(SUITE)")
    assert tests["test_contract_matches_its_major"] == "testing.check_contract(SUITE)"
    # Both guardrails read the model-decided carrier: checked at run time, listed in a comment.
    assert not [t for t in tests if t.startswith("test_guardrail_")]
    assert "# Checked on every run only, as they read fields the model decides:" in source
    assert "#   - Hazmat never goes with USPS" in source
    assert module_name(compiled) == "test_carrier_selection.py"


def test_module_is_deterministic_and_names_no_revision() -> None:
    compiled = _compiled()
    source = render_test_module(compiled)
    assert source == render_test_module(_compiled())
    assert "SUITE = testing.SpecSuite.load(Path(__file__).parent)" in source
    assert "/r1" not in source and "revision" not in source.split('"""', 2)[2].split("def ")[0]
    compile(source, "test_carrier_selection.py", "exec")
    assert max(len(line) for line in source.splitlines() if "testing.check_" not in line) <= 100


def test_guardrail_over_table_decided_fields_gets_a_test() -> None:
    text = edit(spec_text("carrier-selection"), "## Guardrails\n",
                "## Guardrails\n\n- Next day needs a promise: "
                '`output.service != "overnight" || input.promised_days <= 1`\n')
    tests = _tests(render_test_module(_compiled(text)))
    assert tests["test_guardrail_next_day_needs_a_promise"] == (
        "testing.check_guardrails_vs_tables(SUITE, 'Next day needs a promise')")


def test_unique_tables_get_an_overlap_test() -> None:
    text = edit(spec_text("carrier-selection"), "## Decision: insured\n", "## Decision: insured (unique)\n")
    text = edit(text, "| -              | no      |", "| <= 1000        | no      |")
    tests = _tests(render_test_module(_compiled(text)))
    assert tests["test_decision_insured_never_matches_two_rows"] == (
        "testing.check_unique(SUITE, 'Decision: insured')")


def test_identifiers_and_fields_read() -> None:
    assert identifier("Hawaii, four days", "x") == "hawaii_four_days"
    assert identifier("Ünïcode — 2 items", "x") == "unicode_2_items"
    assert identifier("3 boxes", "x") == "_3_boxes"
    assert identifier("!!!", "example_1") == "example_1"
    spec = _compiled().spec
    cel = '!(input.hazmat && output.carrier == "usps") || output.service == "express"'
    assert fields_read(spec, cel, "output") == {"carrier", "service"}
    assert fields_read(spec, cel, "input") == {"hazmat"}
    assert fields_read(spec, '"output.reason" == input.order_id', "output") == set()
