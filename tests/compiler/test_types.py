"""The type-phrase and constraint grammar, through parse_spec on a one-field spec."""

from __future__ import annotations

from typing import Any

import pytest

from specwright.compiler import parse_spec
from specwright.compiler.errors import Diagnostic, SpecError
from specwright.compiler.ir import Field, FieldType

SOURCE = "specs/demo.md"


def doc(type_cell: str, constraints: str = "", extra: str = "") -> str:
    return (
        "---\nname: demo\n---\n\n# Demo\n\n## Input\n\n"
        "| field | type | constraints | description |\n|---|---|---|---|\n"
        f"| value | {type_cell} | {constraints} | The value |\n\n"
        "## Output\n\n| field | type |\n|---|---|\n| ok | yes/no |\n" + extra
    )


def field(type_cell: str, constraints: str = "", extra: str = "") -> Field:
    return parse_spec(doc(type_cell, constraints, extra), SOURCE).inputs[0]


def ftype(type_cell: str, constraints: str = "") -> FieldType:
    return field(type_cell, constraints).type


def messages(type_cell: str, constraints: str = "", extra: str = "") -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_spec(doc(type_cell, constraints, extra), SOURCE)
    return [d.message for d in info.value.diagnostics]


def only(type_cell: str, constraints: str = "", extra: str = "") -> str:
    found = messages(type_cell, constraints, extra)
    assert len(found) == 1, found
    return found[0]


def first_diag(text: str) -> Diagnostic:
    with pytest.raises(SpecError) as info:
        parse_spec(text, SOURCE)
    return info.value.diagnostics[0]


def col_of(text: str, needle: str) -> tuple[int, int]:
    pos = text.index(needle)
    return text[:pos].count("\n") + 1, pos - text[:pos].rfind("\n")


# ----------------------------------------------------------------------------- type words


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("text", "text"),
        ("integer", "integer"),
        ("number", "number"),
        ("money", "money"),
        ("yes/no", "boolean"),
        ("yes / no", "boolean"),
        ("boolean", "boolean"),
        ("bool", "boolean"),
        ("date", "date"),
        ("datetime", "datetime"),
        ("date and time", "datetime"),
        ("Text", "text"),
        ("`integer`", "integer"),
    ],
)
def test_builtin_types(word: str, kind: str) -> None:
    assert ftype(word).kind == kind


def test_unknown_type_is_located_at_the_word_with_did_you_mean() -> None:
    text = doc("nmber")
    d = first_diag(text)
    assert (
        str(d)
        == f'{SOURCE}:{col_of(text, "nmber")[0]}:{col_of(text, "nmber")[1]}: error: unknown type "nmber" (did you mean "number"?)'
    )


def test_unknown_type_inside_a_list_is_located_at_the_item_type() -> None:
    text = doc("list of intger")
    d = first_diag(text)
    assert (d.line, d.col) == col_of(text, "intger")
    assert d.message == 'unknown type "intger" (did you mean "integer"?)'


def test_unknown_type_suggests_object_types() -> None:
    extra = "\n## Location\n\n| field | type |\n|---|---|\n| city | text |\n"
    assert (
        messages("locaton", extra=extra)[0] == 'unknown type "locaton" (did you mean "Location"?)'
    )


def test_unknown_type_without_a_close_word() -> None:
    assert only("zzz") == 'unknown type "zzz"'


def test_empty_type() -> None:
    assert only("").startswith('field "value" has no type: write one of text, integer, number')


def test_enum() -> None:
    assert ftype("one of: ups, fedex, usps").values == ("ups", "fedex", "usps")
    assert ftype('one of "next day", ground').values == ("next day", "ground")
    assert ftype("One Of: A,B").values == ("A", "B")


def test_enum_constraints_follow_a_semicolon() -> None:
    f = field("one of: ground, express; default ground")
    assert (f.type.values, f.default, f.required) == (("ground", "express"), "ground", False)
    assert field("one of: a, b", "optional").required is False


def test_enum_value_that_looks_like_a_constraint() -> None:
    assert only("one of: a, b, default a") == (
        '"default a" looks like a constraint, not a value: in a "one of" type, put constraints '
        'after a semicolon, like "one of: ground, express; default ground"'
    )
    assert ftype('one of: "optional", required').values == ("optional", "required")


def test_enum_duplicate_value() -> None:
    assert only("one of: a, b, a") == 'value "a" is listed twice'


def test_enum_without_values() -> None:
    assert (
        only("one of:") == '"one of" needs its values: write "one of: ground, express, overnight"'
    )


def test_lists() -> None:
    t = ftype("list of text")
    assert t.kind == "list" and t.items == FieldType(kind="text")
    t = ftype("list of integers")
    assert t.items is not None and t.items.kind == "integer"
    t = ftype("list of list of yes/no")
    assert t.items is not None and t.items.items == FieldType(kind="boolean")
    t = ftype("list of one of: a, b")
    assert t.items == FieldType(kind="enum", values=("a", "b"))


def test_list_without_item_type() -> None:
    assert only("list") == '"list" needs the type of its items: write "list of text"'
    assert only("list of") == '"list of" needs the type of its items, like "list of text"'


# ----------------------------------------------------------------------------- flags and defaults


def test_flags() -> None:
    assert field("text").required is True
    assert field("text", "optional").required is False
    assert field("text", "required").required is True
    assert field("text", "sensitive").sensitive is True
    assert field("text", "optional, sensitive").sensitive is True


def test_constraints_after_a_comma_in_the_type_cell() -> None:
    f = field("text, max 200 characters, optional")
    assert (f.type.max_length, f.required) == (200, False)


@pytest.mark.parametrize(
    ("type_cell", "constraint", "value"),
    [
        ("yes/no", "default no", False),
        ("yes/no", "default yes", True),
        ("yes/no", "default true", True),
        ("integer", "default 0", 0),
        ("integer", "default -3", -3),
        ("number", "default 2.5", 2.5),
        ("money", "default 9.99", 9.99),
        ("money", "default 10", 10),
        ("text", 'default "a, b"', "a, b"),
        ("text", "default Hello World", "Hello World"),
        ("one of: ups, dhl", "default dhl", "dhl"),
        ("one of: ups, dhl", 'default "ups"', "ups"),
        ("date", "default 2024-02-29", "2024-02-29"),
        ("datetime", "default 2024-01-31T09:30:00+00:00", "2024-01-31T09:30:00+00:00"),
        ("list of text", "default []", []),
        ("text", "default: x", "x"),
    ],
)
def test_defaults(type_cell: str, constraint: str, value: Any) -> None:
    f = field(type_cell, constraint)
    assert (f.has_default, f.default, f.required) == (True, value, False)
    assert type(f.default) is type(value)


@pytest.mark.parametrize(
    ("type_cell", "constraint", "message"),
    [
        ("yes/no", "default maybe", 'default "maybe" is not yes or no'),
        ("integer", "default 1.5", 'default "1.5" is not a whole number'),
        ("number", "default lots", 'default "lots" is not a number'),
        ("money", "default 1.999", 'default "1.999": money has at most 2 decimal places'),
        (
            "one of: ups, dhl",
            "default dhll",
            'default "dhll" is not one of: ups, dhl (did you mean "dhl"?)',
        ),
        (
            "date",
            "default 2024-02-30",
            'default "2024-02-30" is not a date: write it like 2024-01-31',
        ),
        ("list of text", "default [a]", 'a list\'s default can only be empty: write "default []"'),
        (
            "text",
            "default",
            'write the default value after "default", like "default no" or "default 0"',
        ),
        ("integer", "> 0, default 0", '"default 0" breaks the field\'s constraint "> 0"'),
        (
            "text",
            "max 3 characters, default abcd",
            '"default abcd" breaks the field\'s constraint "max 3 characters"',
        ),
        (
            "text",
            "2 letters, default U1",
            '"default U1" breaks the field\'s constraint "pattern /^[A-Za-z]{2}$/"',
        ),
        (
            "text",
            "required, default x",
            '"required" contradicts "default x": a field with a default is optional',
        ),
        ("text", "optional, required", '"required" and "optional" contradict each other: keep one'),
        ("text", "default a, default b", 'a second default "default b": a field has one default'),
    ],
)
def test_bad_defaults(type_cell: str, constraint: str, message: str) -> None:
    assert only(type_cell, constraint) == message


# ----------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("type_cell", "constraints", "expected"),
    [
        ("number", "> 0", {"exclusive_minimum": 0}),
        ("number", ">= 0.5", {"minimum": 0.5}),
        ("integer", "< 10", {"exclusive_maximum": 10}),
        ("number", "<= 70", {"maximum": 70}),
        ("number", "> 0, <= 70", {"exclusive_minimum": 0, "maximum": 70}),
        ("integer", "1..14", {"minimum": 1, "maximum": 14}),
        ("integer", "between 1 and 14", {"minimum": 1, "maximum": 14}),
        ("money", "0.01..999.99", {"minimum": 0.01, "maximum": 999.99}),
        ("money", ">= $5", {"minimum": 5}),
        ("number", "max 70", {"maximum": 70}),
        ("number", "at least -5", {"minimum": -5}),
        ("number", "≥ 1", {"minimum": 1}),
        ("integer", "0 to 100", {"minimum": 0, "maximum": 100}),
    ],
)
def test_numeric_bounds(type_cell: str, constraints: str, expected: dict[str, Any]) -> None:
    t = ftype(type_cell, constraints)
    for attr in ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum"):
        assert getattr(t, attr) == expected.get(attr), attr
        if attr in expected:
            assert type(getattr(t, attr)) is type(expected[attr])


@pytest.mark.parametrize(
    ("type_cell", "constraints", "message"),
    [
        ("integer", "> 0.5", '"> 0.5": bounds of an integer field must be whole numbers'),
        ("money", ">= 0.001", '">= 0.001": money has at most 2 decimal places'),
        ("number", "> 80, <= 70", '"<= 70" contradicts "> 80": no value satisfies both'),
        ("number", "> 5, < 5", '"< 5" contradicts "> 5": no value satisfies both'),
        ("integer", "> 3, < 4", '"< 4" contradicts "> 3": no value satisfies both'),
        ("integer", "14..1", 'range "14..1" is empty: write the smaller number first'),
        ("number", "> 0, >= 1", '">= 1" conflicts with "> 0": a field has one lower bound'),
        ("number", "1..5, < 3", '"< 3" conflicts with "1..5": a field has one upper bound'),
    ],
)
def test_bad_numeric_bounds(type_cell: str, constraints: str, message: str) -> None:
    assert only(type_cell, constraints) == message


# ----------------------------------------------------------------------------- text and list sizes


@pytest.mark.parametrize(
    ("type_cell", "constraints", "lengths", "pattern"),
    [
        ("text", "max 200 characters", (None, 200), None),
        ("text", "min 1 character", (1, None), None),
        ("text", "1..40 characters", (1, 40), None),
        ("text", "between 2 and 4 chars", (2, 4), None),
        ("text", "12 characters", (12, 12), None),
        ("text", "2 letters", (2, 2), "^[A-Za-z]{2}$"),
        ("text", "5 digits", (5, 5), "^[0-9]{5}$"),
        ("text", "2..3 letters", (2, 3), "^[A-Za-z]{2,3}$"),
        ("list of text", "max 5 items", (None, 5), None),
        ("list of text", "at least 1 item", (1, None), None),
        ("list of text", "1..3 items", (1, 3), None),
    ],
)
def test_lengths(
    type_cell: str, constraints: str, lengths: tuple[int | None, int | None], pattern: str | None
) -> None:
    t = ftype(type_cell, constraints)
    assert (t.min_length, t.max_length, t.pattern) == (*lengths, pattern)


@pytest.mark.parametrize(
    ("type_cell", "constraints", "message"),
    [
        (
            "text",
            "> 0",
            '"> 0" is a number bound but "value" is text: to limit its length write it with characters, like "max 200 characters"',
        ),
        (
            "list of text",
            "< 3",
            '"< 3" is a number bound but "value" is a list: to limit its size write it with items, like "max 5 items"',
        ),
        (
            "yes/no",
            "> 0",
            '"> 0" does not apply to yes/no field "value": number bounds need an integer, number or money field',
        ),
        (
            "date",
            "1..3",
            '"1..3" does not apply to date field "value": number bounds need an integer, number or money field',
        ),
        (
            "number",
            "max 5 characters",
            '"max 5 characters" limits the length of text and does not apply to number field "value"',
        ),
        (
            "text",
            "max 5 items",
            '"max 5 items" limits the number of items of a list and does not apply to text field "value"',
        ),
        (
            "one of: a, b",
            "2 letters",
            '"2 letters" limits the length of text and does not apply to one of field "value"',
        ),
        ("text", "max 200", '"max 200" needs a unit: write "max 200 characters"'),
        ("list of text", "at least 1", '"at least 1" needs a unit: write "at least 1 item"'),
        (
            "text",
            "min 5 characters, max 2 characters",
            '"max 2 characters" contradicts "min 5 characters": no value satisfies both',
        ),
        ("text", "1.5 characters", '"1.5 characters": a count must be a whole number, like 200'),
        (
            "text",
            "2 letters, max 9 characters",
            '"max 9 characters" conflicts with "2 letters": a field has one maximum length',
        ),
    ],
)
def test_constraints_that_do_not_apply(type_cell: str, constraints: str, message: str) -> None:
    assert only(type_cell, constraints) == message


# ----------------------------------------------------------------------------- patterns


def test_pattern_with_commas_is_one_phrase_and_anchored() -> None:
    assert ftype("text", "pattern /[A-Z]{2,3}/, optional").pattern == "^[A-Z]{2,3}$"
    assert (
        ftype("text", "pattern /^a\\|b$/").pattern == "^(?:a|b)$"
    )  # a table cell escapes its pipe
    assert ftype("text, pattern /^\\d{5}$/").pattern == "^\\d{5}$"


def test_invalid_pattern() -> None:
    assert only("text", "pattern /[a-/").startswith(
        "pattern /[a-/ is not a valid regular expression:"
    )


def test_unportable_pattern() -> None:
    assert (
        only("text", "pattern /(?=a)b/")
        == "lookarounds and back-references are not supported in a pattern"
    )


def test_pattern_on_a_number() -> None:
    assert (
        only("number", "pattern /1/")
        == '"pattern /1/" does not apply to number field "value": a pattern is for text'
    )


# ----------------------------------------------------------------------------- unknown phrases


@pytest.mark.parametrize(
    ("constraints", "message"),
    [
        ("optinal", 'unknown constraint "optinal" (did you mean "optional"?)'),
        ("sensitiv", 'unknown constraint "sensitiv" (did you mean "sensitive"?)'),
        (
            "max 20 charcters",
            'unknown constraint "max 20 charcters" (did you mean "max 20 characters"?)',
        ),
        (
            "maxx 20 characters",
            'unknown constraint "maxx 20 characters" (did you mean "max 20 characters"?)',
        ),
    ],
)
def test_unknown_constraint_did_you_mean(constraints: str, message: str) -> None:
    assert only("text", constraints) == message


def test_unknown_constraint_lists_the_vocabulary() -> None:
    assert only("text", "shiny").startswith(
        'unknown constraint "shiny" (constraints are: optional, required, default <value>'
    )


def test_each_constraint_phrase_is_located() -> None:
    text = doc("text", "optional, max 5 charcters")
    d = first_diag(text)
    assert (d.line, d.col) == col_of(text, "max 5 charcters")


def test_placeholder_cells_mean_no_constraint() -> None:
    assert field("text", "-").required is True
    assert field("text", "—").type == FieldType(kind="text")
