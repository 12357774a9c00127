"""``MockModel`` for ``specwright serve --mock``: schema-valid answers without any provider.

For each request it answers every property of ``request.output_schema`` (the model-decided
fields): with the spec example's output when ``request.metadata["input"]`` matches that
example's input (defaults filled in, nested ones too, nulls ignored), else with deterministic
values derived from the schema: the first enum value, the lower bound of a number, a string of a
valid length (matching its pattern when the pattern is simple), ``false``, the minimum number of
list items. When the request carries a ``check`` (the pipeline's guardrails), that answer is only
the start of a bounded search for one the guardrails accept (``mock_search.py``), so ``--mock``
demonstrates the spec. Completions are marked ``mock=True`` and cost 0.
"""

from __future__ import annotations

import json
import re
import re._parser as sre_parse  # the stdlib regex parser: builds a string a pattern matches
import time
from collections.abc import Mapping, Sequence
from decimal import ROUND_CEILING, Decimal
from typing import Any

from specwright.compiler.evaluate import to_cel_values
from specwright.compiler.ir import CompiledSpec, Field
from specwright.runtime.models.base import Completion, ModelRequest, Usage
from specwright.runtime.models.mock_search import satisfying
from specwright.runtime.records import Attempt

__all__ = ["MockModel", "generate"]

_FORMATS = {
    "date": "2025-01-01", "date-time": "2025-01-01T00:00:00Z", "time": "00:00:00",
    "email": "mock@example.com", "uuid": "00000000-0000-4000-8000-000000000000",
    "uri": "https://example.com/", "hostname": "example.com", "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1", "duration": "P1D",
}


class MockModel:
    dialect = None

    def __init__(
        self,
        examples: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]] = (),
        *,
        name: str = "mock:spec",
        input_defaults: Mapping[str, Any] | None = None,
        input_fields: Sequence[Field] = (),
    ) -> None:
        self.name = name
        self._defaults = dict(input_defaults or {})
        self._fields = tuple(input_fields)  # when given, defaults are filled in at every depth
        self._examples = [(self._norm(i), dict(o)) for i, o in examples]

    @classmethod
    def from_spec(cls, compiled: CompiledSpec) -> MockModel:
        spec = compiled.spec
        defaults = {f.name: f.default for f in spec.inputs if f.has_default}
        examples = [(e.input, e.output) for e in spec.examples]
        return cls(examples, name=f"mock:{spec.name}", input_defaults=defaults,
                   input_fields=spec.inputs)

    def _norm(self, data: Mapping[str, Any]) -> dict[str, Any]:
        if self._fields:  # the values CEL sees: nested defaults in, numbers as numbers
            data = to_cel_values(self._fields, data)
        return {k: v for k, v in {**self._defaults, **data}.items() if v is not None}

    def example_for(self, data: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if not isinstance(data, Mapping):
            return None
        key = self._norm(data)
        return next((out for inp, out in self._examples if inp == key), None)

    async def complete(self, request: ModelRequest) -> Completion:
        schema = request.output_schema
        example = self.example_for(request.metadata.get("input")) or {}
        data: dict[str, Any] = {}
        properties = schema.get("properties") or {}
        for name, sub in properties.items():
            data[name] = example[name] if name in example else generate(sub, schema, name)
        if request.check is not None:
            data = satisfying(
                data, {n: _resolved(schema, sub) for n, sub in properties.items()},
                request.metadata.get("input"), request.check,
                lambda sub, index: generate(sub, schema, "value", index),
            )
        provider, _, model = self.name.partition(":")
        attempt = Attempt(
            provider="mock", model=model or provider, purpose="call", started_at=time.time(),
            latency_ms=0.0, status="ok", input_tokens=0, output_tokens=0, cached_tokens=0,
            cost_usd=0.0,
        )
        return Completion(
            data=data, model=self.name, text=json.dumps(data), usage=Usage(), cost_usd=0.0,
            attempts=(attempt,), mock=True,
        )


def generate(schema: Any, root: Mapping[str, Any], name: str = "value", index: int = 0) -> Any:
    """A deterministic value valid for ``schema`` (best effort for patterns)."""
    if not isinstance(schema, Mapping):
        return None
    if "$ref" in schema:
        return generate(_resolve(root, schema["$ref"]), root, name, index)
    if "const" in schema:
        return schema["const"]
    enum = [v for v in schema.get("enum", ()) if v is not None]
    if enum:
        return enum[index % len(enum)]
    for key in ("anyOf", "oneOf"):
        variants = [v for v in schema.get(key, ()) if v.get("type") != "null"]
        if variants:
            return generate(variants[0], root, name, index)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(part)
        return generate(merged, root, name, index)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {k: generate(v, root, k) for k, v in props.items()}
    if kind == "array":
        count = int(schema.get("minItems", 0))
        item = schema.get("items") or {}
        return [generate(item, root, name, i) for i in range(count)]
    if kind == "string":
        return _string(schema, name, index)
    if kind in ("integer", "number"):
        return _number(schema, kind == "integer", index)
    if kind == "boolean":
        return False
    return None


def _string(schema: Mapping[str, Any], name: str, index: int) -> str:
    lo = int(schema.get("minLength", 0))
    hi = schema.get("maxLength")
    fmt = schema.get("format")
    if fmt in _FORMATS:
        return _FORMATS[fmt]
    pattern = schema.get("pattern")
    if pattern:
        made = _from_pattern(pattern, lo, None if hi is None else int(hi))
        if made is not None:
            return made
    text = f"mock {name}" + (f" {index}" if index else "")
    if hi is not None:
        text = text[: int(hi)]
    return text + "x" * max(0, lo - len(text))


def _number(schema: Mapping[str, Any], integer: bool, index: int) -> int | float:
    lo, hi = schema.get("minimum"), schema.get("maximum")
    xlo, xhi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    step = 1 if integer else 0.5
    value: float
    if lo is not None:
        value = lo
    elif xlo is not None:
        value = xlo + step
    else:
        value = 0
    value += index
    top = hi if hi is not None else (xhi - step if xhi is not None else None)
    if top is not None and value > top:
        value = top if xlo is None or top > xlo else (xlo + xhi) / 2
    multiple = schema.get("multipleOf")
    if multiple:  # in decimal: 3 * 0.01 is 0.03, and 0 stays 0 (never -0.0)
        step_d = Decimal(str(multiple))
        value = float((Decimal(str(value)) / step_d).to_integral_value(ROUND_CEILING) * step_d)
    return int(value) if integer else float(value) + 0.0


def _from_pattern(pattern: str, lo: int = 0, hi: int | None = None) -> str | None:
    """The shortest string the parsed regex gives (first branch, minimum repeats), lengthened
    by repeating more when ``lo`` asks for it; verified, or None when unsure."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None
    for extra in (0, 1, 2, 4, 8, 16, 32, 64):
        made = _emit(list(parsed), extra)
        if made is None:
            return None
        if len(made) >= lo and (hi is None or len(made) <= hi) and re.search(pattern, made):
            return made
        if hi is not None and len(made) > hi:
            return None
    return None


def _emit(items: list[Any], extra: int) -> str | None:
    out: list[str] = []
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(av))
        elif name == "NOT_LITERAL":
            out.append("b" if av == ord("a") else "a")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            char = _in(av)
            if char is None:
                return None
            out.append(char)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = av
            count = low + extra if high == sre_parse.MAXREPEAT else min(low + extra, high)
            part = _emit(list(sub), extra)
            if part is None:
                return None
            out.append(part * count)
        elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
            part = _emit(list(av[-1] if name == "SUBPATTERN" else av), extra)
            if part is None:
                return None
            out.append(part)
        elif name == "BRANCH":
            part = _emit(list(av[1][0]), extra)
            if part is None:
                return None
            out.append(part)
        elif name == "CATEGORY":
            out.append(_CATEGORY.get(str(av), "a"))
        elif name != "AT":
            return None  # backreferences, lookarounds: not simple
    return "".join(out)


_CATEGORY = {"CATEGORY_DIGIT": "0", "CATEGORY_WORD": "a", "CATEGORY_SPACE": " ",
             "CATEGORY_NOT_DIGIT": "a", "CATEGORY_NOT_WORD": "-", "CATEGORY_NOT_SPACE": "a"}


def _in(items: list[Any]) -> str | None:
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            return None
        if name == "LITERAL":
            return chr(av)
        if name == "RANGE":
            return chr(av[0])
        if name == "CATEGORY":
            return _CATEGORY.get(str(av), "a")
    return None


def _resolved(root: Mapping[str, Any], schema: Any) -> Any:
    """``schema`` with a top-level ``$ref`` followed (the search reads types and bounds)."""
    while isinstance(schema, Mapping) and "$ref" in schema:
        schema = _resolve(root, schema["$ref"])
    return schema


def _resolve(root: Mapping[str, Any], ref: str) -> Any:
    target: Any = root
    for part in ref.removeprefix("#/").split("/"):
        target = target.get(part, {}) if isinstance(target, Mapping) else {}
    return target
