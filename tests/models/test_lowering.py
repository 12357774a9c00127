"""Schema lowering per provider dialect, and the constructs a dialect cannot express."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from mdl_support import SCHEMA

from specwright.runtime.models.lowering import UnsupportedSchema, lower, unsupported

NESTED: dict[str, Any] = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "pattern": "^[A-Z]{2}$", "minLength": 2, "format": "date",
                 "title": "Code", "default": "US"},
        "when": {"type": "string", "format": "hostname-ish"},
        "amount": {"type": "number", "minimum": 0, "maximum": 10},
        "address": {"$ref": "#/$defs/Address"},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/Address"}, "maxItems": 3},
    },
    "required": ["code", "amount", "lines"],
    "$defs": {
        "Address": {
            "type": "object",
            "properties": {"street": {"type": "string"},
                           "unit": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                           "kind": {"type": "string", "enum": ["home", "work"]}},
            "required": ["street"],
        }
    },
}


def test_openai_strict_requires_everything_and_closes_objects() -> None:
    low = lower(SCHEMA, "openai").schema
    assert low["required"] == ["carrier", "reason", "note"]
    assert low["additionalProperties"] is False
    assert "$schema" not in low and "title" not in low
    assert "x-specwright-type" not in low["properties"]["reason"]
    # maxLength is not supported by strict mode: moved into the description
    assert "maxLength" not in low["properties"]["reason"]
    assert low["properties"]["reason"]["description"] == "One sentence (at most 200 characters)"
    assert low["properties"]["note"]["anyOf"][-1] == {"type": "null"}


def test_openai_nested_refs_inlined_optional_nullable() -> None:
    low = lower(NESTED, "openai").schema
    code = low["properties"]["code"]
    assert code == {
        "type": "string", "format": "date",
        "description": "(must match the regular expression ^[A-Z]{2}$; at least 2 characters)",
    }
    assert "format" not in low["properties"]["when"]  # unsupported format: described
    assert low["properties"]["amount"] == {"type": "number", "minimum": 0, "maximum": 10}
    address = low["properties"]["address"]
    assert "$ref" not in str(low) and "$defs" not in low
    assert address["type"] == ["object", "null"]  # optional: nullable
    assert address["required"] == ["street", "unit", "kind"]
    assert address["additionalProperties"] is False
    assert address["properties"]["kind"] == {"type": ["string", "null"],
                                             "enum": ["home", "work", None]}
    assert low["properties"]["lines"]["maxItems"] == 3
    assert low["properties"]["lines"]["items"]["properties"]["unit"]["anyOf"][1] == {"type": "null"}


def test_restore_removes_only_the_nulls_of_optional_fields() -> None:
    low = lower(NESTED, "openai")
    data = {
        "code": "US", "amount": 1, "address": None,
        "lines": [{"street": "a", "unit": None, "kind": None}, {"street": None, "unit": "2"}],
    }
    assert low.restore(data) == {
        "code": "US", "amount": 1,
        # "street" is required: its null stays, for validation to report
        "lines": [{"street": "a"}, {"street": None, "unit": "2"}],
    }


def test_anthropic_and_compat_keep_constraints_and_optionality() -> None:
    for dialect in ("anthropic", "compat", "json_object"):
        low = lower(NESTED, dialect)  # type: ignore[arg-type]
        code = low.schema["properties"]["code"]
        assert code["pattern"] == "^[A-Z]{2}$" and code["minLength"] == 2
        assert low.schema["required"] == ["code", "amount", "lines"]
        assert low.schema["additionalProperties"] is False
        assert low.schema["properties"]["address"]["additionalProperties"] is False
        assert low.restore({"address": None}) == {"address": None}


def test_lowering_is_cached_and_never_mutates_the_input() -> None:
    original = copy.deepcopy(NESTED)
    first = lower(NESTED, "openai")
    assert lower(NESTED, "openai") is first
    assert lower(copy.deepcopy(NESTED), "openai") is first  # same content: cached too
    assert NESTED == original


def test_unsupported_constructs_are_reported_per_dialect() -> None:
    schema = {
        "type": "object",
        "properties": {
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
            "pick": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "self": {"$ref": "#"},
        },
    }
    problems = unsupported(schema, "openai")
    assert any("output.tags is a free-form map" in p for p in problems)
    assert any("output.pick uses oneOf" in p for p in problems)
    assert any("refers to itself" in p for p in problems)
    only = unsupported(schema, "anthropic")
    assert len(only) == 1 and "refers to itself (#): recursive outputs are not supported" in only[0]
    assert unsupported({"type": "array"}, "compat")[0].startswith("the output must be an object")
    with pytest.raises(UnsupportedSchema, match="free-form map"):
        lower(schema, "openai")


def test_openai_limits() -> None:
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(11):
        deep = {"type": "object", "properties": {"x": deep}, "required": ["x"]}
    assert any("nests 11 levels" in p for p in unsupported(deep, "openai"))
    assert unsupported(deep, "anthropic") == []
