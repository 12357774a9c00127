"""parse_json_body: every malformed body is a typed 4xx whose message a caller can act on."""

from __future__ import annotations

import pytest

from runtime.http_errors import InvalidJson, parse_json_body

JSON = "application/json"


def test_a_huge_integer_is_refused_without_python_internals() -> None:
    with pytest.raises(InvalidJson) as info:
        parse_json_body(b'{"a": ' + b"9" * 5000 + b"}", JSON)
    assert "5000 digits is too large" in info.value.message
    assert "sys." not in info.value.message


@pytest.mark.parametrize("body", [b'{"a": "A-\\ud800"}', b'{"x\\udfff": 1}', b'["\\udc00"]'])
def test_lone_surrogate_escapes_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidJson, match="lone UTF-16 surrogate"):
        parse_json_body(body, JSON)


def test_paired_surrogates_and_escaped_backslashes_are_data() -> None:
    assert parse_json_body(b'{"a": "\\ud83d\\ude00"}', JSON) == {"a": "\U0001f600"}
    assert parse_json_body(b'{"a": "\\\\ud800"}', JSON) == {"a": "\\ud800"}
