"""CSV cells, files and column mappings for ``specwright run``: strict numbers (no thousands
separator or decimal comma guessed), yes/no words, dates, BOM, quoted commas, and every
mistake located before any row runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from specwright.compiler.ir import Field, FieldType, Loc
from specwright.runtime.engine.csv_columns import map_columns
from specwright.runtime.engine.csv_convert import convert_cell
from specwright.runtime.engine.csv_input import csv_rows, scan
from specwright.runtime.engine.input_source import InputOptions, open_source
from specwright.runtime.errors import InputFileError

NUMBER = FieldType(kind="number")
INTEGER = FieldType(kind="integer")
MONEY = FieldType(kind="money")
BOOL = FieldType(kind="boolean")
DATE = FieldType(kind="date")


def _f(name: str, kind: str, *, required: bool = True, **kw: Any) -> Field:
    return Field(name=name, type=FieldType(kind=kind, **kw),  # type: ignore[arg-type]
                 required=required, loc=Loc(line=1))


FIELDS = (
    _f("order_id", "text"), _f("order_total", "money"), _f("rush", "boolean", required=False),
    _f("status", "enum", values=("authorized", "pending")),
    Field(name="ship_to", type=FieldType(kind="object", fields=(
        _f("country", "text"), _f("postal_code", "text", required=False))), loc=Loc(line=1)),
    _f("lines", "list", required=False, items=FieldType(kind="text")),
    _f("due", "date", required=False),
)


@pytest.mark.parametrize(("cell", "expected"), [
    ("1234.5", 1234.5), ("-3", -3), ("0", 0), ("007", 7),
    ("1,234", "1,234"), ("1,5", "1,5"), ("1.234,5", "1.234,5"), ("1 234", "1 234"),
    ("1e3", "1e3"), (" 7", " 7"), ("+7", "+7"), (".5", ".5"), ("5.", "5."), ("1_000", "1_000"),
    ("Weight Captured Separately", "Weight Captured Separately"), ("", None),
])
def test_a_number_is_plain_or_passed_on_as_written(cell: str, expected: object) -> None:
    for ft in (NUMBER, MONEY):
        got = convert_cell(cell, ft)
        assert got == expected and type(got) is type(expected)


def test_a_whole_number_field_reads_5_0_as_5_and_keeps_a_fraction_for_the_spec() -> None:
    assert convert_cell("5.0", INTEGER) == 5 and isinstance(convert_cell("5.0", INTEGER), int)
    assert convert_cell("5.5", INTEGER) == 5.5
    assert convert_cell("1,000", INTEGER) == "1,000"


@pytest.mark.parametrize(("cell", "expected"), [
    ("yes", True), ("YES", True), ("True", True), ("y", True), ("1", True),
    ("no", False), ("FALSE", False), ("N", False), ("0", False), ("maybe", "maybe"),
])
def test_yes_no_words(cell: str, expected: object) -> None:
    assert convert_cell(cell, BOOL) == expected


def test_dates_are_iso_unless_a_format_is_given() -> None:
    assert convert_cell("27-Aug-06", DATE) == "27-Aug-06"  # the spec's validation answers it
    assert convert_cell("27-Aug-06", DATE, "%d-%b-%y") == "2006-08-27"
    assert convert_cell("Date Not Captured", DATE, "%d-%b-%y") == "Date Not Captured"
    assert convert_cell("2006-08-27", DATE) == "2006-08-27"


def test_bom_quoted_commas_and_line_breaks_are_read(tmp_path: Path) -> None:
    src = tmp_path / "rows.csv"
    src.write_bytes('\ufeffOrder ID,Order Total,Note\r\n'
                    'A-1,"1,234",plain\r\n'
                    '\r\n'
                    'A-2,12.5,"two\nlines, and ""quotes"""\r\n'
                    'A-3,,\r\n'.encode())
    rows = list(csv_rows(src))
    assert rows == [(1, ["Order ID", "Order Total", "Note"]), (2, ["A-1", "1,234", "plain"]),
                    (4, ["A-2", "12.5", 'two\nlines, and "quotes"']), (6, ["A-3", "", ""])]
    assert scan(src).headers[0] == "Order ID" and scan(src).rows == 3


def test_bad_utf8_is_a_located_error(tmp_path: Path) -> None:
    src = tmp_path / "rows.csv"
    src.write_bytes(b"order_id,order_total\nA-1,10\nCaf\xe9,12\n")
    with pytest.raises(InputFileError, match=r"rows\.csv:3:4: byte 0xe9 is not UTF-8"):
        scan(src)


@pytest.mark.parametrize(("body", "where"), [
    ('order_id,order_total\nA-1,10\nA-2,"12\n', r"rows\.csv:3: unexpected end of data"),
    ('order_id,order_total\nA-1,10\nA-2,"1"2\n', r"rows\.csv:3: .*double quotes"),
    ("order_id,order_total\nA-1,10\nA-2,1,234\n", r"rows\.csv:3: 3 cells where the header has 2"),
    ("", r"rows\.csv:1: the file is empty"),
])
def test_a_malformed_file_is_a_located_error(tmp_path: Path, body: str, where: str) -> None:
    src = tmp_path / "rows.csv"
    src.write_text(body, encoding="utf-8")
    with pytest.raises(InputFileError, match=where):
        scan(src)


HEADERS = ("Order-ID", "Total", "Rush", "Country")


def test_headers_match_fields_ignoring_case_spaces_underscores_and_hyphens() -> None:
    mapping = map_columns("rows.csv", HEADERS, FIELDS,
                          [("order_total", "Total"), ("ship_to.country", "Country")],
                          [("status", "authorized")])
    assert mapping.row(["A-1", "10.5", "yes", "FR"]) == {
        "order_id": "A-1", "order_total": 10.5, "rush": True, "ship_to": {"country": "FR"},
        "status": "authorized"}
    assert mapping.row(["A-1", "", "", "FR"]) == {  # an empty cell: the field is absent
        "order_id": "A-1", "ship_to": {"country": "FR"}, "status": "authorized"}


@pytest.mark.parametrize(("columns", "constants", "message"), [
    ([("order_totl", "Total")], [], r'no input field "order_totl" \(did you mean "order_total"'),
    ([("order_total", "Totl")], [], r'rows\.csv:1: no column "Totl" in the header \(did you '
                                    r'mean "Total"'),
    ([("lines", "Total")], [], r'"lines" is a list: one CSV cell cannot hold a list'),
    ([("ship_to", "Country")], [], r'"ship_to" is an object: .*ship_to\.country=HEADER'),
    ([("order_total", "Total"), ("order_total", "Rush")], [], r"already filled by --column"),
    ([("order_total", "Total")], [("status", "authorised")],
     r'"authorised" is not a value of this field \(did you mean "authorized"'),
    ([("order_total", "Total")], [("rush", "maybe")], r'"maybe" is not yes/no'),
    ([("ship_to.country", "Country")], [("status", "pending"), ("order_total", "1,5")],
     r'"1,5" is not a plain number'),
    ([("order_total", "Total")], [("status", "pending")],
     r'no column fills the required field "ship_to"'),
    ([("order_total", "Total"), ("ship_to.country", "Country")], [("due", "4/12/07")],
     r'"4/12/07" is not a date as --date-format says \(ISO: 2006-08-27\)'),
])
def test_a_wrong_mapping_is_refused_before_any_row_runs(
        columns: list[tuple[str, str]], constants: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(InputFileError, match=message):
        map_columns("rows.csv", HEADERS, FIELDS, columns, constants)


def test_a_text_field_takes_any_constant_and_set_wins_over_a_matching_header() -> None:
    mapping = map_columns("rows.csv", HEADERS, FIELDS, [("ship_to.country", "Country")],
                          [("order_id", "1,5"), ("order_total", "12"), ("status", "pending")])
    assert mapping.row(["A-1", "10", "", "FR"]) == {
        "order_id": "1,5", "order_total": 12, "status": "pending", "ship_to": {"country": "FR"}}


def test_a_csv_source_is_a_new_job_per_mapping(tmp_path: Path) -> None:
    src = tmp_path / "rows.csv"
    src.write_text("Order-ID,Total,Rush,Country\nA-1,10,no,FR\nA-2,1.234,yes,DE\n")
    one = open_source(src, FIELDS, InputOptions(constants=(("status", "pending"),),
                                                 columns=(("ship_to.country", "Country"),
                                                          ("order_total", "Total"))))
    other = open_source(src, FIELDS, InputOptions(constants=(("status", "authorized"),),
                                                   columns=(("ship_to.country", "Country"),
                                                            ("order_total", "Total"))))
    assert one.count() == 2 and [n for n, _ in one.lines()] == [2, 3]
    assert one.variant and one.variant != other.variant
    plain = open_source(src, FIELDS, InputOptions(format="jsonl"))
    assert plain.variant == "" and plain.count() == 3


def test_a_date_constant_is_read_by_the_date_format() -> None:
    mapping = map_columns("rows.csv", HEADERS, FIELDS, [("ship_to.country", "Country"),
                                                        ("order_total", "Total")],
                          [("status", "pending"), ("due", "27-Aug-06")], "%d-%b-%y")
    assert mapping.row(["A-1", "10", "", "FR"])["due"] == "2006-08-27"


def test_two_headers_matching_one_field_must_be_chosen_between() -> None:
    headers = ("order_id", "Order ID", "Total", "Country")
    with pytest.raises(InputFileError, match=r'rows\.csv:1: the columns "order_id", "Order ID" '
                                             r"all match the field \"order_id\": choose one"):
        map_columns("rows.csv", headers, FIELDS, [("ship_to.country", "Country"),
                                                  ("order_total", "Total")],
                    [("status", "pending")])
    chosen = map_columns("rows.csv", headers, FIELDS, [("order_id", "Order ID"),
                                                       ("ship_to.country", "Country"),
                                                       ("order_total", "Total")],
                         [("status", "pending")])
    assert chosen.row(["x", "A-1", "10", "FR"])["order_id"] == "A-1"
