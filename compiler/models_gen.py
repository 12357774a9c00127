"""IR -> ``models.py``: Pydantic v2 source for a spec's ``Input``, ``Output`` and object types.

The models accept exactly what ``input.schema.json`` / ``output.schema.json`` accept (see
``specwright.compiler.schema`` for the conventions), with three deliberate extras that a JSON Schema cannot
express or that callers expect of a Python model:

* ``money`` is a ``Decimal`` with at most 2 decimal places (more is rejected with a clear
  message); it is read from a JSON number or a numeric string and written as a JSON number.
* ``integer``, ``number``, ``text`` and ``yes/no`` are strict: ``"5"`` is not an integer and
  ``"yes"`` is not a boolean, as in the schema. A whole float (``5.0``) is an integer, as in JSON
  Schema.
* ``date`` / ``datetime`` are ISO 8601 strings as in the schema (Pydantic alone would also take
  unix timestamps, even as strings); a ``datetime`` must carry a timezone (``AwareDatetime``).

A field whose name is a Python keyword or shadows a ``BaseModel`` attribute gets a trailing
underscore and keeps its spec name as the alias (the models serialise by alias).

Pure: no I/O. The module does not embed the revision number, so identical compiled content
gives identical bytes (the revision lives in ``manifest.json``).
"""

from __future__ import annotations

import json
import keyword
from typing import Any

from pydantic import BaseModel

from specwright.compiler.ir import CompiledSpec, Field, FieldType
from specwright.compiler.schema import (
    TypeNames,
    field_description,
    is_nullable,
    model_description,
    model_title,
)

_MODULE_NAMES = frozenset(
    {"Annotated", "Any", "Literal", "Decimal", "Date", "DateTime", "Time", "AwareDatetime",
     "BaseModel",
     "BeforeValidator", "ConfigDict", "Field", "PlainSerializer", "StrictBool", "StrictFloat",
     "StrictStr", "WithJsonSchema", "Integer", "Money", "Input", "Output"}
)
_SHADOWED = frozenset(dir(BaseModel))

PRELUDE = '''
import re as _re
from datetime import date as _date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictFloat,
    StrictStr,
    WithJsonSchema,
)

_BOUND_KEYWORDS = {
    "ge": "minimum",
    "gt": "exclusiveMinimum",
    "le": "maximum",
    "lt": "exclusiveMaximum",
}


_ISO_DATE = _re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME = _re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}")


def _iso_date(value: Any) -> Any:
    """A date is a YYYY-MM-DD string (never a number: no unix timestamps)."""
    if isinstance(value, int | float | str) and not (
        isinstance(value, str) and _ISO_DATE.fullmatch(value)
    ):
        raise ValueError("should be a date string YYYY-MM-DD")
    return value


def _iso_datetime(value: Any) -> Any:
    """A datetime is an ISO 8601 string with seconds and a timezone (never a number)."""
    if isinstance(value, int | float | str) and not (
        isinstance(value, str) and _ISO_DATETIME.match(value)
    ):
        raise ValueError("should be an ISO 8601 date-time string such as 2024-05-01T14:30:00Z")
    return value


Date = Annotated[_date, BeforeValidator(_iso_date)]
DateTime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime)]


def _whole_number(value: Any) -> Any:
    """JSON Schema counts 5.0 as an integer: accept it (never a string or a boolean)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def Integer(**bounds: float) -> Any:  # noqa: N802
    """A strict integer with optional bounds (ge, gt, le, lt)."""
    return Annotated[int, Field(strict=True, **bounds), BeforeValidator(_whole_number)]


def Money(**bounds: float) -> Any:  # noqa: N802
    """Money: a Decimal with at most 2 decimal places, read from a JSON number or a numeric
    string, written as a JSON number. Bounds (ge, gt, le, lt) are compared exactly."""
    schema: dict[str, Any] = {"type": "number", "x-specwright-type": "money"}
    schema.update({_BOUND_KEYWORDS[k]: v for k, v in bounds.items()})
    exact = {k: Decimal(str(v)) for k, v in bounds.items()}
    return Annotated[
        Decimal,
        Field(decimal_places=2, allow_inf_nan=False, **exact),
        PlainSerializer(float, when_used="json"),
        WithJsonSchema(schema),
    ]
'''


# Added only to the models of a spec with a time-of-day field (other specs' models stay as they
# were, byte for byte). The one rule: a time of day never carries an offset (timeofday.py).
TIME_PRELUDE = '''

from datetime import time as _time

_ISO_TIME = _re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?")


def _iso_time(value: Any) -> Any:
    """A time of day is HH:MM or HH:MM:SS, a wall-clock reading without an offset."""
    if isinstance(value, _time) and value.tzinfo is None:
        return value
    if not (isinstance(value, str) and _ISO_TIME.fullmatch(value)):
        raise ValueError(
            "should be a time of day HH:MM or HH:MM:SS without an offset "
            "(a time of day never has one; for a moment, use a date and time)"
        )
    return value


Time = Annotated[_time, BeforeValidator(_iso_time)]
'''


def _uses_time(fields: tuple[Field, ...] | list[Field]) -> bool:
    def kind_in(ft: FieldType | None) -> bool:
        if ft is None:
            return False
        return ft.kind == "time" or kind_in(ft.items) or _uses_time(ft.fields)

    return any(kind_in(f.type) for f in fields)


def py_literal(value: Any) -> str:
    """A JSON value as Python source (JSON string syntax is valid Python string syntax)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False)


def _kwargs(pairs: list[tuple[str, Any]]) -> str:
    return ", ".join(f"{k}={py_literal(v)}" for k, v in pairs if v is not None)


def _bounds(ft: FieldType) -> list[tuple[str, Any]]:
    return [
        ("ge", ft.minimum),
        ("gt", ft.exclusive_minimum),
        ("le", ft.maximum),
        ("lt", ft.exclusive_maximum),
    ]


def annotation(ft: FieldType, names: TypeNames) -> str:
    """The Python type of a field type, with its constraints."""
    kind = ft.kind
    if kind == "text":
        kw = _kwargs([("min_length", ft.min_length), ("max_length", ft.max_length),
                      ("pattern", ft.pattern)])
        return f"Annotated[StrictStr, Field({kw})]" if kw else "StrictStr"
    if kind == "integer":
        return f"Integer({_kwargs(_bounds(ft))})"
    if kind == "money":
        return f"Money({_kwargs(_bounds(ft))})"
    if kind == "number":
        kw = _kwargs(_bounds(ft))
        return f"Annotated[StrictFloat, Field({kw})]" if kw else "StrictFloat"
    if kind == "boolean":
        return "StrictBool"
    if kind == "date":
        return "Date"
    if kind == "datetime":
        return "DateTime"
    if kind == "time":
        return "Time"
    if kind == "enum":
        return "Literal[" + ", ".join(py_literal(v) for v in ft.values) + "]"
    if kind == "list":
        item = annotation(ft.items, names) if ft.items is not None else "Any"
        kw = _kwargs([("min_length", ft.min_length), ("max_length", ft.max_length)])
        return f"Annotated[list[{item}], Field({kw})]" if kw else f"list[{item}]"
    if kind == "object":
        return names.of(ft)
    raise ValueError(f"unknown type kind {kind!r}")  # pragma: no cover - TypeKind is closed


def python_name(name: str) -> str:
    """The attribute name for a spec field name ('' when the spec name can be used as is)."""
    if name.isidentifier() and not keyword.iskeyword(name) and name not in _SHADOWED \
            and name not in _MODULE_NAMES and not name.startswith("_"):
        return ""
    safe = "".join(c if c.isalnum() or c == "_" else "_" for c in name).lstrip("_") or "field"
    if safe[0].isdigit():
        safe = f"f_{safe}"
    return f"{safe}_"


def field_line(f: Field, names: TypeNames) -> str:
    ann = annotation(f.type, names)
    kw: list[str] = []
    if is_nullable(f):
        ann = f"{ann} | None"
        kw.append("default=None")
    elif f.has_default:
        kw.append(f"default={py_literal(f.default)}")
    attr = python_name(f.name)
    if attr:
        kw.append(f"alias={py_literal(f.name)}")
    if desc := field_description(f):
        kw.append(f"description={py_literal(desc)}")
    line = f"    {attr or f.name}: {ann}"
    return f"{line} = Field({', '.join(kw)})" if kw else line


def _docstring(text: str) -> str:
    if '"""' in text or "\\" in text or text.endswith('"'):
        return f"    {py_literal(text)}"
    return f'    """{text}"""'


def class_source(
    class_name: str, title: str, doc: str, fields: tuple[Field, ...], names: TypeNames
) -> str:
    lines = [f"class {class_name}(BaseModel):"]
    if doc:
        lines += [_docstring(doc), ""]
    config = [
        'extra="forbid"',
        f"title={py_literal(title)}",
        "protected_namespaces=()",
        "validate_default=True",
    ]
    if any(python_name(f.name) for f in fields):
        config.append("serialize_by_alias=True")
    lines += ["    model_config = ConfigDict(", *(f"        {c}," for c in config), "    )"]
    if fields:
        lines.append("")
        lines += [field_line(f, names) for f in fields]
    return "\n".join(lines) + "\n"


def models_source(compiled: CompiledSpec, major: int) -> str:
    """The whole ``models.py`` text."""
    spec = compiled.spec
    names = TypeNames(compiled)
    header = (
        f"# {spec.name}: {spec.title}, contract v{major}\n"
        f"# Generated by specwright from {spec.source}. Do not edit: edit the spec and run\n"
        "# `specwright compile`. The revision number is in manifest.json beside this file.\n"
        f'"""Input and output models of the {spec.name} spec (contract v{major})."""\n'
    )
    uses_time = _uses_time([*spec.inputs, *spec.outputs])
    parts = [header + PRELUDE + (TIME_PRELUDE if uses_time else "")]
    for name, ft in names.ordered:
        parts.append(class_source(name, model_title(spec.name, name, major), "", ft.fields, names))
    for class_name, fields in (("Input", spec.inputs), ("Output", spec.outputs)):
        doc = model_description(spec.title, spec.name, class_name)
        title = model_title(spec.name, class_name, major)
        parts.append(class_source(class_name, title, doc, fields, names))
    return "\n\n".join(parts)
