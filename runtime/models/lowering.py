"""Lowering the canonical Output JSON Schema into what each provider accepts.

Dialects (``lower(schema, dialect)``):

``openai``      Chat Completions ``response_format: json_schema, strict: true``. Every property is
                required and every object has ``additionalProperties: false``; optional fields
                become nullable and ``LoweredSchema.restore`` removes those nulls again before
                validation. Strict mode supports numeric bounds, ``multipleOf``, ``minItems``,
                ``maxItems`` and a few string formats; ``minLength``, ``maxLength``, ``pattern``,
                other formats, ``uniqueItems`` and object-size keywords are moved into the
                field's description (our own validation still enforces them).
``anthropic``   the ``input_schema`` of a forced tool: the schema as is, minus annotations.
``compat``      OpenAI-compatible servers (vLLM, llama.cpp, Ollama, LM Studio): grammar engines
                honour the constraint keywords, so they are kept.
``json_object`` the schema is only shown to the model in the prompt; same shape as ``compat``.

In every dialect ``$ref`` is inlined, annotation keywords (title, examples, default...) and
``x-`` extensions are dropped, and objects get ``additionalProperties: false``.
``unsupported(schema, dialect)`` (in ``expressible.py``, re-exported here) names the constructs a
dialect cannot express, for load-time errors. Results are cached by schema identity, then by
content, so the hot path never lowers twice.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from specwright.runtime.errors import UnsupportedSchema
from specwright.runtime.models.expressible import (
    Dialect,
    is_object,
    merge_all_of,
    resolve_ref,
    unsupported,
)

__all__ = ["DIALECTS", "Dialect", "LoweredSchema", "UnsupportedSchema", "lower", "unsupported"]

DIALECTS: tuple[Dialect, ...] = ("openai", "anthropic", "compat", "json_object")

_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "$anchor", "title", "examples", "default", "readOnly",
     "writeOnly", "deprecated", "contentMediaType", "contentEncoding"}
)
_OPENAI_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
_MOVED_OPENAI = ("minLength", "maxLength", "pattern", "format", "uniqueItems", "minProperties",
                 "maxProperties")
@dataclass(frozen=True, slots=True)
class _Plan:
    """Where ``restore`` removes the nulls that stand for absent optional fields."""

    optional: frozenset[str] = frozenset()
    props: dict[str, _Plan] = field(default_factory=dict)
    items: _Plan | None = None

    @property
    def empty(self) -> bool:
        return not self.optional and not self.props and self.items is None


@dataclass(frozen=True, slots=True)
class LoweredSchema:
    schema: dict[str, Any]
    dialect: Dialect
    moved: tuple[str, ...] = ()  # "path: keyword" moved into a description
    _plan: _Plan | None = None

    def restore(self, data: dict[str, Any]) -> dict[str, Any]:
        """Remove (in place) the nulls the model gave for absent optional fields."""
        if self._plan is not None:
            _restore(data, self._plan)
        return data

    @property
    def sha256(self) -> str:
        canonical = json.dumps(self.schema, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def _restore(value: Any, plan: _Plan) -> None:
    if isinstance(value, dict):
        for key in plan.optional:
            if key in value and value[key] is None:
                del value[key]
        for key, sub in plan.props.items():
            if key in value:
                _restore(value[key], sub)
    elif isinstance(value, list) and plan.items is not None:
        for item in value:
            _restore(item, plan.items)


# ------------------------------------------------------------------------------------ lowering

_by_id: dict[tuple[int, str], tuple[dict[str, Any], LoweredSchema]] = {}
_by_content: dict[tuple[str, str], LoweredSchema] = {}
_CACHE_MAX = 512


def lower(schema: dict[str, Any], dialect: Dialect) -> LoweredSchema:
    """Lower ``schema`` for ``dialect``. Do not mutate ``schema`` afterwards.

    Cached by the identity of ``schema`` (no work at all on the hot path when callers pass the
    same dict each time), then by its content (a copy costs one ``json.dumps``).
    """
    key = (id(schema), dialect)
    hit = _by_id.get(key)
    if hit is not None and hit[0] is schema:
        return hit[1]
    content = (json.dumps(schema, sort_keys=True, separators=(",", ":")), dialect)
    result = _by_content.get(content)
    if result is None:
        problems = unsupported(schema, dialect)
        if problems:
            raise UnsupportedSchema("; ".join(problems))
        moved: list[str] = []
        lowered, plan = _lower(schema, schema, dialect, "output", moved, ())
        result = LoweredSchema(
            lowered, dialect, tuple(moved), None if plan is None or plan.empty else plan
        )
        if len(_by_content) >= _CACHE_MAX:
            _by_content.clear()
        _by_content[content] = result
    if len(_by_id) >= _CACHE_MAX:
        _by_id.clear()
    _by_id[key] = (schema, result)  # holding ``schema`` keeps its id from being reused
    return result


def _lower(
    node: Any, root: dict[str, Any], dialect: Dialect, path: str, moved: list[str],
    refs: tuple[str, ...],
) -> tuple[Any, _Plan | None]:
    if not isinstance(node, dict):
        return copy.deepcopy(node), None
    if "$ref" in node:
        ref = node["$ref"]
        target = resolve_ref(root, ref)
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _lower(merged, root, dialect, path, moved, (*refs, ref))
    node = merge_all_of(node)
    out: dict[str, Any] = {}
    notes: list[str] = []
    plan: _Plan | None = None
    for key, value in node.items():
        if key in _ANNOTATIONS or key in ("$defs", "definitions") or key.startswith("x-"):
            continue
        if dialect == "openai" and key in _MOVED_OPENAI:
            if key == "format" and value in _OPENAI_FORMATS:
                out[key] = value
                continue
            notes.append(_phrase(key, value))
            moved.append(f"{path}: {key}")
            continue
        if key == "properties":
            out[key], plan = _lower_properties(node, root, dialect, path, moved, refs)
        elif key == "items":
            out[key], items_plan = _lower(value, root, dialect, f"{path}[]", moved, refs)
            if items_plan is not None and not items_plan.empty:
                plan = _Plan(items=items_plan)
        elif key in ("anyOf", "oneOf"):
            variants = [_lower(v, root, dialect, path, moved, refs) for v in value]
            out[key] = [v for v, _ in variants]
            plan = next((p for _, p in variants if p is not None and not p.empty), plan)
        elif key == "required":
            continue  # rewritten with the properties
        else:
            out[key] = copy.deepcopy(value)
    if "properties" in node:
        props = node["properties"]
        req = [k for k in props if dialect == "openai" or k in node.get("required", ())]
        out["required"] = req
    if is_object(node) and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if notes:
        desc = out.get("description", "")
        out["description"] = (f"{desc} " if desc else "") + "(" + "; ".join(notes) + ")"
    return out, plan


def _lower_properties(
    node: dict[str, Any], root: dict[str, Any], dialect: Dialect, path: str, moved: list[str],
    refs: tuple[str, ...],
) -> tuple[dict[str, Any], _Plan]:
    required = set(node.get("required", ()))
    props: dict[str, Any] = {}
    sub_plans: dict[str, _Plan] = {}
    optional: set[str] = set()
    for name, sub in node["properties"].items():
        lowered, sub_plan = _lower(sub, root, dialect, f"{path}.{name}", moved, refs)
        if dialect == "openai" and name not in required:
            lowered = _nullable(lowered)
            optional.add(name)
        props[name] = lowered
        if sub_plan is not None and not sub_plan.empty:
            sub_plans[name] = sub_plan
    return props, _Plan(frozenset(optional), sub_plans)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "anyOf" in schema:
        if not any(v.get("type") == "null" for v in schema["anyOf"] if isinstance(v, dict)):
            schema["anyOf"] = [*schema["anyOf"], {"type": "null"}]
        return schema
    t = schema.get("type")
    if t is None or "const" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    if isinstance(t, str) and t != "null":
        schema["type"] = [t, "null"]
    elif isinstance(t, list) and "null" not in t:
        schema["type"] = [*t, "null"]
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    return schema


def _phrase(key: str, value: Any) -> str:
    phrases = {
        "minLength": f"at least {value} character{'' if value == 1 else 's'}",
        "maxLength": f"at most {value} character{'' if value == 1 else 's'}",
        "pattern": f"must match the regular expression {value}",
        "format": f"format: {value}",
        "uniqueItems": "items must be unique",
        "minProperties": f"at least {value} entries",
        "maxProperties": f"at most {value} entries",
    }
    return phrases.get(key, f"{key}: {json.dumps(value)}")
