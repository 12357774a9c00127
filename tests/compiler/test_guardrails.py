"""Guardrails: field paths, literal types, syntax errors and sample evaluation, all located."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import semantic_kit as k  # noqa: E402

from specwright.compiler.celscan import scan  # noqa: E402
from specwright.compiler.samples import samples  # noqa: E402

D = k.SOURCE
LINE = k.ft(
    "object",
    fields=(
        k.f("sku", "text"),
        k.f("qty", "integer", minimum=1),
        k.f("note", "text", required=False),
    ),
)
INPUTS = (
    *k.CARRIER_INPUTS,
    k.f("lines", k.ft("list", items=LINE)),
    k.f("address", k.ft("object", fields=(k.f("zip", "text", required=False),))),
    k.f("ship_on", "date", required=False),
    k.f("ordered_at", "datetime"),
)
OUTPUTS = (*k.CARRIER_OUTPUTS, k.f("refund_amount", "money", required=False))


def errors(*expressions: str) -> list[str]:
    guardrails = tuple(k.guard(f"g{n}", e, line=40 + n) for n, e in enumerate(expressions))
    return k.errors(k.spec(INPUTS, OUTPUTS, guardrails=guardrails))


def test_reference_guardrails_compile() -> None:
    spec = k.spec(
        INPUTS,
        OUTPUTS,
        guardrails=(
            k.guard("Hazmat never goes with USPS", '!(input.hazmat && output.carrier == "usps")'),
            k.guard(
                "International parcels",
                'input.destination_country == "US" || '
                'output.carrier != "usps" || input.declared_value < 50.0',
                line=41,
            ),
        ),
    )
    compiled = k.compiled(spec)
    assert [(g.label, g.cel, g.line) for g in compiled.guardrails] == [
        ("Hazmat never goes with USPS", '!(input.hazmat && output.carrier == "usps")', 40),
        (
            "International parcels",
            'input.destination_country == "US" || output.carrier != "usps" '
            "|| input.declared_value < 50.0",
            41,
        ),
    ]


def test_unknown_fields_are_located_inside_the_expression() -> None:
    # the expression starts at column 5: "output.carier" starts at offset 20, "carier" at 27
    assert errors('!(input.hazmat && output.carier == "usps")') == [
        f"{D}:40:30: error: guardrail 'g0': output.carier is not an Output field (did you mean \"carrier\"?)"
    ]
    assert errors("input.adress.zip != null") == [
        f"{D}:40:11: error: guardrail 'g0': input.adress is not an Input field (did you mean \"address\"?)"
    ]
    assert errors('input.address.zipp == "97201"') == [
        f"{D}:40:19: error: guardrail 'g0': input.address.zipp is not a field of input.address "
        '(did you mean "zip"?)'
    ]
    assert errors("input.hazmat.value") == [
        f"{D}:40:18: error: guardrail 'g0': input.hazmat is yes or no: it has no field value"
    ]


def test_comprehension_variables_take_the_item_type() -> None:
    assert errors("input.lines.all(l, l.qty >= 1 && size(l.sku) > 0)") == []
    assert errors("input.lines.exists(l, l.qtty > 1)") == [
        f"{D}:40:29: error: guardrail 'g0': l.qtty is not a field of l (did you mean \"qty\"?)"
    ]
    assert errors("input.lines.exists(line, line.qty > 1) && l.qty > 1") == [
        f"{D}:40:47: error: guardrail 'g0': unknown name l: a guardrail reads input.<field> "
        "and output.<field>"
    ]


def test_paths_inside_string_literals_are_not_read() -> None:
    found = scan(
        "input.order_id != \"input.nope\" && output.reason != 'output.nope'", INPUTS, OUTPUTS
    )
    assert [p.dotted for p in found.paths] == ["input.order_id", "output.reason"]
    assert found.problems == []


def test_literals_must_match_the_field_type() -> None:
    assert errors('input.hazmat == "yes"') == [
        f"{D}:40:21: error: guardrail 'g0': input.hazmat is yes or no, but it is compared with "
        '"yes": write input.hazmat == true (or just input.hazmat)'
    ]
    assert errors('output.carrier in ["usps", "fedx"]') == [
        f"{D}:40:32: error: guardrail 'g0': \"fedx\" is not a value of output.carrier "
        '(one of: ups, fedex, usps, dhl) (did you mean "fedex"?)'
    ]
    assert errors('"3" < input.promised_days') == [
        f"{D}:40:5: error: guardrail 'g0': input.promised_days is a whole number, but it is "
        'compared with "3"'
    ]
    assert errors("output.carrier == input.hazmat") == [
        f"{D}:40:23: error: guardrail 'g0': output.carrier is one of: ups, fedex, usps, dhl but "
        "input.hazmat is yes or no: they cannot be compared"
    ]
    assert errors('input.ordered_at > "2024-01-01"') == [
        f"{D}:40:24: error: guardrail 'g0': input.ordered_at is a date and time: compare it with "
        'timestamp("2024-01-31T09:00:00Z"), not "2024-01-01"'
    ]
    assert errors('input.ship_on != null && input.ship_on > "2024-02-30"') == [
        f"{D}:40:46: error: guardrail 'g0': input.ship_on is a date, but \"2024-02-30\" is not a "
        "date (write 2024-01-31)"
    ]
    # a number compared with an int literal is fine in CEL (ordering works across int and double)
    assert errors("output.refund_amount == null || output.refund_amount <= 5") == []


def test_syntax_errors_are_located_where_cel_reports_them() -> None:
    assert errors('!(input.hazmat && output.carrier == "usps"') == [
        f"{D}:40:47: error: guardrail 'g0': CEL syntax error: missing ')' at '<EOF>'"
    ]
    assert errors("input.weight_kg > ") == [
        f"{D}:40:23: error: guardrail 'g0': CEL syntax error: mismatched input '<EOF>'"
    ]


def test_multi_line_expressions_are_located_by_line() -> None:
    spec = k.spec(
        INPUTS,
        OUTPUTS,
        guardrails=(k.guard("g", 'input.hazmat\n  && output.carier == "dhl"', line=40, col=3),),
    )
    assert k.errors(spec) == [
        f"{D}:41:13: error: guardrail 'g': output.carier is not an Output field (did you mean \"carrier\"?)"
    ]


def test_type_errors_are_found_by_cels_type_checker() -> None:
    # `true || error` is true in CEL: the checker types every operand, whatever the samples reach
    assert errors("input.promised_days > 0 || input.weight_kg + 1 > 2") == [
        f"{D}:40:48: error: guardrail 'g0': `+` does not apply to a number and an integer "
        "(CEL does not mix them in arithmetic: write 1.0, not 1, next to a number)"
    ]
    assert errors("input.hazmat && 1 == 1 && input.promised_days") == [
        f"{D}:40:28: error: guardrail 'g0': `&&` does not apply to yes/no and an integer"
    ]
    assert errors("input.weight_kg * 2.0") == [
        f"{D}:40:5: error: guardrail 'g0': gives a number, not true or false: write a condition"
    ]
    assert errors("output.carrier == 'usps' || size(input.weight_kg) > 0") == [
        f"{D}:40:37: error: guardrail 'g0': size() does not take a number"
    ]
    assert errors("input.lines.count() > 0") == [
        f"{D}:40:22: error: guardrail 'g0': unknown function count() (did you mean \"size\"?)"
    ]
    assert errors("input.lines.exists(l, l.qty + 0.5 > 1.0)") == [
        f"{D}:40:33: error: guardrail 'g0': `+` does not apply to an integer and a number "
        "(CEL does not mix them in arithmetic: write 1.0, not 1, next to a number)"
    ]
    assert errors("input.promised_days > 0 ? input.hazmat : 1") == [
        f"{D}:40:29: error: guardrail 'g0': the two results of `? :` must have one type, not "
        "yes/no and an integer"
    ]


def test_value_errors_show_on_sample_instances() -> None:
    assert errors("input.lines[0].qty > 0") == [
        f"{D}:40:5: error: guardrail 'g0' cannot be evaluated: index out of bounds: 0 (on a sample "
        "where optional fields are absent and lists are empty)"
    ]


def test_absent_optional_fields_need_a_null_guard() -> None:
    assert errors('input.destination_region.startsWith("A")') == [
        f"{D}:40:5: error: guardrail 'g0' fails when optional field input.destination_region is "
        "absent: guard it, e.g. `input.destination_region != null && ...`"
    ]
    assert errors('has(input.destination_region) && input.destination_region.startsWith("A")') == [
        f"{D}:40:9: error: guardrail 'g0' fails when optional field input.destination_region is "
        "absent: guard it, e.g. `input.destination_region != null && ...` (has() is true for an "
        "absent optional field: compare with null)"
    ]
    assert (
        errors('input.destination_region != null && input.destination_region.startsWith("A")') == []
    )
    assert (
        errors("output.refund_amount == null || output.refund_amount <= input.declared_value") == []
    )
    assert errors("input.lines.all(l, l.note == null || size(l.note) < 20)") == []


def test_duplicate_labels_and_empty_expressions() -> None:
    spec = k.spec(
        INPUTS,
        OUTPUTS,
        guardrails=(
            k.guard("same", "input.hazmat || true"),
            k.guard("same", "true", line=41),
            k.guard("empty", " ", line=42),
        ),
    )
    assert k.errors(spec) == [
        f"{D}:41:5: error: guardrail 'same' appears twice (first on line 40): give each guardrail "
        "its own label",
        f"{D}:42:5: error: guardrail 'empty' has no expression: write it in CEL, e.g. "
        "`output.refund_amount <= input.order_total`",
    ]


def test_samples_are_deterministic_and_cover_the_types() -> None:
    first, second = samples(INPUTS), samples(INPUTS)
    assert first == second
    typical, absent, lowest, highest = first[:4]
    assert typical.complete and not absent.complete
    assert "destination_region" in typical.values and "destination_region" not in absent.values
    assert absent.values["lines"] == [] and len(typical.values["lines"]) == 2
    assert (lowest.values["promised_days"], highest.values["promised_days"]) == (1, 14)
    assert (lowest.values["weight_kg"], highest.values["weight_kg"]) == (0.5, 70)
    assert typical.values["destination_country"] == "US"  # matches the pattern ^[A-Za-z]{2}$
    assert lowest.values["order_id"] == "s"  # min_length 1
    carriers = {s.values["carrier"] for s in samples(OUTPUTS)}
    assert carriers == {"ups", "fedex", "usps", "dhl"}


@pytest.mark.parametrize(
    "expression",
    [
        "size(input.order_id) > 0",
        "input.order_id.size() > 0",
        'input.ordered_at > timestamp("2024-01-01T00:00:00Z")',
        'input.ship_on == null || input.ship_on >= "2024-01-01"',
        'input.lines.map(l, l.qty).exists(q, q > 1) || input.lines.filter(l, l.sku == "A").size() == 0',
        "input.address.zip == null || input.address.zip.matches('^[0-9]{5}$')",
        'output.service != "overnight" || input.promised_days <= 1 ? true : false',
    ],
)
def test_valid_guardrails_compile(expression: str) -> None:
    assert errors(expression) == []
