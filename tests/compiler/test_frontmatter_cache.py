"""``answer cache`` in the front matter: read onto the route, located errors when wrong,
refused for a spec with sensitive fields, and absent from spec.json when unset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specwright.compiler import compile_spec
from specwright.compiler.artifacts import spec_json
from specwright.compiler.errors import SpecError
from specwright.compiler.frontmatter_cache import parse_duration

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "specs/carrier-selection.md"


def _text(extra: str, source: str = SOURCE) -> str:
    return (ROOT / source).read_text("utf-8").replace("\nowner:", "\n" + extra + "owner:", 1)


@pytest.mark.parametrize(("value", "seconds"), [("24h", 86400), ("30m", 1800), ("90s", 90),
                                                ("7d", 604800), ("never", 0), ("off", 0)])
def test_the_duration_reaches_the_route_and_spec_json(value: str, seconds: int) -> None:
    compiled = compile_spec(_text(f"answer cache: {value}\n"), SOURCE)
    assert compiled.spec.route.answer_cache_s == seconds
    assert json.loads(spec_json(compiled))["spec"]["route"]["answer_cache_s"] == seconds


def test_unset_leaves_spec_json_byte_identical() -> None:
    compiled = compile_spec((ROOT / SOURCE).read_text("utf-8"), SOURCE)
    assert compiled.spec.route.answer_cache_s is None
    assert spec_json(compiled) == (ROOT / "generated/carrier-selection/r1/spec.json").read_bytes()


@pytest.mark.parametrize("value", ["24 hours", "0s", "400d", "-1h", "1.5h", "yes", "12"])
def test_a_bad_duration_is_a_located_error(value: str) -> None:
    with pytest.raises(SpecError) as err:
        compile_spec(_text(f"answer cache: {value}\n"), SOURCE)
    (line,) = [d for d in str(err.value).splitlines() if "answer cache must be" in d]
    assert line.startswith(f"{SOURCE}:4:15: error: answer cache must be a duration such as 90s")


def test_a_typo_of_the_key_names_it() -> None:
    with pytest.raises(SpecError, match='unknown front matter key "answer cach".*answer cache'):
        compile_spec(_text("answer cach: 1h\n"), SOURCE)


def test_a_spec_with_sensitive_fields_cannot_opt_in() -> None:
    source = "specs/product-moderation.md"
    with pytest.raises(SpecError) as err:
        compile_spec(_text("answer cache: 1h\n", source), source)
    assert f"{source}:4:1: error: answer cache cannot be used with sensitive fields (seller_email)" \
        in str(err.value)
    # forbidding it is always allowed
    assert compile_spec(_text("answer cache: never\n", source), source).spec.route \
        .answer_cache_s == 0


def test_parse_duration_bounds() -> None:
    assert parse_duration("366d") == 366 * 86400
    assert parse_duration("367d") is None and parse_duration("") is None
