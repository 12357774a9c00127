"""Hypothesis strategies and deterministic values derived from a compiled spec.

* ``valid_inputs``: every input the compiled Input schema accepts. Leaf values come from
  ``hypothesis_jsonschema.from_schema``; objects, lists and alternatives are composed here
  (hypothesis-jsonschema's own object strategy does not run on current Hypothesis), and money is
  drawn in whole cents, so it never has more than two decimals.
* ``invalid_mutations``: one labelled change per way an input can break the schema (wrong type,
  out of range, missing, unknown choice, too long, extra field), each naming the field it breaks.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from specwright.compiler.ir import Field, FieldType

Schema = dict[str, Any]
Path = tuple[str | int, ...]
MISSING: Any = object()


class _Resolver:
    def __init__(self, root: Schema) -> None:
        self.defs: dict[str, Schema] = {**root.get("definitions", {}), **root.get("$defs", {})}

    def __call__(self, sub: Schema) -> Schema:
        seen = 0
        while isinstance(sub, dict) and "$ref" in sub and seen < 32:
            name = str(sub["$ref"]).rsplit("/", 1)[-1]
            rest = {k: v for k, v in sub.items() if k != "$ref"}
            sub = {**self.defs[name], **rest}
            seen += 1
        return sub


def _sub_field(ftype: FieldType | None, name: str) -> FieldType | None:
    if ftype is None:
        return None
    return next((f.type for f in ftype.fields if f.name == name), None)


def _root_type(fields: tuple[Field, ...]) -> FieldType:
    return FieldType(kind="object", fields=fields)


def _money(sub: Schema) -> st.SearchStrategy[float]:
    def cents(bound: Any, up: bool) -> int | None:
        if bound is None:
            return None
        scaled = Decimal(str(bound)) * 100
        return math.ceil(scaled) if up else math.floor(scaled)

    low = cents(sub.get("minimum"), True)
    high = cents(sub.get("maximum"), False)
    xlow = cents(sub.get("exclusiveMinimum"), False)
    xhigh = cents(sub.get("exclusiveMaximum"), True)
    if xlow is not None:
        low = max(low, xlow + 1) if low is not None else xlow + 1
    if xhigh is not None:
        high = min(high, xhigh - 1) if high is not None else xhigh - 1
    low = -(10**9) if low is None else low
    high = 10**9 if high is None else high
    return st.integers(low, high).map(lambda c: c // 100 if c % 100 == 0 else c / 100)


def _strategy(sub: Schema, ftype: FieldType | None, res: _Resolver) -> st.SearchStrategy[Any]:
    sub = res(sub)
    alternatives = sub.get("anyOf") or sub.get("oneOf")
    if alternatives:
        return st.one_of([_strategy(a, ftype, res) for a in alternatives])
    kind = sub.get("type")
    money = (ftype is not None and ftype.kind == "money") or sub.get("x-specwright-type") == "money"
    if money and kind in ("number", "integer"):
        return _money(sub)
    if kind == "object" or "properties" in sub:
        props: dict[str, Schema] = sub.get("properties", {})
        required = set(sub.get("required", ()))
        strategies = {k: _strategy(v, _sub_field(ftype, k), res) for k, v in props.items()}
        return st.fixed_dictionaries(
            {k: s for k, s in strategies.items() if k in required},
            optional={k: s for k, s in strategies.items() if k not in required},
        )
    if kind == "array":
        low = int(sub.get("minItems", 0))
        high = min(int(sub.get("maxItems", low + 4)), low + 4)
        items = _strategy(sub.get("items", {}), ftype.items if ftype else None, res)
        return st.lists(items, min_size=low, max_size=high, unique=bool(sub.get("uniqueItems")))
    leaf = {k: v for k, v in sub.items() if k not in ("$defs", "definitions")}
    if kind == "number":  # JSON has one number type: 3 is as valid as 3.0
        return st.one_of(from_schema(leaf), from_schema({**leaf, "type": "integer"}))
    if leaf.get("x-specwright-type") == "time":  # a time of day, HH:MM or HH:MM:SS
        return st.builds(
            lambda h, m, sec: f"{h:02d}:{m:02d}" + ("" if sec is None else f":{sec:02d}"),
            st.integers(0, 23), st.integers(0, 59), st.none() | st.integers(0, 59),
        )
    return from_schema(leaf)


def valid_inputs(schema: Schema, fields: tuple[Field, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """Every input the Input schema accepts, money in whole cents."""
    return _strategy(schema, _root_type(fields), _Resolver(schema))


def schema_strategy(root: Schema, sub: Schema) -> st.SearchStrategy[Any]:
    """Values of one sub-schema of ``root`` (its ``$defs`` resolved)."""
    return _strategy(sub, None, _Resolver(root))


# ------------------------------------------------------------------------- invalid inputs


@dataclass(frozen=True, slots=True)
class Mutation:
    path: Path  # where the change is made; the error must name this field
    what: str  # plain English: "missing (it is required)", "200 characters (max 40)"
    value: Any = MISSING  # MISSING: the field is removed
    schema_checked: bool = True  # False: a rule the Input model enforces beyond the JSON Schema

    @property
    def field(self) -> str:
        return ".".join(str(p) for p in self.path)

    def apply(self, data: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(data)
        target: Any = out
        for key in self.path[:-1]:
            target = target[key]
        if self.value is MISSING:
            target.pop(self.path[-1], None)
        else:
            target[self.path[-1]] = copy.deepcopy(self.value)
        return out


_WRONG: dict[str, Any] = {
    "string": 12345,
    "integer": "not a number",
    "number": "not a number",
    "boolean": "maybe",
    "array": "not a list",
    "object": "not an object",
}


def _types(sub: Schema, res: _Resolver) -> list[Schema]:
    """The non-null alternatives of a (resolved) schema."""
    sub = res(sub)
    alts = sub.get("anyOf") or sub.get("oneOf")
    if alts:
        return [s for a in alts for s in _types(a, res) if s.get("type") != "null"]
    return [sub]


def _leaf_mutations(path: Path, sub: Schema, value: Any = MISSING) -> Iterator[Mutation]:
    kind = sub.get("type")
    if sub.get("x-specwright-type") == "money" and isinstance(value, int | float):
        bad = float(Decimal(str(value)) + Decimal("0.001"))
        yield Mutation(path, f"{bad} (money has at most 2 decimals)", bad, schema_checked=False)
    if "enum" in sub:
        yield Mutation(path, "a value that is not one of the choices", "not-one-of-the-choices")
    if isinstance(kind, str) and kind in _WRONG:
        wrong = _WRONG[kind]
        yield Mutation(path, f"the wrong type ({type(wrong).__name__} {wrong!r})", wrong)
    if kind == "integer":
        yield Mutation(path, "a fraction (1.5) where a whole number is required", 1.5)
    for key, delta, label in (
        ("minimum", -1, "below the minimum"),
        ("maximum", 1, "above the maximum"),
        ("exclusiveMinimum", 0, "equal to the exclusive minimum"),
        ("exclusiveMaximum", 0, "equal to the exclusive maximum"),
    ):
        if isinstance(sub.get(key), int | float):
            yield Mutation(path, f"{label} ({sub[key] + delta})", sub[key] + delta)
    if kind == "string":
        if "maxLength" in sub:
            n = int(sub["maxLength"]) + 1
            yield Mutation(path, f"{n} characters (at most {n - 1} allowed)", "x" * n)
        if int(sub.get("minLength", 0)) > 0:
            n = int(sub["minLength"]) - 1
            yield Mutation(path, f"{n} characters (at least {n + 1} required)", "x" * n)
        if "pattern" in sub:
            size = max(1, min(int(sub.get("maxLength", 3)), max(3, int(sub.get("minLength", 0)))))
            text = "#" * size
            if not re.search(str(sub["pattern"]), text):
                yield Mutation(path, f"{text!r}, which does not match {sub['pattern']}", text)
        if sub.get("format") in ("date", "date-time"):
            yield Mutation(path, "'2024-13-45', which is not a date", "2024-13-45")
        if sub.get("x-specwright-type") == "time":
            yield Mutation(path, "'25:61', which is not a time of day", "25:61")
            yield Mutation(path, "'09:30Z', a time of day with an offset", "09:30Z")


def invalid_mutations(schema: Schema, data: dict[str, Any]) -> list[Mutation]:
    """Every schema-breaking change to ``data`` (a valid input), each naming its field."""
    res = _Resolver(schema)
    out: list[Mutation] = []

    def walk(sub: Schema, value: Any, path: Path) -> None:
        for alt in _types(sub, res):
            kind = alt.get("type")
            if (kind == "object" or "properties" in alt) and isinstance(value, dict):
                props: dict[str, Schema] = alt.get("properties", {})
                for name in alt.get("required", ()):
                    out.append(Mutation((*path, name), "missing (it is required)"))
                    nullable = any(s.get("type") == "null" for s in _all(props.get(name, {})))
                    if not nullable:
                        out.append(Mutation((*path, name), "null (a value is required)", None))
                for name, prop in props.items():
                    if name in value:
                        walk(prop, value[name], (*path, name))
                    else:
                        for leaf in _types(prop, res):
                            out.extend(_leaf_mutations((*path, name), leaf))
                if alt.get("additionalProperties") is False:
                    out.append(Mutation((*path, "unexpected_field"), "a field the spec does not define", 1))
            elif kind == "array" and isinstance(value, list):
                out.extend(_leaf_mutations(path, alt))
                if "maxItems" in alt and value:
                    n = int(alt["maxItems"]) + 1
                    out.append(Mutation(path, f"{n} items (at most {n - 1})", [value[0]] * n))
                if int(alt.get("minItems", 0)) > 0:
                    out.append(Mutation(path, f"no items (at least {alt['minItems']})", []))
                if value:
                    walk(alt.get("items", {}), value[0], (*path, 0))
            else:
                out.extend(_leaf_mutations(path, alt, value))

    def _all(sub: Schema) -> list[Schema]:
        sub = res(sub)
        return [res(a) for a in (sub.get("anyOf") or sub.get("oneOf") or [sub])]

    walk(schema, data, ())
    seen: set[tuple[str, str]] = set()
    unique = []
    for m in out:
        if (m.field, m.what) not in seen:
            seen.add((m.field, m.what))
            unique.append(m)
    return unique
