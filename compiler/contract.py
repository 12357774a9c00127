"""Classify the changes between two contracts (Input and Output JSON Schemas) of a spec.

Works on the JSON Schemas ``specwright.compiler.schema`` emits (``$ref``/``$defs``, nullable ``anyOf``), so
any two revisions on disk can be compared. Titles, ``$defs`` names and examples are not part of
the contract. The rules, from a caller's point of view (input: what callers may send; output:
what callers may receive):

=============================================  ============  ============
change                                          input         output
=============================================  ============  ============
field added                                     compatible if optional, breaking if required;
                                                output: compatible
field removed (a rename is removed + added)     breaking      breaking
type changed (text, integer, number, money,     breaking      breaking
date, datetime, yes/no, list, object)
required -> optional / now accepts null         compatible    breaking
optional -> required / null no longer accepted  breaking      compatible
default changed or removed (optional field)     breaking      compatible
bound, length or item count widened             compatible    breaking
bound, length or item count narrowed            breaking      compatible
enum value added                                compatible    breaking
enum value removed                              breaking      compatible
pattern added                                   breaking      compatible
pattern removed                                 compatible    breaking
pattern changed                                 breaking      breaking
description text changed                        compatible    compatible
=============================================  ============  ============

A widened output constraint is breaking because callers may rely on it (a 200-character column,
an exhaustive ``match`` over the values). Making an optional input field ``default X`` is
breaking when it could be ``null`` before: a field with a default does not accept ``null``.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

# "behaviour": a rule change (``rulediff.py``), never part of the contract's major.
ChangeKind = Literal["compatible", "breaking", "behaviour"]
Direction = Literal["input", "output"]
Effect = Literal["looser", "tighter", "changed"]

_TIGHTER_VERB = {"input": "narrowed input constraint", "output": "narrowed output constraint"}
_LOOSER_VERB = {"input": "loosened input constraint", "output": "loosened output constraint"}
_MISSING = object()


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    path: str
    message: str  # ``input.weight_kg: maximum 70 → 50 (narrowed input constraint: breaking)``

    @property
    def breaking(self) -> bool:
        return self.kind == "breaking"

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "path": self.path, "message": self.message}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Change:
        raw = data.get("kind")
        kind: ChangeKind = raw if raw in ("breaking", "behaviour") else "compatible"
        return cls(kind, str(data.get("path", "")), str(data.get("message", "")))


@dataclass(frozen=True, slots=True)
class Node:
    """One field (or list item) of a contract, normalised."""

    label: str  # text, integer, number, money, boolean, date, datetime, list, object, ...
    schema: Mapping[str, Any]  # the resolved type schema (no anyOf-null, no $ref)
    required: bool
    nullable: bool
    default: Any
    description: str


def _label(s: Mapping[str, Any]) -> str:
    t = s.get("type")
    if t == "string" and s.get("x-specwright-type") == "time":
        return "time"
    if t == "string":
        return {"date": "date", "date-time": "datetime"}.get(str(s.get("format")), "text")
    if t == "number" and s.get("x-specwright-type") == "money":
        return "money"
    if t == "array":
        return "list"
    return str(t) if t is not None else "any"


def _resolve(s: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = s.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = root.get("$defs", {}).get(ref[len("#/$defs/"):], {})
        return {**target, **{k: v for k, v in s.items() if k != "$ref"}}
    return s


def _unwrap(s: Mapping[str, Any], root: Mapping[str, Any]) -> tuple[Mapping[str, Any], bool]:
    """(the non-null schema, nullable) for ``anyOf: [X, {"type": "null"}]``."""
    any_of = s.get("anyOf")
    if isinstance(any_of, list):
        rest = [x for x in any_of if x != {"type": "null"}]
        if len(rest) == 1:
            return _resolve(rest[0], root), len(rest) < len(any_of)
    return _resolve(s, root), False


def flatten(schema: Mapping[str, Any], prefix: str) -> dict[str, Node]:
    """``{path: Node}`` for every field, nested field and list item, in schema order."""
    out: dict[str, Node] = {}

    def walk_object(obj: Mapping[str, Any], path: str, depth: int) -> None:
        required = set(obj.get("required", []))
        for name, prop in obj.get("properties", {}).items():
            add(f"{path}.{name}", prop, name in required, depth)

    def add(path: str, prop: Mapping[str, Any], required: bool, depth: int) -> None:
        inner, nullable = _unwrap(prop, schema)
        node = Node(_label(inner), inner, required, nullable, prop.get("default", _MISSING),
                    str(prop.get("description", inner.get("description", ""))))
        out[path] = node
        if depth > 32:  # a recursive $ref; deeper levels repeat the same types
            return
        if node.label == "object":
            walk_object(inner, path, depth + 1)
        elif node.label == "list" and isinstance(inner.get("items"), Mapping):
            add(f"{path}[]", inner["items"], True, depth + 1)

    walk_object(schema, prefix, 0)
    return out


def _fmt(value: Any) -> str:
    if value is _MISSING or value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _presence(n: Node) -> str:
    if n.required:
        return "required"
    if n.default is not _MISSING:
        return f"optional, default {_fmt(n.default)}"
    return "optional (may be null)" if n.nullable else "optional"


class _Comparer:
    def __init__(self, direction: Direction) -> None:
        self.direction = direction
        self.changes: list[Change] = []

    def emit(self, path: str, text: str, effect: Effect, why: str | None = None) -> None:
        if effect == "changed":
            kind: ChangeKind = "breaking"
        elif self.direction == "input":
            kind = "compatible" if effect == "looser" else "breaking"
        else:
            kind = "compatible" if effect == "tighter" else "breaking"
        if why is None:
            why = {"looser": _LOOSER_VERB, "tighter": _TIGHTER_VERB}.get(effect, {}).get(
                self.direction, f"changed {self.direction} constraint"
            )
        self.changes.append(Change(kind, path, f"{path}: {text} ({why}: {kind})"))

    def note(self, path: str, text: str, kind: ChangeKind, why: str) -> None:
        self.changes.append(Change(kind, path, f"{path}: {text} ({why}: {kind})"))

    # -- one field present in both -------------------------------------------------------------
    def field(self, path: str, old: Node, new: Node) -> bool:
        """Compare one node; False when its type changed (children are not compared)."""
        if old.label != new.label:
            self.note(path, f"type {old.label} → {new.label}", "breaking", "changed type")
            return False
        self.presence(path, old, new)
        self.bounds(path, old.schema, new.schema)
        self.pattern(path, old.schema.get("pattern"), new.schema.get("pattern"))
        self.enum(path, old.schema.get("enum"), new.schema.get("enum"))
        if old.description != new.description:
            self.note(path, "description changed", "compatible", "documentation")
        return True

    def presence(self, path: str, old: Node, new: Node) -> None:
        before, after = _presence(old), _presence(new)
        if before == after:
            return
        omit = (not old.required, not new.required)
        null = (old.nullable, new.nullable)
        looser = omit[1] >= omit[0] and null[1] >= null[0]
        tighter = omit[1] <= omit[0] and null[1] <= null[0]
        text = f"{before} → {after}"
        if looser and tighter:  # only the default differs
            if self.direction == "input" and old.default is not _MISSING:
                self.note(path, text, "breaking", "callers that omit it get a different value")
            else:
                self.note(path, text, "compatible", "default")
        elif looser:
            self.emit(path, text, "looser",
                      "looser input" if self.direction == "input" else "output may be absent or null")
        elif tighter:
            self.emit(path, text, "tighter",
                      "stricter input" if self.direction == "input" else "output always present")
        else:
            self.emit(path, text, "changed", f"changed {self.direction} presence")

    def bounds(self, path: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        for lower, excl_key, incl_key in (
            (True, "exclusiveMinimum", "minimum"),
            (False, "exclusiveMaximum", "maximum"),
        ):
            a, b = _bound(old, incl_key, excl_key), _bound(new, incl_key, excl_key)
            if a != b:
                self.emit(path, _bound_text(incl_key, a, b), _widen(a, b, lower))
        for key, lower in (("minLength", True), ("maxLength", False),
                           ("minItems", True), ("maxItems", False)):
            a2, b2 = old.get(key), new.get(key)
            if a2 != b2:
                ta = None if a2 is None else (a2, False)
                tb = None if b2 is None else (b2, False)
                self.emit(path, f"{key} {_fmt(a2)} → {_fmt(b2)}", _widen(ta, tb, lower))

    def pattern(self, path: str, old: Any, new: Any) -> None:
        if old == new:
            return
        effect: Effect = "tighter" if old is None else "looser" if new is None else "changed"
        self.emit(path, f"pattern {_fmt(old)} → {_fmt(new)}", effect)

    def enum(self, path: str, old: Any, new: Any) -> None:
        if old is None and new is None:
            return
        if old is None or new is None:
            text = "now one of a fixed set of values" if old is None else "no longer a fixed set"
            self.emit(path, text, "tighter" if old is None else "looser")
            return
        added = [v for v in new if v not in old]
        removed = [v for v in old if v not in new]
        if added:
            why = "new output value" if self.direction == "output" else None
            self.emit(path, "enum value added: " + ", ".join(map(_fmt, added)), "looser", why)
        if removed:
            self.emit(path, "enum value removed: " + ", ".join(map(_fmt, removed)), "tighter")


Bound = tuple[float, bool] | None  # (value, exclusive)


def _bound(s: Mapping[str, Any], incl_key: str, excl_key: str) -> Bound:
    if s.get(excl_key) is not None:
        return (s[excl_key], True)
    if s.get(incl_key) is not None:
        return (s[incl_key], False)
    return None


def _bound_text(key: str, a: Bound, b: Bound) -> str:
    if a is not None and b is not None and a[1] == b[1] and not a[1]:
        return f"{key} {_fmt(a[0])} → {_fmt(b[0])}"
    ops = (">", ">=") if key == "minimum" else ("<", "<=")

    def show(x: Bound) -> str:
        return "none" if x is None else f"{ops[0] if x[1] else ops[1]} {_fmt(x[0])}"

    name = "lower bound" if key == "minimum" else "upper bound"
    return f"{name} {show(a)} → {show(b)}"


def _widen(a: Bound, b: Bound, lower: bool) -> Effect:
    """Whether moving a bound from ``a`` to ``b`` accepts more values ("looser") or fewer."""
    if a is None:
        return "tighter"
    if b is None:
        return "looser"
    if a[0] != b[0]:
        return "looser" if (b[0] < a[0]) == lower else "tighter"
    return "looser" if a[1] and not b[1] else "tighter"


def compare_schemas(
    old: Mapping[str, Any], new: Mapping[str, Any], direction: Direction
) -> list[Change]:
    """Classified changes from ``old`` to ``new`` (both Input or both Output schemas)."""
    cmp = _Comparer(direction)
    if old.get("description", "") != new.get("description", ""):
        cmp.note(direction, "description changed", "compatible", "documentation")
    a, b = flatten(old, direction), flatten(new, direction)
    skip: list[str] = []

    def skipped(path: str) -> bool:
        return any(path.startswith(p + ".") or path.startswith(p + "[") for p in skip)

    for path, node in b.items():
        if skipped(path):
            continue
        if path not in a:
            skip.append(path)
            if direction == "output":
                cmp.note(path, "new output field", "compatible", "callers may ignore it")
            elif node.required and not path.endswith("[]"):
                cmp.note(path, "new required input field", "breaking", "callers do not send it")
            else:
                cmp.note(path, "new optional input field", "compatible", "callers may omit it")
        elif not cmp.field(path, a[path], node):
            skip.append(path)
    added = [p for p in b if p not in a]
    for path, node in a.items():
        if path in b or skipped(path):
            continue
        skip.append(path)
        parent = path.rsplit(".", 1)[0]
        twins = [p for p in added if p.rsplit(".", 1)[0] == parent and b[p].label == node.label]
        hint = f" (renamed to {twins[0].rsplit('.', 1)[1]}?)" if len(twins) == 1 else ""
        why = "callers that send it are rejected" if direction == "input" else "callers read it"
        cmp.note(path, f"removed {direction} field{hint}", "breaking", why)
    return cmp.changes


def compare_contracts(
    old_input: Mapping[str, Any],
    old_output: Mapping[str, Any],
    new_input: Mapping[str, Any],
    new_output: Mapping[str, Any],
) -> tuple[Change, ...]:
    """Every classified change, Input first then Output."""
    return (
        *compare_schemas(old_input, new_input, "input"),
        *compare_schemas(old_output, new_output, "output"),
    )


def summarize(changes: tuple[Change, ...] | list[Change]) -> str:
    """``2 breaking changes, 1 compatible change`` / ``no contract change``, then the rule
    changes: ``no contract change, 3 rule changes``."""
    breaking = sum(c.breaking for c in changes)
    rules = sum(c.kind == "behaviour" for c in changes)
    compatible = len(changes) - breaking - rules
    parts = []
    if breaking:
        parts.append(f"{breaking} breaking change{'s' if breaking != 1 else ''}")
    if compatible:
        parts.append(f"{compatible} compatible change{'s' if compatible != 1 else ''}")
    text = ", ".join(parts) or "no contract change"
    return text + (f", {rules} rule change{'s' if rules != 1 else ''}" if rules else "")
