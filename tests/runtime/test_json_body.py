"""parse_json_body: every malformed body is a typed 4xx whose message a caller can act on."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specwright.runtime.engine.json_input import _parse_carefully, parse_json_body
from specwright.runtime.errors import InvalidJson

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


# The fast path (the Rust parser plus one walk) must answer exactly as the careful parse does:
# the same value, or the same error message.


def _outcome(parse: object, body: bytes) -> object:
    try:
        return ("value", repr(parse(body)))  # type: ignore[operator]
    except InvalidJson as exc:
        return ("error", exc.message)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(_JSON)
def test_fast_path_agrees_on_json_values(value: object) -> None:
    body = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    fast = _outcome(lambda b: parse_json_body(b, JSON), body)
    assert fast == _outcome(_parse_carefully, body)


_PIECES = st.sampled_from(
    ['{"a": ', "[", "]", "}", ",", '"x"', "1e400", "-" + "9" * 400, "9" * 400, "NaN",
     "-Infinity", '"\\ud800"', '"\\ud83d\\ude00"', "0.1", "-0", "01", "true", "nul", " ",
     '"\t"', "\\", '"\\u00e9"', "1.5e-400"]
)


@given(st.lists(_PIECES, max_size=12).map("".join), st.binary(max_size=4))
def test_fast_path_agrees_on_any_bytes(text: str, tail: bytes) -> None:
    body = text.encode() + tail
    fast = _outcome(lambda b: parse_json_body(b, JSON), body)
    assert fast == _outcome(_parse_carefully, body)


def test_depth_limit_is_the_same_on_both_paths() -> None:
    for depth in (64, 65):
        body = b"[" * depth + b"]" * depth
        assert _outcome(lambda b: parse_json_body(b, JSON), body) == _outcome(
            _parse_carefully, body
        )
