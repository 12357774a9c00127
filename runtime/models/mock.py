"""``MockModel`` for ``specwright serve --mock``: schema-valid answers without any provider.

For each request it answers every property of ``request.output_schema`` (the model-decided
fields): with the spec example's output when ``request.metadata["input"]`` matches that
example's input (defaults filled in, nulls ignored), else with deterministic values derived from
the schema: the first enum value, the lower bound of a number, a string of a valid length
(matching its pattern when the pattern is simple), ``false``, the minimum number of list items.
Completions are marked ``mock=True`` and cost 0.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from compiler.ir import CompiledSpec
from runtime.models.base import Completion, ModelRequest, Usage
from runtime.records import Attempt

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
    ) -> None:
        self.name = name
        self._defaults = dict(input_defaults or {})
        self._examples = [(self._norm(i), dict(o)) for i, o in examples]

    @classmethod
    def from_spec(cls, compiled: CompiledSpec) -> MockModel:
        spec = compiled.spec
        defaults = {f.name: f.default for f in spec.inputs if f.has_default}
        examples = [(e.input, e.output) for e in spec.examples]
        return cls(examples, name=f"mock:{spec.name}", input_defaults=defaults)

    def _norm(self, data: Mapping[str, Any]) -> dict[str, Any]:
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
        for name, sub in (schema.get("properties") or {}).items():
            data[name] = example[name] if name in example else generate(sub, schema, name)
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
        made = _from_pattern(pattern)
        if made is not None and len(made) >= lo and (hi is None or len(made) <= hi):
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
    if multiple:
        value = -(-value // multiple) * multiple
    return int(value) if integer else float(value)


_ATOM = re.compile(r"\\[dws.\\\-]|\\.|\[(\^?)([^\]]*)\]|\.|[^\\\[\](){}|?*+]")
_QUANT = re.compile(r"\{(\d+)(?:,(\d*))?\}|[?*+]")


def _from_pattern(pattern: str) -> str | None:
    """A string for simple patterns (literals, classes, quantifiers); None when unsure."""
    body = pattern.removeprefix("^").removesuffix("$")
    out: list[str] = []
    pos = 0
    while pos < len(body):
        m = _ATOM.match(body, pos)
        if m is None:
            return None
        atom = m.group(0)
        if m.group(1):  # negated class
            return None
        if m.group(2) is not None:
            char = m.group(2)[:1] or None
        else:
            char = {"\\d": "0", "\\w": "a", "\\s": " ", ".": "a"}.get(atom, atom[-1])
        if char is None:
            return None
        pos = m.end()
        q = _QUANT.match(body, pos)
        count = 1
        if q is not None:
            count = int(q.group(1)) if q.group(1) else (1 if q.group(0) == "+" else 0)
            pos = q.end()
        out.append(char * count)
    result = "".join(out)
    try:
        return result if re.search(pattern, result) else None
    except re.error:
        return None


def _resolve(root: Mapping[str, Any], ref: str) -> Any:
    target: Any = root
    for part in ref.removeprefix("#/").split("/"):
        target = target.get(part, {}) if isinstance(target, Mapping) else {}
    return target
