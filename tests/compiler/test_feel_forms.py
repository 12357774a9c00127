"""The newer cell forms: text order and ranges, ``date("...")``, ``date and time("...")``,
durations (``P14D``), FEEL list brackets ``[a, b]``, references to another Input field
(``> input.credit_limit``, ``[input.min_qty..input.max_qty]``), and the one rule for a date and
time without an offset. Each form: what it compiles to and does, and the error it gives when
misused. Whole specs check the located message and the exact analysis over the new forms."""

from __future__ import annotations

import datetime as dt

import cel
import pytest

from specwright.compiler.celgen import cell_to_cel
from specwright.compiler.check import check_spec
from specwright.compiler.errors import SpecError
from specwright.compiler.feel import FeelError, parse_unary_tests, type_tests
from specwright.compiler.ir import Field, FieldType, Loc
from specwright.compiler.parse import parse_spec
from specwright.compiler.validate import validate_value

INT = FieldType(kind="integer")
MONEY = FieldType(kind="money")
TEXT = FieldType(kind="text")
BOOL = FieldType(kind="boolean")
DATE = FieldType(kind="date")
STAMP = FieldType(kind="datetime")
DURATION = FieldType(kind="duration")
REFS = {
    "credit_limit": Field(name="credit_limit", type=MONEY, loc=Loc(line=1)),
    "min_qty": Field(name="min_qty", type=INT, loc=Loc(line=1)),
    "max_qty": Field(name="max_qty", type=INT, loc=Loc(line=1)),
    "code": Field(name="code", type=TEXT, loc=Loc(line=1)),
    "note": Field(name="note", type=TEXT, required=False, loc=Loc(line=1)),
}


def to_cel(text: str, ftype: FieldType) -> str:
    return cell_to_cel(type_tests(parse_unary_tests(text), text, "x", ftype, False, REFS),
                       "input.x", False)


def run(expression: str, **values: object) -> object:
    return cel.compile(expression).execute({"input": values})


@pytest.mark.parametrize(("text", "ftype", "expected", "yes", "no"), [
    ('"A".."M"', TEXT, '(input.x >= "A" && input.x <= "M")', "Kilo", "Zulu"),
    ('> "M"', TEXT, 'input.x > "M"', "Oscar", "Alpha"),
    ('["AK", "HI"]', TEXT, 'input.x in ["AK", "HI"]', "HI", "OR"),
    ("[1, 2, 3]", INT, "input.x in [1, 2, 3]", 2, 4),
    ('not(["AK", "HI"])', TEXT, '!(input.x in ["AK", "HI"])', "OR", "AK"),
    ('>= date("2024-01-31")', DATE, 'input.x >= "2024-01-31"', "2024-02-01", "2024-01-30"),
    ('< date and time("2024-01-31T10:00:00+01:00")', STAMP,
     'input.x < timestamp("2024-01-31T09:00:00Z")',
     dt.datetime(2024, 1, 31, 8, 59, tzinfo=dt.UTC), dt.datetime(2024, 1, 31, 9, tzinfo=dt.UTC)),
    ("> P14D", DURATION, 'input.x > duration("1209600s")', dt.timedelta(days=15),
     dt.timedelta(days=14)),
    ("[PT1H..P1D]", DURATION, '(input.x >= duration("3600s") && input.x <= duration("86400s"))',
     dt.timedelta(hours=2), dt.timedelta(days=2)),
])
def test_each_new_form_compiles_and_means_what_it_says(
    text: str, ftype: FieldType, expected: str, yes: object, no: object
) -> None:
    expression = to_cel(text, ftype)
    assert expression == expected
    assert run(expression, x=yes) is True
    assert run(expression, x=no) is False


def test_references_compare_with_another_input_field() -> None:
    expression = to_cel("> input.credit_limit", MONEY)
    assert expression == "input.x > input.credit_limit"
    assert run(expression, x=120.0, credit_limit=100.0) is True
    assert run(expression, x=80.0, credit_limit=100.0) is False
    expression = to_cel("[input.min_qty..input.max_qty]", INT)
    assert expression == "(input.x >= input.min_qty && input.x <= input.max_qty)"
    assert run(expression, x=5, min_qty=1, max_qty=5) is True
    assert run(expression, x=6, min_qty=1, max_qty=5) is False
    assert to_cel("= input.code", TEXT) == "input.x == input.code"


@pytest.mark.parametrize(("text", "ftype", "message"), [
    ("> input.crdit_limit", MONEY,
     "refers to input.crdit_limit, which is not an Input field (did you mean \"credit_limit\"?)"),
    ("> input.code", MONEY, "compares with input.code, which is text, not an amount"),
    ("= input.note", TEXT, "refers to input.note, which is optional"),
    ('>= date("2024-02-30")', DATE, "is not a date (write 2024-01-31)"),
    ('>= date("2024-01-31")', INT, "is not a whole number"),
    ("> P1M", DURATION, "is not a duration"),
    ("> P14D", INT, "is not a whole number"),
    ("[]", INT, "the list is empty"),
    ('["AK", "HI"', TEXT, "close the list with ']'"),
    ("> 2024-01-31T09:00:00", STAMP, "has no offset: write it with Z for UTC"),
    ('< date and time("2024-01-31T09:00:00")', STAMP, "has no offset"),
    ("yes..no", BOOL, "is a range, but x is yes or no"),
    ('"M".."A"', TEXT, "is an empty range: write the lower bound first"),
])
def test_each_new_form_refuses_what_it_cannot_mean(
    text: str, ftype: FieldType, message: str
) -> None:
    with pytest.raises(FeelError) as info:
        to_cel(text, ftype)
    assert message in str(info.value)


def test_one_rule_for_a_date_and_time_without_an_offset() -> None:
    # an example's value, a default and a cell are refused alike; the HTTP model (AwareDatetime)
    # refuses it too, with a 422
    problems = validate_value(STAMP, "2024-01-31T09:00:00", "input.placed_at")
    assert problems and "has no offset" in problems[0]
    assert validate_value(STAMP, "2024-01-31T09:00:00Z", "input.placed_at") == []
    assert validate_value(STAMP, "2024-01-31T09:00:00+01:00", "input.placed_at") == []


SPEC = """---
name: t
---

# T

D.

## Input

| field        | type     | constraints      | description |
|--------------|----------|------------------|-------------|
| amount       | money    | >= 0             | a |
| credit_limit | money    | >= 0             | b |
| code         | text     | 1..5 characters  | c |
| placed_at    | datetime | DEFAULT          | d |

## Output

- verdict (one of: a, b): v

## Decision: verdict

| HEADER | verdict |
|--------|---------|
| ONE    | a       |
| TWO    | b       |
"""


def spec(header: str, one: str, two: str, default: str = "") -> str:
    return (SPEC.replace("HEADER", header).replace("ONE", one).replace("TWO", two)
            .replace("DEFAULT", default))


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        check_spec(parse_spec(text, "specs/t.md"))
    return [str(d) for d in caught.value.diagnostics]


def test_the_exact_analysis_finds_a_gap_between_two_fields() -> None:
    text = spec("amount", "> input.credit_limit", "< input.credit_limit")
    found = problems(text)
    assert found == ["specs/t.md:22:4: error: Decision: verdict has a gap: no row matches "
                     "amount=0, credit_limit=0: add a row for it (or a last row of - cells for "
                     "everything else)"]
    check_spec(parse_spec(spec("amount", "> input.credit_limit", "<= input.credit_limit"),
                          "specs/t.md"))


def test_text_ranges_are_analysed_for_gaps() -> None:
    found = problems(spec("code", '"A".."M"', '> "M"'))
    assert len(found) == 1 and 'has a gap: no row matches code="0"' in found[0]
    check_spec(parse_spec(spec("code", '<= "M"', '> "M"'), "specs/t.md"))


def test_a_located_error_for_a_cell_without_an_offset_and_a_default_without_one() -> None:
    text = spec("placed_at", "> 2024-01-31T09:00:00", "-")
    found = problems(text)
    assert any(p.startswith("specs/t.md:26:3: error: Decision: verdict, row 1, column "
                            "placed_at: '> 2024-01-31T09:00:00' has no offset") for p in found)
    text = spec("amount", "> 1", "-", default="default 2024-01-31T09:00:00")
    assert any('default "2024-01-31T09:00:00" has no offset' in p for p in problems(text))
