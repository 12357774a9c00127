"""``celscan.fields_read``: which top-level fields a CEL expression can observe (conservative)."""

from __future__ import annotations

import pytest

from specwright.compiler.celscan import fields_read, flatten

NAMES = ("total", "country", "lines", "note")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('input.total > 10.0 && input.country == "US"', {"total", "country"}),
        ("input.lines.exists(l, l.qty > 1)", {"lines"}),
        ("has(input.note) || input.total < 1.0", {"note", "total"}),
        ('"input.total" == input.country', {"country"}),  # inside a string: not a read
        ("true", set()),
        ("output.input == 1", set()),  # a field named like the root is not the root
    ],
)
def test_reads_only_the_named_fields(expression: str, expected: set[str]) -> None:
    assert fields_read(expression, "input", NAMES) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "size(input) > 2",  # the whole object
        'input["total"] > 1.0',  # an index: any key
        "input.all(k, k != \"x\")",  # a macro over the keys
        "input.undeclared == 1",  # not a declared field: let CEL report it
        "[1].exists(input, input > 0)",  # a comprehension variable named like the root
        "input.",  # cut off
        "input.total ยง 1",  # does not tokenize
    ],
)
def test_any_other_use_means_every_field(expression: str) -> None:
    assert fields_read(expression, "input", NAMES) is None


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('input.total > 10.0 && input . country == "US"', 'in_total > 10.0 && in_country == "US"'),
        ("input.lines.exists(l, l.qty > 1)", "in_lines.exists(l, l.qty > 1)"),
        ('"input.total" + input.note', '"input.total" + in_note'),
        ("output.input", "output.input"),
    ],
)
def test_flatten_reads_fields_as_plain_names(expression: str, expected: str) -> None:
    assert flatten(expression, "input", NAMES, "in_") == expected


@pytest.mark.parametrize(
    "expression",
    ["has(input.note)", "has(input.lines.qty)", "size(input) > 1", "in_total > 1",
     "input.undeclared"],
)
def test_flatten_refuses_what_would_change_meaning(expression: str) -> None:
    assert flatten(expression, "input", NAMES, "in_") is None
