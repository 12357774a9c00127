"""Which Output constructs each provider dialect can express (for load-time errors), and the
schema helpers lowering shares: ``$ref`` resolution, single-``allOf`` merging."""

from __future__ import annotations

from typing import Any, Literal

from specwright.runtime.errors import UnsupportedSchema

Dialect = Literal["openai", "anthropic", "compat", "json_object"]

_NEVER = {  # keyword -> why no dialect with strict decoding can express it
    "not": "a negated schema (not)",
    "if": "a conditional schema (if/then/else)",
    "dependentRequired": "fields required depending on other fields (dependentRequired)",
    "dependentSchemas": "dependent schemas",
    "patternProperties": "properties named by a pattern (patternProperties)",
    "propertyNames": "constraints on property names (propertyNames)",
    "prefixItems": "a fixed-position list (prefixItems)",
    "contains": "a list that must contain a matching item (contains)",
    "unevaluatedProperties": "unevaluatedProperties",
    "unevaluatedItems": "unevaluatedItems",
}
_OPENAI_MAX_DEPTH = 10
_OPENAI_MAX_PROPERTIES = 5000
_OPENAI_MAX_ENUM_VALUES = 1000


def merge_all_of(node: dict[str, Any]) -> dict[str, Any]:
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
        rest = {k: v for k, v in node.items() if k != "allOf"}
        return {**all_of[0], **rest}
    return node


def is_object(node: dict[str, Any]) -> bool:
    t = node.get("type")
    return t == "object" or (isinstance(t, list) and "object" in t) or "properties" in node


def resolve_ref(root: dict[str, Any], ref: str) -> dict[str, Any]:
    if ref == "#":
        return root
    if not ref.startswith("#/"):
        raise UnsupportedSchema(f"external $ref {ref!r} is not supported")
    target: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, dict) or part not in target:
            raise UnsupportedSchema(f"$ref {ref!r} does not resolve")
        target = target[part]
    if not isinstance(target, dict):
        raise UnsupportedSchema(f"$ref {ref!r} does not resolve to a schema")
    return target




def unsupported(schema: dict[str, Any], dialect: Dialect) -> list[str]:
    """Constructs of ``schema`` that ``dialect`` cannot express; empty when it can."""
    problems: list[str] = []
    root_type = schema.get("type")
    if root_type != "object" and "$ref" not in schema:
        problems.append(f"the output must be an object for {dialect}, not {root_type or 'any'}")
    stats = {"properties": 0, "enum": 0, "depth": 0}
    _scan(schema, schema, dialect, "output", problems, stats, (), 0)
    if dialect == "openai":
        if stats["depth"] > _OPENAI_MAX_DEPTH:
            problems.append(f"the output nests {stats['depth']} levels deep; openai strict "
                            f"structured outputs allow {_OPENAI_MAX_DEPTH}")
        if stats["properties"] > _OPENAI_MAX_PROPERTIES:
            problems.append(f"the output has {stats['properties']} fields; openai allows "
                            f"{_OPENAI_MAX_PROPERTIES}")
        if stats["enum"] > _OPENAI_MAX_ENUM_VALUES:
            problems.append(f"the output has {stats['enum']} choice values; openai allows "
                            f"{_OPENAI_MAX_ENUM_VALUES}")
    return problems


def _scan(
    node: Any, root: dict[str, Any], dialect: Dialect, path: str, problems: list[str],
    stats: dict[str, int], refs: tuple[str, ...], depth: int,
) -> None:
    if not isinstance(node, dict):
        return
    if "$ref" in node:
        ref = node["$ref"]
        if ref in refs:
            problems.append(f"{path} refers to itself ({ref}): recursive outputs are not supported")
            return
        try:
            target = resolve_ref(root, ref)
        except UnsupportedSchema as exc:
            problems.append(f"{path}: {exc}")
            return
        _scan({**target, **{k: v for k, v in node.items() if k != "$ref"}}, root, dialect, path,
              problems, stats, (*refs, ref), depth)
        return
    node = merge_all_of(node)
    strict = dialect == "openai"
    for key, what in _NEVER.items():
        if key in node and strict:
            problems.append(f"{path} uses {what}, which openai strict structured outputs cannot "
                            "express: route this spec to another provider")
    if strict and "oneOf" in node:
        problems.append(f"{path} uses oneOf, which openai strict structured outputs cannot "
                        "express (use anyOf)")
    if strict and isinstance(node.get("allOf"), list):
        problems.append(f"{path} combines schemas with allOf, which openai strict structured "
                        "outputs cannot express")
    extra = node.get("additionalProperties")
    if strict and (extra is True or isinstance(extra, dict)):
        problems.append(f"{path} is a free-form map (additionalProperties), which openai strict "
                        "structured outputs cannot express")
    if is_object(node):
        stats["depth"] = max(stats["depth"], depth + 1)
    stats["enum"] += len(node.get("enum", ()))
    for name, sub in (node.get("properties") or {}).items():
        stats["properties"] += 1
        _scan(sub, root, dialect, f"{path}.{name}", problems, stats, refs, depth + 1)
    if isinstance(node.get("items"), dict):
        _scan(node["items"], root, dialect, f"{path}[]", problems, stats, refs, depth)
    for key in ("anyOf", "oneOf", "allOf"):
        for variant in node.get(key) or ():
            _scan(variant, root, dialect, path, problems, stats, refs, depth)
