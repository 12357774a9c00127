"""Every contract classification rule, input and output side."""

from __future__ import annotations

from typing import Any

import pytest

from specwright.compiler.contract import Change, compare_contracts, compare_schemas, summarize
from specwright.compiler.schema import input_schema, output_schema


@pytest.fixture
def diff(build: Any) -> Any:
    """diff(old_fields, new_fields, direction) -> [(kind, message)]."""

    def run(old: tuple[Any, ...], new: tuple[Any, ...], direction: str = "input") -> list[
            tuple[str, str]]:
        if direction == "input":
            a, b = build.compiled(inputs=old), build.compiled(inputs=new)
            changes = compare_schemas(input_schema(a, 1), input_schema(b, 1), "input")
        else:
            a, b = build.compiled(outputs=old), build.compiled(outputs=new)
            changes = compare_schemas(output_schema(a, 1), output_schema(b, 1), "output")
        return [(c.kind, c.message) for c in changes]

    return run


def F(build: Any, name: str = "x", kind: str = "integer", **kw: Any) -> Any:  # noqa: N802
    return build.field(name, kind, **kw)


def test_identical_and_major_only_differences_are_no_change(full: Any) -> None:
    assert compare_contracts(input_schema(full, 1), output_schema(full, 1),
                             input_schema(full, 5), output_schema(full, 5)) == ()


# -- fields added / removed / renamed ---------------------------------------------------------

def test_new_optional_input_field_is_compatible(build: Any, diff: Any) -> None:
    assert diff((F(build),), (F(build), F(build, "y", "text", required=False))) == [
        ("compatible", "input.y: new optional input field (callers may omit it: compatible)")]


def test_new_input_field_with_default_is_compatible(build: Any, diff: Any) -> None:
    assert diff((F(build),), (F(build), F(build, "y", "boolean", default=False)))[0][0] == (
        "compatible")


def test_new_required_input_field_is_breaking(build: Any, diff: Any) -> None:
    assert diff((F(build),), (F(build), F(build, "y", "text"))) == [
        ("breaking", "input.y: new required input field (callers do not send it: breaking)")]


def test_new_output_field_is_compatible(build: Any, diff: Any) -> None:
    assert diff((F(build),), (F(build), F(build, "y", "text")), "output") == [
        ("compatible", "output.y: new output field (callers may ignore it: compatible)")]


@pytest.mark.parametrize("direction", ["input", "output"])
def test_removed_field_is_breaking(build: Any, diff: Any, direction: str) -> None:
    (change,) = diff((F(build), F(build, "y", "text")), (F(build),), direction)
    assert change[0] == "breaking" and f"{direction}.y: removed {direction} field" in change[1]


def test_rename_is_removed_plus_added(build: Any, diff: Any) -> None:
    got = diff((F(build, "weight"),), (F(build, "weight_kg"),))
    assert got == [
        ("breaking", "input.weight_kg: new required input field (callers do not send it: breaking)"),
        ("breaking", "input.weight: removed input field (renamed to weight_kg?) (callers that send"
                     " it are rejected: breaking)"),
    ]


def test_new_required_field_in_a_nested_input_object_is_breaking(build: Any, diff: Any) -> None:
    old = build.ftype("object", object_name="Addr", fields=(F(build, "a", "text"),))
    new = build.ftype("object", object_name="Addr", fields=(F(build, "a", "text"),
                                                           F(build, "zip", "text")))
    assert diff((F(build, "to", old),), (F(build, "to", new),)) == [
        ("breaking", "input.to.zip: new required input field (callers do not send it: breaking)")]
    got = diff((F(build, "to", old),), (F(build, "to", new),), "output")
    assert got == [("compatible", "output.to.zip: new output field (callers may ignore it:"
                                  " compatible)")]


# -- types -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b"), [("number", "integer"), ("integer", "number"),
                                      ("money", "number"), ("date", "datetime"),
                                      ("text", "boolean")])
@pytest.mark.parametrize("direction", ["input", "output"])
def test_changed_type_is_breaking(build: Any, diff: Any, a: str, b: str, direction: str) -> None:
    assert diff((F(build, "x", a),), (F(build, "x", b),), direction) == [
        ("breaking", f"{direction}.x: type {a} → {b} (changed type: breaking)")]


def test_type_change_of_an_object_reports_only_the_object(build: Any, diff: Any) -> None:
    obj = build.ftype("object", object_name="O", fields=(F(build, "a", "text"),))
    assert diff((F(build, "x", obj),), (F(build, "x", "text"),)) == [
        ("breaking", "input.x: type object → text (changed type: breaking)")]


# -- presence: required / optional / nullable / default --------------------------------------

def test_input_required_to_optional_is_compatible(build: Any, diff: Any) -> None:
    assert diff((F(build),), (F(build, required=False),)) == [
        ("compatible", "input.x: required → optional (may be null) (looser input: compatible)")]


def test_input_optional_to_required_is_breaking(build: Any, diff: Any) -> None:
    assert diff((F(build, required=False),), (F(build),)) == [
        ("breaking", "input.x: optional (may be null) → required (stricter input: breaking)")]


def test_input_default_added_to_required_field_is_compatible(build: Any, diff: Any) -> None:
    assert diff((F(build),), (F(build, default=3),)) == [
        ("compatible", "input.x: required → optional, default 3 (looser input: compatible)")]


def test_input_default_added_to_nullable_field_is_breaking(build: Any, diff: Any) -> None:
    assert diff((F(build, required=False),), (F(build, default=3),)) == [
        ("breaking", "input.x: optional (may be null) → optional, default 3 (stricter input:"
                     " breaking)")]


def test_input_default_changed_is_breaking(build: Any, diff: Any) -> None:
    assert diff((F(build, default=3),), (F(build, default=4),)) == [
        ("breaking", "input.x: optional, default 3 → optional, default 4 (callers that omit it get"
                     " a different value: breaking)")]


def test_output_default_changed_is_compatible(build: Any, diff: Any) -> None:
    assert diff((F(build, default=3),), (F(build, default=4),), "output")[0][0] == "compatible"


def test_output_becoming_optional_is_breaking(build: Any, diff: Any) -> None:
    assert diff((F(build),), (F(build, required=False),), "output") == [
        ("breaking", "output.x: required → optional (may be null) (output may be absent or null:"
                     " breaking)")]


def test_output_becoming_required_is_compatible(build: Any, diff: Any) -> None:
    assert diff((F(build, required=False),), (F(build),), "output") == [
        ("compatible", "output.x: optional (may be null) → required (output always present:"
                       " compatible)")]


# -- bounds, lengths, item counts -------------------------------------------------------------

def test_narrowed_input_bound_is_breaking_with_the_documented_message(build: Any, diff: Any) -> None:
    old = F(build, "weight_kg", "number", exclusive_minimum=0, maximum=70)
    new = F(build, "weight_kg", "number", exclusive_minimum=0, maximum=50)
    assert diff((old,), (new,)) == [
        ("breaking", "input.weight_kg: maximum 70 → 50 (narrowed input constraint: breaking)")]


@pytest.mark.parametrize(
    ("old", "new", "input_kind", "text"),
    [
        ({"maximum": 50}, {"maximum": 70}, "compatible", "maximum 50 → 70"),
        ({"minimum": 1}, {"minimum": 0}, "compatible", "minimum 1 → 0"),
        ({"minimum": 0}, {"minimum": 1}, "breaking", "minimum 0 → 1"),
        ({"exclusive_minimum": 0}, {"minimum": 0}, "compatible", "lower bound > 0 → >= 0"),
        ({"maximum": 10}, {"exclusive_maximum": 10}, "breaking", "upper bound <= 10 → < 10"),
        ({}, {"maximum": 10}, "breaking", "upper bound none → <= 10"),
        ({"minimum": 1}, {}, "compatible", "lower bound >= 1 → none"),
    ],
)
def test_bounds(build: Any, diff: Any, old: dict[str, Any], new: dict[str, Any],
                input_kind: str, text: str) -> None:
    other = "breaking" if input_kind == "compatible" else "compatible"
    (i,) = diff((F(build, **old),), (F(build, **new),))
    (o,) = diff((F(build, **old),), (F(build, **new),), "output")
    assert i[0] == input_kind and o[0] == other
    assert i[1].startswith(f"input.x: {text} (") and o[1].startswith(f"output.x: {text} (")
    verb = "loosened" if input_kind == "compatible" else "narrowed"
    assert f"({verb} input constraint: {input_kind})" in i[1]
    assert f"({verb} output constraint: {other})" in o[1]


@pytest.mark.parametrize(
    ("old", "new", "input_kind"),
    [({"max_length": 20}, {"max_length": 40}, "compatible"),
     ({"max_length": 40}, {"max_length": 20}, "breaking"),
     ({"min_length": 1}, {"min_length": 2}, "breaking"),
     ({"min_length": 2}, {}, "compatible")],
)
def test_text_lengths(build: Any, diff: Any, old: dict[str, Any], new: dict[str, Any],
                      input_kind: str) -> None:
    (i,) = diff((F(build, "t", "text", **old),), (F(build, "t", "text", **new),))
    (o,) = diff((F(build, "t", "text", **old),), (F(build, "t", "text", **new),), "output")
    assert i[0] == input_kind and o[0] != input_kind


def test_output_max_length_growing_is_breaking(build: Any, diff: Any) -> None:
    assert diff((F(build, "reason", "text", max_length=200),),
                (F(build, "reason", "text", max_length=500),), "output") == [
        ("breaking", "output.reason: maxLength 200 → 500 (loosened output constraint: breaking)")]


def test_list_item_count_and_item_constraints(build: Any, diff: Any) -> None:
    def tags(max_items: int, max_len: int) -> Any:
        return F(build, "tags", build.ftype("list", items=build.ftype("text", max_length=max_len),
                                            max_length=max_items))
    assert diff((tags(5, 10),), (tags(3, 10),)) == [
        ("breaking", "input.tags: maxItems 5 → 3 (narrowed input constraint: breaking)")]
    assert diff((tags(5, 10),), (tags(5, 20),)) == [
        ("compatible", "input.tags[]: maxLength 10 → 20 (loosened input constraint: compatible)")]


# -- enums and patterns ------------------------------------------------------------------------

def E(build: Any, *values: str) -> Any:  # noqa: N802
    return F(build, "carrier", "enum", values=values)


def test_enum_value_added(build: Any, diff: Any) -> None:
    assert diff((E(build, "ups"),), (E(build, "ups", "dhl"),)) == [
        ("compatible", 'input.carrier: enum value added: "dhl" (loosened input constraint:'
                       " compatible)")]
    assert diff((E(build, "ups"),), (E(build, "ups", "dhl"),), "output") == [
        ("breaking", 'output.carrier: enum value added: "dhl" (new output value: breaking)')]


def test_enum_value_removed(build: Any, diff: Any) -> None:
    assert diff((E(build, "ups", "usps"),), (E(build, "ups"),)) == [
        ("breaking", 'input.carrier: enum value removed: "usps" (narrowed input constraint:'
                     " breaking)")]
    assert diff((E(build, "ups", "usps"),), (E(build, "ups"),), "output")[0][0] == "compatible"


def test_enum_order_only_is_no_change(build: Any, diff: Any) -> None:
    assert diff((E(build, "a", "b"),), (E(build, "b", "a"),), "output") == []


def test_text_to_enum_and_back(build: Any, diff: Any) -> None:
    text = F(build, "carrier", "text")
    assert diff((text,), (E(build, "ups"),))[0][0] == "breaking"
    assert diff((text,), (E(build, "ups"),), "output")[0][0] == "compatible"
    assert diff((E(build, "ups"),), (text,), "output") == [
        ("breaking", "output.carrier: no longer a fixed set (loosened output constraint:"
                     " breaking)")]


@pytest.mark.parametrize(
    ("old", "new", "input_kind", "output_kind"),
    [(None, "^[A-Z]{2}$", "breaking", "compatible"),
     ("^[A-Z]{2}$", None, "compatible", "breaking"),
     ("^[A-Z]{2}$", "^[A-Z]{3}$", "breaking", "breaking")],
)
def test_patterns(build: Any, diff: Any, old: str | None, new: str | None, input_kind: str,
                  output_kind: str) -> None:
    (i,) = diff((F(build, "c", "text", pattern=old),), (F(build, "c", "text", pattern=new),))
    (o,) = diff((F(build, "c", "text", pattern=old),), (F(build, "c", "text", pattern=new),),
                "output")
    assert (i[0], o[0]) == (input_kind, output_kind)
    assert i[1].startswith("input.c: pattern ")


# -- documentation -------------------------------------------------------------------------------

def test_description_and_title_changes_are_compatible(build: Any) -> None:
    a = build.compiled(inputs=(F(build, description="old"),), title="Old")
    b = build.compiled(inputs=(F(build, description="new"),), title="New")
    changes = compare_schemas(input_schema(a, 1), input_schema(b, 2), "input")
    assert [(c.kind, c.message) for c in changes] == [
        ("compatible", "input: description changed (documentation: compatible)"),
        ("compatible", "input.x: description changed (documentation: compatible)"),
    ]


def test_summary_and_serialisation() -> None:
    changes = [Change("breaking", "input.x", "m1"), Change("compatible", "output.y", "m2"),
               Change("compatible", "output.z", "m3")]
    assert summarize(changes) == "1 breaking change, 2 compatible changes"
    assert summarize([]) == "no contract change"
    assert [Change.from_dict(c.as_dict()) for c in changes] == changes
