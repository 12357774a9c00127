"""``specwright.runtime.jsontext``: the Rust-encoded text holds exactly the value the standard library's
does, and is the same text but for how a float's exponent may be written (``1e-7``, ``1e-07``)."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specwright.runtime.jsontext import dumps, dumps_bytes

_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(st.characters(exclude_categories=["Cs"])), inner, max_size=4),
    max_leaves=25,
)


def _reference(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _has_float(value: object) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return False


@given(_VALUES)
def test_same_value_as_the_standard_library(value: object) -> None:
    text = dumps(value)
    assert dumps_bytes(value) == text.encode()
    # repr: floats compared exactly (and 1 is not 1.0, True is not 1)
    assert repr(json.loads(text)) == repr(json.loads(_reference(value))) == repr(value)
    if not _has_float(value):
        assert text == _reference(value)


def test_a_float_exponent_may_be_written_without_its_leading_zero() -> None:
    assert json.loads(dumps(9.023022467637338e-07)) == 9.023022467637338e-07


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused(number: float) -> None:
    with pytest.raises(ValueError):
        dumps({"score": [1, number]})


def test_the_words_nan_and_infinity_in_text_are_data() -> None:
    value = {"note": "NaN and Infinity", "Infinity": 1}
    assert json.loads(dumps(value)) == value
