"""Tolerant parsing of model text: exactly one JSON object, nothing dropped silently."""

from __future__ import annotations

import pytest

from specwright.runtime.errors import ParseError
from specwright.runtime.models.parsing import parse_json_object


@pytest.mark.parametrize(
    "text",
    [
        '{"carrier": "ups", "tags": [1, 2]}',
        '  \n{"carrier": "ups", "tags": [1, 2]}\n',
        '```json\n{"carrier": "ups", "tags": [1, 2]}\n```',
        '```\n{"carrier": "ups", "tags": [1, 2]}\n```',
        'Here is the answer:\n{"carrier": "ups", "tags": [1, 2]}\nHope this helps!',
        'Sure. ```json\n{"carrier": "ups", "tags": [1, 2],}\n``` Done.',
        '{"carrier": "ups", "tags": [1, 2,],}',
        'Answer: {"carrier": "ups", "tags": [1, 2], } thanks',
    ],
)
def test_accepts_json_fences_prose_and_trailing_commas(text: str) -> None:
    assert parse_json_object(text) == {"carrier": "ups", "tags": [1, 2]}


def test_braces_and_commas_inside_strings_are_data() -> None:
    text = 'Result: {"reason": "use {ups}, not ,} usps", "n": 1}'
    assert parse_json_object(text) == {"reason": "use {ups}, not ,} usps", "n": 1}
    assert parse_json_object('{"a": "x,]"}') == {"a": "x,]"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("I cannot decide.", "no JSON object"),
        ("[1, 2]", "JSON array"),
        ('"ups"', "JSON string"),
        ('{"carrier": "ups", "tags": [1, 2', "incomplete"),
        ('{"a": 1} and also {"a": 2}', "2 different JSON objects"),
        ('{"a": 1, "a": 2}', 'key "a" appears twice'),
        ('{"a": NaN}', "NaN is not a JSON number"),
    ],
)
def test_rejects_what_cannot_be_read_without_guessing(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_json_object(text)


def test_the_same_object_twice_is_not_ambiguous() -> None:
    assert parse_json_object('{"a": 1}\n\nAgain: {"a": 1}') == {"a": 1}


def test_list_items_are_kept_even_when_invalid() -> None:
    # an invalid item is left for validation to report: never a shorter list
    assert parse_json_object('{"flags": ["ok", 3, null]}') == {"flags": ["ok", 3, None]}
