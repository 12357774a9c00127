"""CEL's type checker over a spec's declared types (``compiler/cel_check.py``): what it refuses, in
the compiler's words and at the right offset, and what it lets through because CEL runs it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import semantic_kit as k  # noqa: E402

from specwright.compiler import compile_spec  # noqa: E402
from specwright.compiler.cel_check import problems  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
ITEM = k.ft("object", fields=(k.f("sku", "text"), k.f("qty", "integer"),
                               k.f("price", "money", required=False)))
INPUTS = (
    k.f("total", "money"),
    k.f("count", "integer"),
    k.f("code", "text", required=False),
    k.f("rush", "boolean"),
    k.f("tags", k.ft("list", items=k.ft("text")), required=False),
    k.f("items", k.ft("list", items=ITEM)),
    k.f("address", k.ft("object", fields=(k.f("country", "text"),))),
    k.f("extra", k.ft("object")),
    k.f("placed_at", "datetime"),
    k.f("ship_on", "date"),
)
OUTPUTS = (k.f("decision", k.ft("enum", values=("accept", "reject"))),
           k.f("refund", "money", required=False))


def check(expression: str) -> list[tuple[int, str]]:
    return problems(expression, INPUTS, OUTPUTS)


@pytest.mark.parametrize(
    "expression",
    [
        "input.total > 1000",  # an int literal against a number: CEL compares them by value
        "input.count >= 2.5 && input.count in [1.0, 2.0]",
        "output.refund == null || output.refund <= 50",
        "input.tags == null || size(input.tags) > 0",
        'input.code != null && input.code.startsWith("A")',
        "input.items.exists(i, i.qty > 0 && i.sku.matches('^[A-Z]+$'))",
        "input.items.all(i, i.price == null || i.price < input.total)",
        'input.address.country == "US" && input.extra.anything == 1',
        'input.placed_at > timestamp("2024-01-01T00:00:00Z") && input.ship_on >= "2024-01-01"',
        'input.rush ? output.decision == "accept" : true',
    ],
)
def test_what_cel_runs_is_accepted(expression: str) -> None:
    assert check(expression) == []


@pytest.mark.parametrize(
    ("expression", "offset", "message"),
    [
        ("input.count + 0.5 > 1.0", 12, "`+` does not apply to an integer and a number "
         "(CEL does not mix them in arithmetic: write 1.0, not 1, next to a number)"),
        ("size(input.total) > 0", 4, "size() does not take a number"),
        ("input.items.exists(i, i.sku > 3)", 28, "`>` does not apply to text and an integer"),
        ("input.items.exists(i, i.qyt > 0)", 24, 'no field qyt here (did you mean "qty"?)'),
        ("input.address.zip == 'x'", 14, "no field zip here: the fields are country"),
        ("input.items.length() > 0", 18, 'unknown function length() (did you mean "size"?)'),
        ("input.code + 1 == 'a'", 11, "`+` does not apply to text and an integer "
         "(an optional field may be null: compare it with null first)"),
        ("input.count * 2", 0, "gives an integer, not true or false: write a condition"),
        ("input.rush || input.count", 11, "`||` does not apply to yes/no and an integer"),
        ("input.rush ? 1 : 'a'", 11, "the two results of `? :` must have one type, not an "
         "integer and text"),
        ("input.count == null || input.count > 1", 12, "`==` compares an integer with null, but "
         "it is never null (a required field, or one with a default): drop the null check"),
        ("input.placed_at > 5", 16, "`>` does not apply to a date and time and an integer"),
    ],
)
def test_type_errors_are_located_and_worded_for_the_spec(
    expression: str, offset: int, message: str
) -> None:
    assert check(expression) == [(offset, message)]


def test_every_generated_expression_of_the_example_specs_passes() -> None:
    for path in sorted((REPO / "specs").glob("*.md")):
        compiled = compile_spec(path.read_text(), f"specs/{path.name}")
        spec = compiled.spec
        expressions = [r.condition for t in compiled.tables for r in t.rows]
        expressions += [g.cel for g in compiled.guardrails]
        expressions += [compiled.review.cel] if compiled.review else []
        assert expressions
        for expression in expressions:
            assert problems(expression, spec.inputs, spec.outputs) == [], (path.name, expression)


def test_nested_objects_whose_paths_read_alike_get_their_own_types() -> None:
    inner = k.ft("object", fields=(k.f("x", "integer"),))
    fields = (
        k.f("a_b", k.ft("object", fields=(k.f("y", "text"),))),
        k.f("a", k.ft("object", fields=(k.f("b", inner),))),
    )
    assert problems('input.a_b.y == "t" && input.a.b.x > 0', fields, ()) == []
    assert problems("input.a.b.y > 0", fields, ()) == [(10, "no field y here: the fields are x")]


def test_a_kind_the_checker_does_not_know_is_any_value() -> None:
    unknown = k.ft("text").model_copy(update={"kind": "duration"})
    fields = (k.f("wait", unknown), k.f("n", "integer"))
    assert problems("input.wait > duration('24h') && input.wait != 3", fields, ()) == []
    assert problems("input.n + input.wait > 1", fields, ()) == []
