"""Field tables, the bullet-list form, field names and object types."""

from __future__ import annotations

import pytest

from specwright.compiler import parse_spec
from specwright.compiler.errors import Diagnostic, SpecError
from specwright.compiler.ir import Field, FieldType, Spec

SOURCE = "specs/demo.md"
OUTPUT = "## Output\n\n| field | type |\n|---|---|\n| ok | yes/no |\n"


def doc(input_section: str, extra: str = "") -> str:
    return f"---\nname: demo\n---\n\n# Demo\n\n## Input\n\n{input_section}\n\n{OUTPUT}{extra}"


def parse(input_section: str, extra: str = "") -> Spec:
    return parse_spec(doc(input_section, extra), SOURCE)


def errors(text: str) -> list[Diagnostic]:
    with pytest.raises(SpecError) as info:
        parse_spec(text, SOURCE)
    return list(info.value.diagnostics)


def one_error(text: str) -> Diagnostic:
    found = errors(text)
    assert len(found) == 1, [str(d) for d in found]
    return found[0]


def where(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    pos = -1
    for _ in range(nth + 1):
        pos = text.index(needle, pos + 1)
    return text[:pos].count("\n") + 1, pos - text[:pos].rfind("\n")


def at(d: Diagnostic) -> tuple[int, int]:
    return d.line, d.col


TABLE = """| field     | type   | constraints | description          |
|-----------|--------|-------------|----------------------|
| weight_kg | number | > 0, <= 70  | Packed weight in kg  |
| country   | text   | 2 letters   | ISO code             |"""

BULLETS = """- weight_kg (number, > 0, <= 70): Packed weight in kg
- country (text, 2 letters): ISO code"""


# ----------------------------------------------------------------------------- tables


def test_table_and_bullet_forms_give_the_same_fields() -> None:
    table = parse(TABLE).inputs
    bullets = parse(BULLETS).inputs
    strip = [f.model_copy(update={"loc": None}) for f in table]
    assert strip == [f.model_copy(update={"loc": None}) for f in bullets]
    assert table[0].type == FieldType(kind="number", exclusive_minimum=0, maximum=70)
    assert table[1].description == "ISO code"


def test_field_location_is_the_name_cell() -> None:
    text = doc(TABLE)
    spec = parse_spec(text, SOURCE)
    assert (spec.inputs[1].loc.line, spec.inputs[1].loc.col) == where(text, "country ")
    text = doc(BULLETS)
    spec = parse_spec(text, SOURCE)
    assert (spec.inputs[1].loc.line, spec.inputs[1].loc.col) == where(text, "country")


def test_columns_are_case_insensitive_name_is_accepted_and_optional_columns_may_go() -> None:
    spec = parse("| **Name** | `TYPE` |\n|---|---|\n| city | text |")
    assert spec.inputs == (Field(name="city", type=FieldType(kind="text"), loc=spec.inputs[0].loc),)
    spec = parse("| type | field | description |\n|---|---|---|\n| integer | n | How many |")
    assert (spec.inputs[0].name, spec.inputs[0].type.kind, spec.inputs[0].description) == (
        "n",
        "integer",
        "How many",
    )


def test_unknown_column() -> None:
    text = doc("| field | kind | description |\n|---|---|---|\n| a | text | x |")
    found = {d.message: at(d) for d in errors(text)}
    assert found == {
        'unknown column "kind": the columns are field, type, constraints, description': where(
            text, "kind"
        ),
        'the field table has no "type" column: the columns are field, type, constraints, description': (
            where(text, "| field")[0],
            1,
        ),
    }


def test_unknown_column_did_you_mean() -> None:
    text = doc(
        "| field | type | constraint | descripton |\n|---|---|---|---|\n| a | text | - | x |"
    )
    d = one_error(text)
    assert at(d) == where(text, "descripton")
    assert (
        d.message
        == 'unknown column "descripton" (did you mean "description"?): the columns are field, type, constraints, description'
    )


def test_duplicate_and_unnamed_columns() -> None:
    text = doc("| field | type | type |  |\n|---|---|---|---|\n| a | text | text | x |")
    found = errors(text)
    assert [d.message for d in found] == [
        'column "type" appears twice',
        "a column has no name: the columns are field, type, constraints, description",
    ]
    assert at(found[0]) == where(text, "type |  |")


def test_ragged_field_row() -> None:
    text = doc("| field | type | description |\n|---|---|---|\n| a | text |\n| b | text | x | y |")
    found = errors(text)
    assert [(d.line, d.col, d.message) for d in found] == [
        (where(text, "| a |")[0], 1, "this row has 2 cells but the table has 3 columns"),
        (where(text, "| b |")[0], 1, "this row has 4 cells but the table has 3 columns"),
    ]


def test_empty_field_table() -> None:
    text = doc("| field | type |\n|---|---|")
    d = one_error(text)
    assert (d.line, d.message) == (
        where(text, "| field")[0],
        "the field table has no rows: add one row per field",
    )


def test_two_field_tables() -> None:
    text = doc(TABLE + "\n\n| field | type |\n|---|---|\n| b | text |")
    d = one_error(text)
    assert (d.line, d.message) == (
        where(text, "| field", 1)[0],
        '"Input" has more than one field table: merge them',
    )


def test_escaped_pipe_in_a_cell() -> None:
    spec = parse("| field | type | description |\n|---|---|---|\n| a | text | either \\| or |")
    assert spec.inputs[0].description == "either | or"


# ----------------------------------------------------------------------------- bullets


@pytest.mark.parametrize("sep", [": ", " — ", " - ", " – "])
def test_bullet_description_separators(sep: str) -> None:
    assert parse(f"- weight_kg (number){sep}Packed weight").inputs[0].description == "Packed weight"


def test_bullet_without_description_and_with_backticked_name() -> None:
    f = parse("- `order_id` (text, optional)").inputs[0]
    assert (f.name, f.required, f.description) == ("order_id", False, "")


def test_bullet_type_may_wrap_and_errors_stay_located() -> None:
    text = doc(
        "- carrier (one of: ups, fedex,\n  usps, dhl): Carrier to book\n- weight (number,\n  > 0, max 5 charcters): kg"
    )
    d = one_error(text)
    assert at(d) == where(text, "max 5 charcters")
    assert d.message == 'unknown constraint "max 5 charcters" (did you mean "max 5 characters"?)'


def test_wrapped_bullet_fields() -> None:
    spec = parse("- carrier (one of: ups, fedex,\n  usps, dhl): Carrier\n  to book")
    assert spec.inputs[0].type.values == ("ups", "fedex", "usps", "dhl")
    assert spec.inputs[0].description == "Carrier to book"


def test_bullet_not_in_field_form() -> None:
    text = doc("- weight_kg: a number")
    d = one_error(text)
    assert at(d) == where(text, "weight_kg")
    assert d.message == 'write a field as "- weight_kg (number, > 0): Packed weight in kilograms"'


def test_bullet_with_unclosed_parenthesis() -> None:
    text = doc("- weight_kg (number, > 0: kg")
    d = one_error(text)
    assert at(d) == where(text, "(number")
    assert d.message.startswith('the type in parentheses is not closed: add ")"')


def test_nested_bullets_define_an_object() -> None:
    spec = parse("- address (object): Where to ship\n  - street (text)\n  - zip (text, 5 digits)")
    t = spec.inputs[0].type
    assert (t.kind, t.object_name, [f.name for f in t.fields]) == (
        "object",
        "Address",
        ["street", "zip"],
    )
    assert t.fields[1].type.pattern == "^[0-9]{5}$"


# ----------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "fixed"),
    [
        ("weightKg", "weight_kg"),
        ("Weight KG", "weight_kg"),
        ("order-id", "order_id"),
        ("2nd_try", "field_2nd_try"),
    ],
)
def test_field_names_must_be_snake_case(name: str, fixed: str) -> None:
    text = doc(f"| field | type |\n|---|---|\n| {name} | text |")
    d = one_error(text)
    assert at(d) == where(text, name)
    assert (
        d.message
        == f'field name "{name}" must be snake_case (lowercase letters, digits and "_"), like "{fixed}"'
    )


@pytest.mark.parametrize("name", ["class", "in", "null", "return"])
def test_reserved_field_names(name: str) -> None:
    d = one_error(doc(f"| field | type |\n|---|---|\n| {name} | text |"))
    assert (
        d.message == f'field name "{name}" is a reserved word: choose another, like "{name}_value"'
    )


def test_missing_field_name() -> None:
    text = doc("| field | type |\n|---|---|\n|  | text |")
    assert one_error(text).message == "a field has no name: write it in the first column"


def test_duplicate_field_is_reported_at_the_second() -> None:
    text = doc("| field | type |\n|---|---|\n| a | text |\n| b | text |\n| a | integer |")
    d = one_error(text)
    assert at(d) == (where(text, "| a | integer")[0], 3)
    assert d.message == f'field "a" is defined twice (first on line {where(text, "| a | text")[0]})'


def test_same_name_in_input_and_output_is_fine() -> None:
    spec = parse("| field | type |\n|---|---|\n| ok | yes/no |")
    assert spec.inputs[0].name == spec.outputs[0].name == "ok"


# ----------------------------------------------------------------------------- object types

LOCATION = "### Location\n\n| field | type | constraints |\n|---|---|---|\n| location_id | text | 1..20 characters |\n| stock | integer | >= 0 |\n"


def test_list_of_plural_object_nested_under_input() -> None:
    spec = parse(
        "| field | type | constraints |\n|---|---|---|\n| locations | list of locations | at least 1 item |\n\n"
        + LOCATION
    )
    t = spec.inputs[0].type
    assert (t.kind, t.min_length) == ("list", 1)
    assert t.items is not None
    assert (t.items.kind, t.items.object_name) == ("object", "Location")
    assert [(f.name, f.type.kind) for f in t.items.fields] == [
        ("location_id", "text"),
        ("stock", "integer"),
    ]
    assert t.items.fields[1].type.minimum == 0


def test_top_level_object_section_case_insensitive() -> None:
    extra = "\n## Address\n\n- street (text)\n- city (text)\n"
    spec = parse("| field | type |\n|---|---|\n| ship_to | address |", extra)
    assert spec.inputs[0].type.object_name == "Address"
    assert [f.name for f in spec.inputs[0].type.fields] == ["street", "city"]


def test_object_type_uses_the_section_named_after_the_field() -> None:
    sub = "### Shipping address\n\n| field | type |\n|---|---|\n| street | text |\n"
    spec = parse(
        "| field | type | constraints |\n|---|---|---|\n| shipping_address | object | optional |\n\n"
        + sub
    )
    f = spec.inputs[0]
    assert (f.required, f.type.kind, f.type.object_name) == (False, "object", "Shipping address")


def test_object_without_its_section() -> None:
    text = doc("| field | type |\n|---|---|\n| address | object |")
    d = one_error(text)
    assert at(d) == where(text, "object")
    assert (
        d.message
        == 'field "address" is an object but no section lists its fields: add a "### Address" section with a field table'
    )


def test_objects_nest_and_share_one_definition() -> None:
    extra = (
        "\n## Order line\n\n| field | type |\n|---|---|\n| sku | text |\n| ship_from | location |\n\n"
        "## Location\n\n| field | type |\n|---|---|\n| city | text |\n"
    )
    spec = parse(
        "| field | type |\n|---|---|\n| lines | list of order lines |\n| home | location |", extra
    )
    lines, home = spec.inputs
    assert lines.type.items is not None
    assert lines.type.items.fields[1].type == home.type
    assert home.type.fields[0].name == "city"


def test_object_recursion_is_an_error() -> None:
    extra = "\n## Node\n\n| field | type |\n|---|---|\n| child | list of nodes |\n"
    text = doc("| field | type |\n|---|---|\n| root | node |", extra)
    d = one_error(text)
    assert at(d) == where(text, "nodes")
    assert d.message == 'object type "Node" contains itself (Node → Node)'


def test_indirect_recursion() -> None:
    extra = "\n## Alpha\n\n| field | type |\n|---|---|\n| b | beta |\n\n## Beta\n\n| field | type |\n|---|---|\n| a | alpha |\n"
    d = one_error(doc("| field | type |\n|---|---|\n| root | alpha |", extra))
    assert d.message == 'object type "Alpha" contains itself (Alpha → Beta → Alpha)'


def test_unused_object_section() -> None:
    text = doc("| field | type |\n|---|---|\n| a | text |\n\n" + LOCATION)
    d = one_error(text)
    assert at(d) == where(text, "Location")
    assert d.message == (
        'object type "Location" is not used by any field: give a field the type "location" '
        '(or "list of location"), or remove the section'
    )


def test_errors_inside_an_object_section_are_located() -> None:
    text = doc(
        "| field | type |\n|---|---|\n| at | location |\n\n"
        + LOCATION.replace("| integer |", "| integr |")
    )
    d = one_error(text)
    assert at(d) == where(text, "integr")
    assert d.message == 'unknown type "integr" (did you mean "integer"?)'


def test_prose_subsection_under_input_is_ignored() -> None:
    spec = parse(TABLE + "\n\n### Notes\n\nWeights are gross weights.\n")
    assert len(spec.inputs) == 2
