"""Decision tables: columns, cell typing, CEL, hit policies, overlap detection."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import semantic_kit as k  # noqa: E402

from specwright.compiler.evaluate import evaluate_table, to_cel_values  # noqa: E402
from specwright.compiler.ir import DecisionTable, Field, Spec  # noqa: E402

INS, OUTS = k.CARRIER_INPUTS, k.CARRIER_OUTPUTS
D = f"{k.SOURCE}"


def carrier(
    *tables: DecisionTable, inputs: tuple[Field, ...] = INS, outputs: tuple[Field, ...] = OUTS
) -> Spec:
    return k.spec(inputs, outputs, tables=tables)


def test_reference_tables_compile_to_cel() -> None:
    result = k.compiled(
        carrier(k.table("service", k.SERVICE), k.table("insured", k.INSURED, line=30))
    )
    service, insured = result.tables
    assert service.name == "Decision: service"
    assert service.line == 20
    assert service.inputs == ("promised_days", "destination_region")
    assert service.outputs == ("service",)
    assert [row.condition for row in service.rows] == [
        "input.promised_days <= 1",
        "(input.promised_days >= 2 && input.promised_days <= 3)",
        '(input.promised_days >= 4 && input.promised_days <= 6) && input.destination_region in ["AK", "HI"]',
        "true",
    ]
    assert service.cel == "[" + ", ".join(row.condition for row in service.rows) + "]"
    assert [row.results for row in service.rows] == [
        {"service": "overnight"},
        {"service": "express"},
        {"service": "express"},
        {"service": "ground"},
    ]
    assert [row.cells for row in service.rows][2] == ("4..6", '"AK", "HI"')
    assert [row.line for row in service.rows] == [24, 25, 26, 27]
    assert insured.cel == "[input.declared_value > 1000.0, true]"
    assert [row.results for row in insured.rows] == [{"insured": True}, {"insured": False}]
    assert result.table_decided == ("service", "insured")
    assert result.model_decided == ("carrier", "reason")
    assert not result.rules_only


def test_unknown_column_suggests_a_field_at_the_header_cell() -> None:
    table = k.table("service", "promised_dayz | service\n- | ground")
    assert k.errors(carrier(table)) == [
        f"{D}:22:3: error: Decision: service: column promised_dayz is not a field "
        '(did you mean "promised_days"?)'
    ]


def test_heading_must_be_an_output_field_among_the_results() -> None:
    assert k.errors(carrier(k.table("servise", "promised_days | service\n- | ground"))) == [
        f'{D}:20:4: error: Decision: servise: servise is not an Output field (did you mean "service"?)'
    ]
    assert k.errors(carrier(k.table("hazmat", "promised_days | service\n- | ground"))) == [
        f"{D}:20:4: error: Decision: hazmat: hazmat is an Input field; a table decides an Output field"
    ]
    assert k.errors(carrier(k.table("insured", "promised_days | service\n- | ground"))) == [
        f"{D}:20:4: error: Decision: insured has no column insured: add a result column for it"
    ]


def test_a_name_in_input_and_output_needs_a_prefix() -> None:
    inputs = (*INS, k.f("service", "enum", values=("ground", "express")))
    table = k.table("service", "service | service\nground | express")
    assert k.errors(carrier(table, inputs=inputs)) == [
        f"{D}:22:3: error: Decision: service: column service is both an Input and an Output field: "
        "write input.service for a condition or output.service for a result",
        f"{D}:22:13: error: Decision: service: column service appears twice",
    ]
    table = k.table("service", "input.service | output.service\nground | express\n- | ground")
    result = k.compiled(carrier(table, inputs=inputs))
    assert result.tables[0].inputs == ("service",)
    assert result.tables[0].rows[0].condition == 'input.service == "ground"'
    table = k.table("service", "input.service | output.service\novernight | overnight")
    assert k.errors(carrier(table, inputs=inputs)) == [
        f"{D}:24:3: error: Decision: service, row 1, column service: 'overnight' is not one of: "
        "ground, express"
    ]


def test_list_and_object_columns_are_rejected() -> None:
    inputs = (*INS, k.f("tags", k.ft("list", items=k.ft("text"))))
    table = k.table("service", "tags | service\n- | ground")
    assert k.errors(carrier(table, inputs=inputs)) == [
        f"{D}:22:3: error: Decision: service: column tags is a list of text: a condition column "
        "must be a single value (text, number, yes/no, date, one of)"
    ]


def test_cell_type_errors_are_located_at_the_cell() -> None:
    table = k.table(
        "service",
        """
weight_kg | service
<= 5      | ground
> heavy   | express
-         | expres
""",
    )
    assert k.errors(carrier(table)) == [
        f"{D}:25:3: error: Decision: service, row 2, column weight_kg: '> heavy' is not a number",
        f"{D}:26:15: error: Decision: service, row 3, column service: 'expres' is not one of: "
        'ground, express, overnight (did you mean "express"?)',
    ]


def test_dash_in_a_result_cell() -> None:
    outputs = (*OUTS, k.f("note", "text", required=False), k.f("boxes", "integer", default=1))
    table = k.table(
        "service",
        "promised_days | service | note | boxes\n<= 1 | overnight | rush | 2\n- | ground | - | -",
    )
    result = k.compiled(carrier(table, outputs=outputs))
    assert [row.results for row in result.tables[0].rows] == [
        {"service": "overnight", "note": "rush", "boxes": 2},
        {"service": "ground", "note": None, "boxes": 1},  # optional: null; a default: the default
    ]
    table = k.table("service", "promised_days | service\n<= 1 | overnight\n- | -")
    assert k.errors(carrier(table)) == [
        f"{D}:25:7: error: Decision: service, row 2, column service: '-' would leave service unset, "
        "but it is a required output: write one of: ground, express, overnight"
    ]


def test_an_output_decided_by_two_tables() -> None:
    first = k.table("service", "promised_days | service\n- | ground")
    second = k.table("insured", "declared_value | insured | service\n- | no | express", line=30)
    assert k.errors(carrier(first, second)) == [
        f"{D}:32:30: error: Decision: insured: output service is already decided by "
        "'Decision: service' (line 20): a field is decided by one table only"
    ]


# ----------------------------------------------------------------------------- hit policies


def test_unique_reports_overlaps_with_an_example() -> None:
    table = k.table("service", k.SERVICE, policy="unique")
    assert k.errors(carrier(table)) == [
        f"{D}:27:1: error: Decision: service (unique): rows 1 and 4 overlap, e.g. promised_days=1",
        f"{D}:27:1: error: Decision: service (unique): rows 2 and 4 overlap, e.g. promised_days=2",
        f"{D}:27:1: error: Decision: service (unique): rows 3 and 4 overlap, "
        'e.g. promised_days=4, destination_region="AK"',
    ]


def test_unique_without_overlap_compiles() -> None:
    table = k.table(
        "service",
        """
promised_days | destination_region | service
<= 1          | -                  | overnight
(1..3]        | -                  | express
> 3           | "AK", "HI"         | express
> 3           | not("AK", "HI")    | ground
""",
        policy="unique",
    )
    assert k.errors(carrier(table)) == []


def test_overlap_only_outside_the_field_constraints_is_no_overlap() -> None:
    # promised_days is 1..14: "< 1" matches nothing, so it cannot overlap "<= 1"
    table = k.table(
        "service",
        "promised_days | service\n< 1 | overnight\n<= 1 | express\n> 1 | ground",
        policy="unique",
    )
    assert k.errors(carrier(table)) == []


def test_overlap_on_optional_and_negated_cells() -> None:
    table = k.table(
        "service",
        """
destination_region | service
null               | ground
"AK"               | express
not("AK", "HI")    | overnight
""",
        policy="unique",
    )
    # an absent region passes null and not(...): rows 1 and 3 overlap; "HI" matches no row
    assert k.errors(carrier(table)) == [
        f'{D}:20:4: error: Decision: service has a gap: no row matches destination_region="HI": '
        "add a row for it (or a last row of - cells for everything else)",
        f"{D}:26:1: error: Decision: service (unique): rows 1 and 3 overlap, e.g. destination_region absent",
    ]
    table = k.table(
        "service",
        'destination_region | service\nnot("AK") | ground\nnot("HI") | express',
        policy="unique",
    )
    assert k.errors(carrier(table)) == [
        f'{D}:25:1: error: Decision: service (unique): rows 1 and 2 overlap, e.g. destination_region="other"'
    ]


def test_any_allows_overlap_with_equal_results_only() -> None:
    same = k.table(
        "service",
        "promised_days | service\n<= 3 | express\n2..5 | express\n> 5 | ground",
        policy="any",
    )
    assert k.errors(carrier(same)) == []
    different = k.table(
        "service", "promised_days | service\n<= 3 | express\n3..14 | ground", policy="any"
    )
    assert k.errors(carrier(different)) == [
        f"{D}:25:1: error: Decision: service (any): rows 1 and 2 overlap but give different results "
        "(service=express vs service=ground), e.g. promised_days=3"
    ]


def test_collect_needs_a_list_output_and_gathers_every_match() -> None:
    outputs = (
        *OUTS,
        k.f("labels", k.ft("list", items=k.ft("enum", values=("fragile", "heavy", "hazmat")))),
    )
    table = k.table(
        "labels",
        """
weight_kg | hazmat | labels
> 30      | -      | heavy
-         | yes    | hazmat
-         | -      | -
""",
        policy="collect",
    )
    result = k.compiled(carrier(table, outputs=outputs))
    compiled = result.tables[0]
    assert [row.results for row in compiled.rows] == [{"labels": "heavy"}, {"labels": "hazmat"}, {}]
    values = to_cel_values(INS, {"weight_kg": 40, "hazmat": True})
    assert evaluate_table(compiled, values).results == {"labels": ["heavy", "hazmat"]}
    assert evaluate_table(compiled, values).rows == (1, 2, 3)
    values = to_cel_values(INS, {"weight_kg": 1})
    assert evaluate_table(compiled, values).results == {"labels": []}

    table = k.table("service", "promised_days | service\n- | ground", policy="collect")
    assert k.errors(carrier(table)) == [
        f"{D}:22:19: error: Decision: service: column service: a collect table gathers the results of "
        "every matching row into a list, but service is one of: ground, express, overnight: "
        "declare it as a list of values "
        "(list of text, list of one of: ...)"
    ]


def test_priority_picks_the_result_first_in_the_enum_order() -> None:
    table = k.table(
        "service",
        """
promised_days | hazmat | service
-             | yes    | ground
<= 3          | -      | express
<= 1          | -      | overnight
-             | -      | ground
""",
        policy="priority",
    )
    compiled = k.compiled(carrier(table)).tables[0]
    assert compiled.priority == ("ground", "express", "overnight")
    outcome = evaluate_table(compiled, to_cel_values(INS, {"promised_days": 1}))
    assert outcome.rows == (4,)  # ground ranks first among rows 2, 3 and 4
    assert outcome.results == {"service": "ground"}

    table = k.table("insured", "promised_days | insured\n- | yes", policy="priority")
    assert k.errors(carrier(table)) == [
        f"{D}:20:4: error: Decision: insured (priority): the winning row is the one whose insured "
        "comes first in its 'one of' list, but insured is yes or no"
    ]


def test_every_problem_is_reported_at_once_in_position_order() -> None:
    first = k.table("service", "promised_days | service\n> x | ground\n- | fast")
    second = k.table("insured", "declared_valu | insured\n- | yes", line=30)
    messages = k.errors(carrier(first, second))
    assert [m.split(": error:")[0] for m in messages] == [f"{D}:24:3", f"{D}:25:7", f"{D}:32:3"]


def test_overlap_on_dates_and_datetimes_respects_open_ends() -> None:
    inputs = (k.f("ship_on", "date"), k.f("at", "datetime"))
    outputs = (k.f("lane", "enum", values=("a", "b")),)
    apart = k.table(
        "lane",
        """
ship_on                  | at                                              | lane
2024-01-01..2024-01-31   | (2024-01-01T00:00:00Z..2024-01-02T00:00:00Z)    | a
]2024-01-31..2024-02-10] | [2024-01-02T00:00:00Z..2024-01-03T00:00:00Z]    | b
""",
        policy="unique",
    )
    optional = (k.f("lane", "enum", values=("a", "b"), required=False),)  # no gap error
    assert k.errors(k.spec(inputs, optional, tables=(apart,))) == []
    touching = k.table(
        "lane",
        """
ship_on                  | at                                              | lane
2024-01-01..2024-01-31   | (2024-01-01T00:00:00Z..2024-01-02T00:00:00Z]    | a
[2024-01-31..2024-02-10] | [2024-01-02T00:00:00Z..2024-01-03T00:00:00Z]    | b
""",
        policy="unique",
    )
    assert k.errors(k.spec(inputs, optional, tables=(touching,))) == [
        f"{D}:25:1: error: Decision: lane (unique): rows 1 and 2 overlap, "
        "e.g. ship_on=2024-01-31, at=2024-01-02T00:00:00Z"
    ]
    everything = k.table("lane", "ship_on | lane\n- | a\n- | b", policy="unique")
    assert k.errors(k.spec(inputs, outputs, tables=(everything,))) == [
        f"{D}:25:1: error: Decision: lane (unique): rows 1 and 2 overlap (both match every input)"
    ]
