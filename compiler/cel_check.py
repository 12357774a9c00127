"""CEL's own static type checker over a spec's declared fields (Google's ``cel-expr-python``).

The evaluating binding (``cel_engine.py``) has no checker, so a type error used to be found only by
running the expression on samples, and only in the branches a sample reached. ``cel-expr-python``
wraps CEL's C++ checker: given the types of ``input`` and ``output`` it types every
sub-expression, inside macros and untaken branches too, and locates each error.

It needs those types as protobuf messages. ``_pool`` writes one message per object of the spec
(``Input``, ``Output``, one per nested object or list item) into a private descriptor pool:
text, enum and date -> ``string``; integer -> ``int64``; number and money -> ``double``; yes/no ->
``bool``; date and time -> ``google.protobuf.Timestamp``; a list -> a repeated field; an object
with fields -> a message, without -> ``google.protobuf.Struct``; a kind not listed here -> any
value (``google.protobuf.Value``), so a new kind is never refused by a guess. An optional field without a
default is a wrapper (``google.protobuf.DoubleValue`` ...), so ``input.x != null`` types as it
runs: the value is null when the field is absent.

Two of the checker's errors are not errors of CEL as it runs, and are dropped (``_tolerated``):
an int meeting a double in a comparison (``input.total > 1000``: CEL compares numbers across
types by value, and so does the evaluating binding; the checker's option for it is not exposed by
the binding), and a list compared with ``null`` (an absent optional list is null at run time).
The rest are turned into the compiler's wording (``problems``): located, in the expert's types.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

from specwright.compiler.errors import did_you_mean
from specwright.compiler.ir import Field, FieldType

PACKAGE = "specwright.check"
_SCALAR = {  # kind -> (proto type, wrapper message when nullable)
    "text": ("string", "StringValue"),
    "enum": ("string", "StringValue"),
    "date": ("string", "StringValue"),
    "time": ("string", "StringValue"),
    "integer": ("int64", "Int64Value"),
    "number": ("double", "DoubleValue"),
    "money": ("double", "DoubleValue"),
    "boolean": ("bool", "BoolValue"),
}
_CEL_NAMES = {  # the checker's type names as the spec names them
    "string": "text",
    "int": "an integer",
    "uint": "an unsigned integer",
    "double": "a number",
    "bool": "yes/no",
    "null_type": "null",
    "google.protobuf.Timestamp": "a date and time",
    "timestamp": "a date and time",
    "google.protobuf.Duration": "a duration",
    "duration": "a duration",
    "bytes": "bytes",
    "dyn": "any value",
}
_OPERATORS = {
    "_==_": "==", "_!=_": "!=", "_<_": "<", "_<=_": "<=", "_>_": ">", "_>=_": ">=",
    "_+_": "+", "_-_": "-", "_*_": "*", "_/_": "/", "_%_": "%", "_&&_": "&&", "_||_": "||",
    "!_": "!", "-_": "-", "@in": "in", "_?_:_": "?:", "_[_]": "[ ]",
}  # fmt: skip
_COMPARISONS = frozenset({"_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_", "@in"})
_NUMBER = r"(?:wrapper\()?(?:int|uint|double)\)?"
_CROSS_NUMERIC = re.compile(rf"\({_NUMBER}, (?:{_NUMBER}|list\({_NUMBER}\))\)")
_NULL_LIST = re.compile(r"\((?:list\(.*\), null_type|null_type, list\(.*\))\)")
_ERROR = re.compile(r"<input>:(\d+):(\d+): (.*)")
_OVERLOAD = re.compile(r"found no matching overload for '([^']+)' applied to '\((.*)\)'")
_UNDECLARED = re.compile(r"undeclared reference to '([^']+)'")
_NO_FIELD = re.compile(r"undefined field '([^']+)' not found in struct '([^']+)'")
FUNCTIONS = (  # CEL's standard functions and macros, for did-you-mean
    "size", "matches", "startsWith", "endsWith", "contains", "exists", "exists_one", "all",
    "map", "filter", "has", "int", "uint", "double", "string", "bool", "timestamp",
    "duration", "getFullYear", "getMonth", "getDayOfMonth", "getDayOfWeek", "getHours",
)  # fmt: skip
# Names experts reach for that CEL spells otherwise.
ALIASES = {
    "count": "size", "length": "size", "len": "size", "includes": "contains",
    "any": "exists", "some": "exists", "every": "all", "startswith": "startsWith",
    "endswith": "endsWith", "regex": "matches", "match": "matches", "now": "timestamp",
}  # fmt: skip
Problems = list[tuple[int, str]]


@functools.cache
def _module() -> Any:
    from cel_expr_python import cel

    return cel


def problems(expression: str, inputs: Sequence[Field], outputs: Sequence[Field]) -> Problems:
    """The checker's type errors in ``expression`` as (offset, message), or none; a condition
    whose type is known and not yes/no is a problem too."""
    cel = _module()
    try:
        checked = _env(tuple(inputs), tuple(outputs)).compile(expression)
    except RuntimeError as exc:
        return _translate(expression, str(exc), _field_names(tuple(inputs), tuple(outputs)))
    kind = checked.return_type()
    if kind in (cel.Type.BOOL, cel.Type.DYN, cel.Type.ERROR):
        return []
    return [(0, f"gives {_type_name(kind.name().lower())}, not true or false: write a condition")]


@functools.lru_cache(maxsize=64)
def _env(inputs: tuple[Field, ...], outputs: tuple[Field, ...]) -> Any:
    cel = _module()
    pool = _pool(inputs, outputs)
    variables = {"input": cel.Type(f"{PACKAGE}.Input"), "output": cel.Type(f"{PACKAGE}.Output")}
    return cel.NewEnv(pool, variables=variables)


@functools.lru_cache(maxsize=64)
def _field_names(inputs: tuple[Field, ...], outputs: tuple[Field, ...]) -> dict[str, list[str]]:
    """Each message's full name -> its field names (for did-you-mean)."""
    names: dict[str, list[str]] = {}

    def walk(name: str, fields: Sequence[Field]) -> None:
        names[f"{PACKAGE}.{name}"] = [f.name for f in fields]
        for number, f in enumerate(fields, start=1):
            ftype = f.type.items if f.type.kind == "list" and f.type.items else f.type
            if ftype.kind == "object" and ftype.fields:
                walk(_nested(name, number), ftype.fields)

    walk("Input", inputs)
    walk("Output", outputs)
    return names


def _pool(inputs: tuple[Field, ...], outputs: tuple[Field, ...]) -> Any:
    from google.protobuf import (
        descriptor_pb2,
        descriptor_pool,
        struct_pb2,
        timestamp_pb2,
        wrappers_pb2,
    )

    pool = descriptor_pool.DescriptorPool()
    for module in (wrappers_pb2, timestamp_pb2, struct_pb2):
        known = descriptor_pb2.FileDescriptorProto()
        module.DESCRIPTOR.CopyToProto(known)
        pool.Add(known)
    file = descriptor_pb2.FileDescriptorProto(
        name="specwright_check.proto",
        package=PACKAGE,
        syntax="proto3",
        dependency=[m.DESCRIPTOR.name for m in (wrappers_pb2, timestamp_pb2, struct_pb2)],
    )
    _message(file, "Input", inputs)
    _message(file, "Output", outputs)
    pool.Add(file)
    return pool


def _message(file: Any, name: str, fields: Sequence[Field]) -> None:
    from google.protobuf.descriptor_pb2 import FieldDescriptorProto as Proto

    message = file.message_type.add(name=name)
    for number, field in enumerate(fields, start=1):
        nullable = not field.required and not field.has_default
        entry = message.field.add(name=field.name, number=number, label=Proto.LABEL_OPTIONAL)
        ftype = field.type
        if ftype.kind == "list":
            entry.label = Proto.LABEL_REPEATED
            ftype = ftype.items or FieldType(kind="object")
            if ftype.kind == "list":  # a list of lists: its items are not typed
                entry.type, entry.type_name = Proto.TYPE_MESSAGE, ".google.protobuf.ListValue"
                continue
            nullable = False
        _typed(file, entry, ftype, nullable, _nested(name, number))


def _nested(parent: str, number: int) -> str:
    """The message of an object field: named by its parent and field number, so two paths never
    share a name (``Input_4_2``)."""
    return f"{parent}_{number}"


def _typed(file: Any, entry: Any, ftype: FieldType, nullable: bool, name: str) -> None:
    from google.protobuf.descriptor_pb2 import FieldDescriptorProto as Proto

    if ftype.kind in _SCALAR:
        scalar, wrapper = _SCALAR[ftype.kind]
        if nullable:
            entry.type, entry.type_name = Proto.TYPE_MESSAGE, f".google.protobuf.{wrapper}"
        else:
            entry.type = getattr(Proto, f"TYPE_{scalar.upper()}")
    elif ftype.kind == "datetime":
        entry.type, entry.type_name = Proto.TYPE_MESSAGE, ".google.protobuf.Timestamp"
    elif ftype.kind == "object" and ftype.fields:
        _message(file, name, ftype.fields)
        entry.type, entry.type_name = Proto.TYPE_MESSAGE, f".{PACKAGE}.{name}"
    elif ftype.kind == "object":  # without declared fields: any keys
        entry.type, entry.type_name = Proto.TYPE_MESSAGE, ".google.protobuf.Struct"
    else:  # a kind this module does not know yet: any value, left to the samples
        entry.type, entry.type_name = Proto.TYPE_MESSAGE, ".google.protobuf.Value"


def _translate(expression: str, text: str, fields: dict[str, list[str]]) -> Problems:
    found: Problems = []
    lines = expression.split("\n")
    for match in _ERROR.finditer(text):
        line, col, message = int(match.group(1)), int(match.group(2)), match.group(3).strip()
        if _tolerated(message):
            continue
        offset = sum(len(t) + 1 for t in lines[: line - 1]) + col - 1
        if expression[offset : offset + 1] == "." and _NO_FIELD.search(message):
            offset += 1  # at the field's name, not at the dot before it
        found.append((offset, _message_text(message, fields)))
    if not found and not _ERROR.search(text):
        found.append((0, text.splitlines()[0] if text else "the checker refused it"))
    return found


def _tolerated(message: str) -> bool:
    overload = _OVERLOAD.search(message)
    if overload is None or overload.group(1) not in _COMPARISONS:
        return False
    operands = f"({overload.group(2)})"
    return bool(_CROSS_NUMERIC.fullmatch(operands) or _NULL_LIST.fullmatch(operands))


def _message_text(message: str, fields: dict[str, list[str]]) -> str:
    if overload := _OVERLOAD.search(message):
        function, operands = overload.group(1), _split(overload.group(2))
        names = [_type_name(t) for t in operands]
        if function == "_?_:_" and len(names) == 3:
            return (f"the two results of `? :` must have one type, not {names[1]} and "
                    f"{names[2]}" + ("" if operands[0] == "bool" else
                                     f", and the condition must be yes/no, not {names[0]}"))
        if function in ("_==_", "_!=_") and "null_type" in operands:
            other = next((n for n, t in zip(names, operands, strict=True) if t != "null_type"), "")
            return (f"`{_OPERATORS[function]}` compares {other} with null, but it is never null "
                    "(a required field, or one with a default): drop the null check")
        if function in _OPERATORS:
            return f"`{_OPERATORS[function]}` does not apply to {_and(names)}{_hint(function, operands)}"
        return f"{function}() does not take {_and(names)}"
    if undeclared := _UNDECLARED.search(message):
        name = undeclared.group(1)
        hint = (f' (did you mean "{ALIASES[name]}"?)' if name in ALIASES
                else did_you_mean(name, FUNCTIONS))
        return f"unknown function {name}(){hint}"
    if field := _NO_FIELD.search(message):
        name, struct = field.group(1), field.group(2)
        known = fields.get(struct, [])
        return f"no field {name} here{did_you_mean(name, known)}" + (
            f": the fields are {', '.join(known)}" if known and not did_you_mean(name, known) else ""
        )
    return message


def _and(names: list[str]) -> str:
    return " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + f" and {names[-1]}"


def _hint(function: str, operands: list[str]) -> str:
    bare = [t.removeprefix("wrapper(").removesuffix(")") for t in operands]
    if sorted(bare) == ["double", "int"] and function in ("_+_", "_-_", "_*_", "_/_", "_%_"):
        return " (CEL does not mix them in arithmetic: write 1.0, not 1, next to a number)"
    if any(t.startswith("wrapper(") for t in operands):
        return " (an optional field may be null: compare it with null first)"
    return ""


def _split(operands: str) -> list[str]:
    """``'list(int), map(string, dyn)'`` -> its top-level types."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(operands):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(operands[start:i].strip())
            start = i + 1
    parts.append(operands[start:].strip())
    return [p for p in parts if p]


def _type_name(name: str) -> str:
    if name.startswith("wrapper(") and name.endswith(")"):
        return _type_name(name[8:-1])
    if name.startswith("list("):
        return "a list"
    if name.startswith("map(") or name == "google.protobuf.Struct":
        return "an object"
    if name.startswith(PACKAGE + "."):
        return "an object"
    return _CEL_NAMES.get(name, name)
