"""IR -> JSON Schema 2020-12."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from specwright.compiler.artifacts import INPUT_SCHEMA, OUTPUT_SCHEMA
from specwright.compiler.ir import CompiledSpec
from specwright.compiler.manifest import canonical_json
from specwright.compiler.schema import TypeNames, input_schema, output_schema, pascal_case
from specwright.runtime.testing.schema_validation import validator_for


def walk(node: Any) -> list[dict[str, Any]]:
    out = []
    if isinstance(node, dict):
        out.append(node)
        for v in node.values():
            out += walk(v)
    elif isinstance(node, list):
        for v in node:
            out += walk(v)
    return out


def test_document_header_and_required(full: CompiledSpec) -> None:
    s = input_schema(full, 1)
    assert list(s)[:4] == ["$schema", "title", "description", "type"]
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert s["title"] == "CarrierSelectionInputV1"
    assert s["description"] == "Input of Carrier selection (spec carrier-selection)"
    assert s["additionalProperties"] is False
    assert s["required"] == ["order_id", "weight_kg", "promised_days", "declared_value",
                             "ordered_at", "channel", "lines", "ship_to"]
    assert output_schema(full, 4)["title"] == "CarrierSelectionOutputV4"


def test_schemas_are_valid_2020_12(full: CompiledSpec) -> None:
    for s in (input_schema(full, 1), output_schema(full, 1)):
        jsonschema.Draft202012Validator.check_schema(s)
        for obj in walk(s):
            if obj.get("type") == "object":
                assert obj["additionalProperties"] is False


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("order_id", {"description": "Our order number", "type": "string", "minLength": 1,
                      "maxLength": 40}),
        ("weight_kg", {"description": "Weight", "type": "number", "exclusiveMinimum": 0,
                       "maximum": 70}),
        ("promised_days", {"type": "integer", "minimum": 1, "maximum": 14}),
        ("declared_value", {"description": "Value for insurance (money: a decimal amount with at"
                                           " most 2 decimal places)",
                            "type": "number", "multipleOf": 0.01, "x-specwright-type": "money",
                            "minimum": 0}),
        ("hazmat", {"description": "Dangerous goods", "type": "boolean", "default": False}),
        ("ordered_at", {"type": "string", "format": "date-time"}),
        ("channel", {"type": "string", "enum": ["web", "store", "phone"]}),
        ("lines", {"type": "array", "items": {"$ref": "#/$defs/LineItem"}, "minItems": 1,
                   "maxItems": 5}),
        ("ship_to", {"$ref": "#/$defs/Address"}),
        ("priority", {"type": "integer", "minimum": 1, "maximum": 5, "default": 3}),
        ("region", {"description": "State code", "anyOf": [{"type": "string"}, {"type": "null"}]}),
        ("ship_on", {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]}),
        ("tags", {"anyOf": [{"type": "array", "items": {"type": "string", "maxLength": 10},
                             "maxItems": 5}, {"type": "null"}]}),
        ("bill_to", {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}]}),
    ],
)
def test_field_types(full: CompiledSpec, name: str, expected: dict[str, Any]) -> None:
    assert input_schema(full, 1)["properties"][name] == expected


def test_money_is_a_cent_multiple_checked_exactly(full: CompiledSpec) -> None:
    s = input_schema(full, 1)
    money = [obj for obj in walk(s) if obj.get("x-specwright-type") == "money"]
    assert len(money) == 3
    assert all(m["type"] == "number" and m["multipleOf"] == 0.01 for m in money)
    v = validator_for(s["$defs"]["LineItem"])
    for cents in (0.07, 19.99, 1234.56, 100):
        assert v.is_valid({"sku": "a", "quantity": 1, "unit_price": cents}), cents
    for bad in (0.001, 19.999, 0.5700000000000001):
        assert not v.is_valid({"sku": "a", "quantity": 1, "unit_price": bad}), bad
    # The stock float-division check gets this wrong, which is why validator_for exists.
    assert not jsonschema.Draft202012Validator({"multipleOf": 0.01}).is_valid(0.07)


def test_optional_fields_are_nullable_and_defaults_are_not(full: CompiledSpec) -> None:
    s = input_schema(full, 1)
    v = jsonschema.Draft202012Validator(s)
    base = full.spec.examples[0].input
    assert v.is_valid(base)
    assert v.is_valid({**base, "region": None, "bill_to": None})
    assert not v.is_valid({**base, "hazmat": None})  # a default stands in; null does not
    assert not v.is_valid({**base, "order_id": None})
    assert not v.is_valid({**base, "unknown": 1})
    out = output_schema(full, 1)
    assert out["required"] == ["carrier", "service", "insured", "reason"]
    assert out["properties"]["refund"]["anyOf"][1] == {"type": "null"}


def test_nested_objects_are_defs_with_titles(full: CompiledSpec) -> None:
    s = input_schema(full, 2)
    assert list(s["$defs"]) == ["LineItem", "Address"]
    assert s["$defs"]["Address"]["title"] == "CarrierSelectionAddressV2"
    assert s["$defs"]["Address"]["required"] == ["street", "country"]
    assert s["$defs"]["Address"]["properties"]["postcode"]["anyOf"][0]["pattern"] == "^[0-9]{5}$"
    assert "$defs" not in output_schema(full, 2)


GENERATED = Path(__file__).resolve().parents[2] / "generated"
PUBLISHED = sorted(p for name in (INPUT_SCHEMA, OUTPUT_SCHEMA)
                   for p in GENERATED.glob(f"*/r*/{name}"))


def test_every_spec_revision_publishes_both_schemas() -> None:
    revisions = sorted(GENERATED.glob("*/r*/"))
    assert revisions, f"no spec revisions under {GENERATED}"
    assert len(PUBLISHED) == 2 * len(revisions)


@pytest.mark.parametrize("path", PUBLISHED, ids=[str(p.relative_to(GENERATED)) for p in PUBLISHED])
def test_published_schemas_are_valid_2020_12(path: Path) -> None:
    """What ``generated/`` publishes for every spec revision (not only the hand-built IR above)
    is a valid 2020-12 schema (its regexes and formats included), and its examples pass it."""
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = validator_for(schema)
    for example in schema.get("examples", []):
        assert validator.is_valid(example), list(validator.iter_errors(example))


def test_examples_complete_only(full: CompiledSpec) -> None:
    assert input_schema(full, 1)["examples"] == [full.spec.examples[0].input]
    assert "examples" not in output_schema(full, 1)  # the example's output is partial


def test_object_type_names_are_unique_and_avoid_reserved(build: Any) -> None:
    a = build.ftype("object", object_name="Address", fields=(build.field("a", "text"),))
    b = build.ftype("object", object_name="address", fields=(build.field("b", "integer"),))
    c = build.ftype("object", object_name="input", fields=(build.field("c", "boolean"),))
    spec = build.compiled(inputs=(build.field("x", a), build.field("y", b), build.field("z", c),
                                  build.field("w", a)))
    names = TypeNames(spec)
    assert [n for n, _ in names.ordered] == ["Address", "Address2", "Input2"]
    s = input_schema(spec, 1)
    assert s["properties"]["w"] == {"$ref": "#/$defs/Address"}
    assert sorted(s["$defs"]) == ["Address", "Address2", "Input2"]


def test_pascal_case() -> None:
    assert pascal_case("carrier-selection") == "CarrierSelection"
    assert pascal_case("line_items") == "LineItems"
    assert pascal_case("Line item") == "LineItem"
    assert pascal_case("3d model") == "T3dModel"
    assert pascal_case("--") == "Object"


def test_canonical_json_is_deterministic(full: CompiledSpec) -> None:
    a = canonical_json(input_schema(full, 1))
    assert a == canonical_json(input_schema(full, 1))
    assert a.endswith(b"}\n") and b'\n  "$schema"' in a
    assert canonical_json({"é": "ü"}) == '{\n  "é": "ü"\n}\n'.encode()
    assert json.loads(a) == input_schema(full, 1)
