"""``runtime.jsontext``: the Rust-encoded text is exactly what the standard library writes."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.jsontext import dumps, dumps_bytes

_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(st.characters(exclude_categories=["Cs"])), inner, max_size=4),
    max_leaves=25,
)


def _reference(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@given(_VALUES)
def test_same_text_as_the_standard_library(value: object) -> None:
    assert dumps(value) == _reference(value)
    assert dumps_bytes(value) == _reference(value).encode()


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused(number: float) -> None:
    with pytest.raises(ValueError):
        dumps({"score": [1, number]})


def test_the_words_nan_and_infinity_in_text_are_data() -> None:
    value = {"note": "NaN and Infinity", "Infinity": 1}
    assert json.loads(dumps(value)) == value
