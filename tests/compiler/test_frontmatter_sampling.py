"""Sampling keys in a spec's front matter: read onto the route, located errors when wrong, and
left out of spec.json when unset (so existing specs compile to the same bytes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specwright.compiler import compile_spec
from specwright.compiler.artifacts import spec_json
from specwright.compiler.errors import SpecError

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "specs/carrier-selection.md"


def _text(extra: str) -> str:
    return (ROOT / SOURCE).read_text("utf-8").replace("routing:", extra + "routing:", 1)


def test_sampling_keys_reach_the_route_and_spec_json() -> None:
    compiled = compile_spec(_text("temperature: 0.2\nseed: 7\ntop_p: 0.9\nmax_tokens: 300\n"),
                            SOURCE)
    route = compiled.spec.route
    assert (route.temperature, route.seed, route.top_p, route.max_tokens) == (0.2, 7, 0.9, 300)
    dumped = json.loads(spec_json(compiled))["spec"]["route"]
    assert dumped["seed"] == 7 and dumped["max_tokens"] == 300


def test_unset_sampling_keys_leave_spec_json_byte_identical() -> None:
    compiled = compile_spec((ROOT / SOURCE).read_text("utf-8"), SOURCE)
    assert spec_json(compiled) == (ROOT / "generated/carrier-selection/r1/spec.json").read_bytes()
    assert "temperature" not in json.loads(spec_json(compiled))["spec"]["route"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("temperature: hot\n", "temperature must be a number from 0 to 2"),
        ("temperature: 3\n", "temperature must be a number from 0 to 2"),
        ("seed: 1.5\n", "seed must be a whole number from 0"),
        ("top_p: 0\n", "top_p must be a number above 0 and at most 1"),
        ("max_tokens: 0\n", "max_tokens must be a whole number of tokens above 0"),
        ("temprature: 0\n", 'unknown front matter key "temprature" (did you mean "temperature"'),
    ],
)
def test_a_bad_sampling_key_is_a_located_error(extra: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        compile_spec(_text(extra), SOURCE)
    text = str(info.value)
    assert message in text and f"{SOURCE}:" in text
