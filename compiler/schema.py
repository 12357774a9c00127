"""IR -> JSON Schema 2020-12 for a spec's Input and Output (``input.schema.json``, ``output.schema.json``).

Conventions (``models_gen`` emits Pydantic models that validate exactly the same documents):

* Every object is closed (``additionalProperties: false``) and lists its ``required`` fields.
* Nested object types live in ``$defs`` under their PascalCase type name and are used by ``$ref``.
* A field marked ``optional`` without a default may be omitted **or** sent as ``null``:
  ``anyOf: [<type>, {"type": "null"}]``, not in ``required``. A field with a default may be
  omitted (it then takes the default) but is never ``null``: the default is the only stand-in.
  The same holds for Output: an optional output field is ``null`` when the service has no value.
* ``money`` is a JSON number with ``multipleOf: 0.01`` (at most 2 decimal places), marked
  ``"x-specwright-type": "money"``. ``multipleOf`` must be checked exactly (as decimals), as the
  JSON Schema specification defines it; Python's ``jsonschema`` divides floats and wrongly
  rejects 0.07, so Specwright's own checks use ``specwright.runtime.testing.schema_validation``.
* Titles are the Pydantic model titles (``CarrierSelectionInputV1``) so OpenAPI component names
  are distinct per spec and contract major; ``specwright.compiler.contract`` ignores titles.

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from specwright.compiler.ir import CompiledSpec, Field, FieldType
from specwright.compiler.timeofday import SCHEMA_PATTERN as TIME_PATTERN

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
MONEY_NOTE = "money: a decimal amount with at most 2 decimal places"
Direction = Literal["input", "output"]

# Names the generated models module defines itself; object types are renamed around them.
RESERVED_TYPE_NAMES = frozenset(
    {"Input", "Output", "BaseModel", "Field", "ConfigDict", "Annotated", "Any", "Literal",
     "Decimal", "AwareDatetime", "BeforeValidator", "PlainSerializer", "WithJsonSchema",
     "Date", "DateTime", "Integer", "Money", "StrictBool", "StrictFloat", "StrictStr"}
)


def pascal_case(name: str) -> str:
    """``carrier-selection`` -> ``CarrierSelection``; ``line_items`` -> ``LineItems``."""
    words = [w for w in re.split(r"[^0-9A-Za-z]+", name) if w]
    out = "".join(w[0].upper() + w[1:] for w in words) or "Object"
    return out if out[0].isalpha() else f"T{out}"


def model_title(spec_name: str, class_name: str, major: int) -> str:
    """The schema/model title: spec, class and contract major, e.g. ``CarrierSelectionInputV1``."""
    return f"{pascal_case(spec_name)}{class_name}V{major}"


def model_description(spec_title: str, spec_name: str, class_name: str) -> str:
    """Description of the Input/Output schema and docstring of the model class (no major:
    the description is part of the contract comparison, the title is not)."""
    return f"{class_name} of {spec_title} (spec {spec_name})"


def type_key(ft: FieldType) -> str:
    """Identity of an object type (two fields sharing a section share one class)."""
    return ft.model_dump_json()


class TypeNames:
    """PascalCase class names for every object type of a spec, unique and in dependency order."""

    def __init__(self, compiled: CompiledSpec) -> None:
        self.names: dict[str, str] = {}  # type_key -> class name
        self.ordered: list[tuple[str, FieldType]] = []  # nested types before their users
        taken = set(RESERVED_TYPE_NAMES)
        self._visit(compiled.spec.inputs, taken)
        self._visit(compiled.spec.outputs, taken)

    def _visit(self, fields: Iterable[Field], taken: set[str]) -> None:
        for f in fields:
            ft = f.type
            while ft.kind == "list" and ft.items is not None:
                ft = ft.items
            if ft.kind != "object" or type_key(ft) in self.names:
                continue
            self._visit(ft.fields, taken)
            base = pascal_case(ft.object_name or f.name)
            name, n = base, 2
            while name in taken:
                name, n = f"{base}{n}", n + 1
            taken.add(name)
            self.names[type_key(ft)] = name
            self.ordered.append((name, ft))

    def of(self, ft: FieldType) -> str:
        return self.names[type_key(ft)]


def is_nullable(f: Field) -> bool:
    """Optional without a default: may be omitted or null."""
    return not f.required and not f.has_default


def is_required(f: Field) -> bool:
    return f.required and not f.has_default


def _bounds(ft: FieldType) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (
        ("minimum", ft.minimum),
        ("exclusiveMinimum", ft.exclusive_minimum),
        ("maximum", ft.maximum),
        ("exclusiveMaximum", ft.exclusive_maximum),
    ):
        if value is not None:
            out[key] = value
    return out


def type_schema(ft: FieldType, names: TypeNames) -> dict[str, Any]:
    """The schema of a type (without description/default), ``$ref`` for object types."""
    kind = ft.kind
    if kind == "text":
        s: dict[str, Any] = {"type": "string"}
        if ft.min_length is not None:
            s["minLength"] = ft.min_length
        if ft.max_length is not None:
            s["maxLength"] = ft.max_length
        if ft.pattern is not None:
            s["pattern"] = ft.pattern
        return s
    if kind in ("integer", "number"):
        return {"type": kind, **_bounds(ft)}
    if kind == "money":
        # multipleOf 0.01 is the standard statement of "at most 2 decimal places"; validators
        # must check it exactly (decimal), not by float division.
        return {"type": "number", "multipleOf": 0.01, "x-specwright-type": "money", **_bounds(ft)}
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "date":
        return {"type": "string", "format": "date"}
    if kind == "datetime":
        return {"type": "string", "format": "date-time"}
    if kind == "time":
        # Not "format": "time": JSON Schema's time is RFC 3339's full-time, whose offset is
        # required, and a time of day never has one (timeofday.py). The pattern says it.
        return {"type": "string", "pattern": TIME_PATTERN, "x-specwright-type": "time"}
    if kind == "enum":
        return {"type": "string", "enum": list(ft.values)}
    if kind == "list":
        s = {"type": "array"}
        if ft.items is not None:
            s["items"] = type_schema(ft.items, names)
            if ft.items.kind == "money":
                s["items"]["description"] = MONEY_NOTE
        if ft.min_length is not None:
            s["minItems"] = ft.min_length
        if ft.max_length is not None:
            s["maxItems"] = ft.max_length
        return s
    if kind == "object":
        return {"$ref": f"#/$defs/{names.of(ft)}"}
    raise ValueError(f"unknown type kind {kind!r}")  # pragma: no cover - TypeKind is closed


def field_description(f: Field) -> str:
    if f.type.kind != "money":
        return f.description
    return f"{f.description} ({MONEY_NOTE})" if f.description else MONEY_NOTE[0].upper() + MONEY_NOTE[1:]


def field_schema(f: Field, names: TypeNames) -> dict[str, Any]:
    inner = type_schema(f.type, names)
    s: dict[str, Any] = {}
    if desc := field_description(f):
        s["description"] = desc
    if is_nullable(f):
        s["anyOf"] = [inner, {"type": "null"}]
    else:
        s.update(inner)
    if f.has_default:
        s["default"] = f.default
    return s


def object_schema(fields: Iterable[Field], names: TypeNames) -> dict[str, Any]:
    fields = tuple(fields)
    s: dict[str, Any] = {
        "type": "object",
        "properties": {f.name: field_schema(f, names) for f in fields},
        "required": [f.name for f in fields if is_required(f)],
        "additionalProperties": False,
    }
    return s


def _used_defs(fields: Iterable[Field], names: TypeNames) -> list[str]:
    """Keys of the object types reachable from ``fields``, nested first."""
    seen: list[str] = []

    def visit(ft: FieldType) -> None:
        while ft.kind == "list" and ft.items is not None:
            ft = ft.items
        if ft.kind == "object" and type_key(ft) not in seen:
            for sub in ft.fields:
                visit(sub.type)
            seen.append(type_key(ft))

    for f in fields:
        visit(f.type)
    return seen


def _complete(example: dict[str, Any], fields: Iterable[Field]) -> bool:
    return all(f.name in example for f in fields if is_required(f))


def direction_schema(compiled: CompiledSpec, direction: Direction, major: int) -> dict[str, Any]:
    """The whole ``input.schema.json`` / ``output.schema.json`` document."""
    spec = compiled.spec
    fields = spec.inputs if direction == "input" else spec.outputs
    names = TypeNames(compiled)
    class_name = "Input" if direction == "input" else "Output"
    doc: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "title": model_title(spec.name, class_name, major),
        "description": model_description(spec.title, spec.name, class_name),
    }
    doc.update(object_schema(fields, names))
    examples = [
        getattr(ex, direction) for ex in spec.examples if _complete(getattr(ex, direction), fields)
    ]
    if examples:
        doc["examples"] = examples
    defs = _used_defs(fields, names)
    if defs:
        by_key = {type_key(ft): (name, ft) for name, ft in names.ordered}
        doc["$defs"] = {}
        for key in defs:
            name, ft = by_key[key]
            doc["$defs"][name] = {
                "title": model_title(spec.name, name, major),
                **object_schema(ft.fields, names),
            }
    return doc


def input_schema(compiled: CompiledSpec, major: int) -> dict[str, Any]:
    return direction_schema(compiled, "input", major)


def output_schema(compiled: CompiledSpec, major: int) -> dict[str, Any]:
    return direction_schema(compiled, "output", major)
