"""FEEL unary-test cells: parsing, typing against a field, rendering to CEL."""

from __future__ import annotations

import datetime as dt

import cel
import pytest

from specwright.compiler.celgen import cell_to_cel, parse_result
from specwright.compiler.feel import (
    Compare,
    FeelError,
    Lit,
    Range,
    UnaryTests,
    parse_unary_tests,
    type_tests,
)
from specwright.compiler.ir import FieldType

INT = FieldType(kind="integer")
NUM = FieldType(kind="number")
MONEY = FieldType(kind="money")
TEXT = FieldType(kind="text")
BOOL = FieldType(kind="boolean")
DATE = FieldType(kind="date")
STAMP = FieldType(kind="datetime")
SERVICE = FieldType(kind="enum", values=("ground", "express", "overnight", "next day"))


def to_cel(text: str, ftype: FieldType, nullable: bool = False, path: str = "input.x") -> str:
    parsed = parse_unary_tests(text)
    return cell_to_cel(type_tests(parsed, text, "x", ftype, nullable), path, nullable)


def run(expression: str, value: object) -> object:
    return cel.compile(expression).execute({"input": {"x": value}})


# ----------------------------------------------------------------------------- parsing


def test_dash_is_any_value() -> None:
    assert parse_unary_tests("-") == UnaryTests(())
    assert parse_unary_tests(" `-` ") == UnaryTests(())
    assert to_cel("-", INT) == "true"


def test_comparisons_and_ranges_parse() -> None:
    cell = parse_unary_tests("<= 1")
    assert cell == UnaryTests((Compare("<=", Lit("number", "1", 1)),))
    cell = parse_unary_tests("]1..5)")
    assert cell.tests == (Range(Lit("number", "1", 1), Lit("number", "5", 5), True, True),)
    assert parse_unary_tests("[1.5..2.5]").tests == (
        Range(Lit("number", "1.5", 1.5), Lit("number", "2.5", 2.5), False, False),
    )


def test_not_wraps_a_disjunction() -> None:
    cell = parse_unary_tests('not("AK", "HI")')
    assert cell.negated
    assert [t.value.value for t in cell.tests if isinstance(t, Compare)] == ["AK", "HI"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the cell is empty: write - for any value"),
        (">", "'>': expected a value after '>', found nothing"),
        ("> 5 10", "'> 5 10': unexpected '10' (separate tests with ',')"),
        ("> 1,000", "'> 1,000': write numbers without a thousands separator (1000, not 1,000)"),
        ("[1..5", "'[1..5' ends too early"),
        ("not(1, 2", "'not(1, 2': missing ')'"),
        ("5 & 6", "unexpected '&' in '5 & 6'"),
    ],
)
def test_syntax_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(FeelError) as info:
        parse_unary_tests(text)
    assert str(info.value) == message


# ----------------------------------------------------------------------------- typing and CEL


@pytest.mark.parametrize(
    ("text", "ftype", "expected"),
    [
        ("<= 1", INT, "input.x <= 1"),
        ("= 5", INT, "input.x == 5"),
        ("!= 5", INT, "input.x != 5"),
        ("2..3", INT, "(input.x >= 2 && input.x <= 3)"),
        ("(2..3]", INT, "(input.x > 2 && input.x <= 3)"),
        ("]2..3[", INT, "(input.x > 2 && input.x < 3)"),
        ("> 1000", MONEY, "input.x > 1000.0"),
        ("> 1000", NUM, "input.x > 1000.0"),
        ("< 1, > 10", INT, "(input.x < 1 || input.x > 10)"),
        ("1, 2, 3", INT, "input.x in [1, 2, 3]"),
        ('"AK", "HI"', TEXT, 'input.x in ["AK", "HI"]'),
        ("AK", TEXT, 'input.x == "AK"'),
        ("97201", TEXT, 'input.x == "97201"'),
        ('"say \\"hi\\""', TEXT, 'input.x == "say \\"hi\\""'),
        ("yes", BOOL, "input.x == true"),
        ("false", BOOL, "input.x == false"),
        ("express, overnight", SERVICE, 'input.x in ["express", "overnight"]'),
        ("next day", SERVICE, 'input.x == "next day"'),
        ("not(express)", SERVICE, '!(input.x == "express")'),
        (">= 2024-01-31", DATE, 'input.x >= "2024-01-31"'),
        (
            "< 2024-01-31T09:00:00+01:00",
            STAMP,
            'input.x < timestamp("2024-01-31T08:00:00Z")',
        ),
        ("-5..-1", INT, "(input.x >= -5 && input.x <= -1)"),
        ("> $50", MONEY, "input.x > 50.0"),
    ],
)
def test_cells_compile_to_cel(text: str, ftype: FieldType, expected: str) -> None:
    assert to_cel(text, ftype) == expected
    cel.compile(expected)  # and CEL accepts it


@pytest.mark.parametrize(
    ("text", "ftype", "message"),
    [
        ("> heavy", NUM, "'> heavy' is not a number"),
        ("< 1, heavy", INT, "'heavy' in '< 1, heavy' is not a whole number"),
        ("2.5", INT, "'2.5' is not a whole number"),
        ("fast", SERVICE, "'fast' is not one of: ground, express, overnight, next day"),
        (
            "expres",
            SERVICE,
            "'expres' is not one of: ground, express, overnight, next day (did you mean \"express\"?)",
        ),
        ("maybe", BOOL, "'maybe' is not yes or no"),
        ("2024-02-30", DATE, "'2024-02-30' is not a date (write 2024-01-31)"),
        (
            "> ground",
            SERVICE,
            "'> ground' compares by order, but x is one of: ground, express, "
            "overnight, next day: use = or a list",
        ),
        ("yes..no", BOOL, "'yes..no' is a range, but x is yes or no: list the values"),
        ("5..2", INT, "'5..2' is an empty range: write the lower bound first"),
        ("null", INT, "'null' cannot match: x is required, it is never absent (null)"),
    ],
)
def test_type_errors_name_what_was_expected(text: str, ftype: FieldType, message: str) -> None:
    with pytest.raises(FeelError) as info:
        type_tests(parse_unary_tests(text), text, "x", ftype, nullable=False)
    assert str(info.value) == message


# ----------------------------------------------------------------------------- optional fields


def test_optional_field_comparisons_are_guarded_against_null() -> None:
    expression = to_cel("> 5", INT, nullable=True)
    assert expression == "(input.x != null && input.x > 5)"
    assert run(expression, None) is False
    assert run(expression, 6) is True


def test_optional_field_equality_needs_no_guard() -> None:
    expression = to_cel('"AK", "HI"', TEXT, nullable=True)
    assert expression == 'input.x in ["AK", "HI"]'
    assert run(expression, None) is False


def test_absent_value_passes_not_and_dash_and_null() -> None:
    negated = to_cel("not(> 5)", INT, nullable=True)
    assert negated == "!((input.x != null && input.x > 5))"
    assert run(negated, None) is True
    assert run(negated, 7) is False
    assert run(to_cel("-", INT, nullable=True), None) is True
    is_null = to_cel("null, > 5", INT, nullable=True)
    assert is_null == "(input.x == null || (input.x != null && input.x > 5))"
    assert [run(is_null, v) for v in (None, 3, 6)] == [True, False, True]


def test_not_equal_never_matches_an_absent_value() -> None:
    expression = to_cel("!= 5", INT, nullable=True)
    assert run(expression, None) is False
    assert run(expression, 4) is True


def test_datetime_cells_compare_timestamps() -> None:
    expression = to_cel("2024-01-01..2024-12-31", STAMP)
    inside = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    assert run(expression, inside) is True
    assert run(expression, dt.datetime(2025, 1, 1, 0, 0, 1, tzinfo=dt.UTC)) is False


# ----------------------------------------------------------------------------- result cells


def test_result_cells_are_single_literals() -> None:
    assert parse_result("express", SERVICE) == Lit("string", "express", "express")
    assert parse_result("yes", BOOL) == Lit("bool", "yes", True)
    assert parse_result("12.5", MONEY) == Lit("double", "12.5", 12.5)
    assert parse_result("Ship it, today", TEXT) == Lit("string", "Ship it, today", "Ship it, today")
    assert parse_result('"quoted"', TEXT) == Lit("string", '"quoted"', "quoted")
    assert parse_result("-", SERVICE) is None


def test_result_cell_errors() -> None:
    with pytest.raises(
        FeelError, match=r"^'expres' is not one of: .*\(did you mean \"express\"\?\)$"
    ):
        parse_result("expres", SERVICE)
    with pytest.raises(FeelError, match=r"^'> 5' is not one value: write a number$"):
        parse_result("> 5", NUM)
