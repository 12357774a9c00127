"""The example specs in specs/: they parse, and their examples agree with their own tables.

The consistency checks use a small evaluator for the cell forms the specs use (a stand-in for
the semantic pass, so a wrong example is caught here, at the spec) and the pinned CEL library
for the guardrails.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import cel
import pytest

from specwright.compiler import parse_spec
from specwright.compiler.ir import DecisionTable, Field, Spec

SPECS_DIR = Path(__file__).resolve().parents[2] / "specs"
NAMES = [
    "address-exception",
    "carrier-selection",
    "inventory-routing",
    "order-validation",
    "package-type",
    "product-moderation",
    "returns-evaluation",
]


def load(name: str) -> Spec:
    path = SPECS_DIR / f"{name}.md"
    return parse_spec(path.read_text(encoding="utf-8"), f"specs/{name}.md")


def test_exactly_these_specs() -> None:
    assert sorted(p.stem for p in SPECS_DIR.glob("*.md")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_spec_parses_and_is_complete(name: str) -> None:
    spec = load(name)
    assert spec.name == name
    assert spec.title and spec.description and spec.owner
    assert 5 <= len(spec.inputs) <= 10
    assert spec.outputs and spec.rules and spec.guardrails
    assert len(spec.examples) >= 3


# ----------------------------------------------------------------------------- cross-checks


def _match(cell: str, value: Any) -> bool:
    cell = cell.strip()
    if cell == "-":
        return True
    if cell.startswith("not(") and cell.endswith(")"):
        return not _match(cell[4:-1], value)
    parts = [p.strip() for p in re.split(r',(?=(?:[^"]*"[^"]*")*[^"]*$)', cell)]
    if len(parts) > 1:
        return any(_match(p, value) for p in parts)
    if m := re.fullmatch(r"(<=|>=|<|>)\s*(-?[\d.]+)", cell):
        bound = float(m.group(2))
        return {"<": value < bound, "<=": value <= bound, ">": value > bound, ">=": value >= bound}[
            m.group(1)
        ]
    if m := re.fullmatch(r"(-?[\d.]+)\.\.(-?[\d.]+)", cell):
        return float(m.group(1)) <= value <= float(m.group(2))
    if cell in ("yes", "no"):
        return value is (cell == "yes")
    if cell.startswith('"'):
        return bool(value == cell[1:-1])
    return bool(value == float(cell))


def _decide(
    table: DecisionTable, inputs: dict[str, Any], outputs: dict[str, Field]
) -> dict[str, Any]:
    """What a first-hit table decides: its result columns (the last ones, one per heading field)."""
    decided = [table.field, *table.more_fields]
    width = len(table.columns) - len(decided)
    names = [c.text for c in table.columns][:width]
    for row in table.rows:
        if all(_match(c.text, inputs.get(n)) for c, n in zip(row.cells[:width], names, strict=True)):
            return {
                name: _literal(cell.text, outputs[name].type.kind)
                for name, cell in zip(decided, row.cells[width:], strict=True)
            }
    raise AssertionError(f"no row of {table.field} matches {inputs}")


def _literal(text: str, kind: str) -> Any:
    """A result cell's value; a computed cell (``= ...``) as written."""
    if kind == "boolean":
        return text == "yes"
    if kind in ("integer", "number", "money") and not text.startswith("="):
        return float(text)
    return text.strip('"')


def _with_defaults(spec: Spec, given: dict[str, Any]) -> dict[str, Any]:
    values = {f.name: f.default for f in spec.inputs if f.has_default}
    values.update(given)
    # Derived values, read a second time: the example specs write them as Python would.
    functions = {"max": max, "min": min, "median": lambda *v: sorted(v)[len(v) // 2]}
    for derived in spec.derived:
        values[derived.name] = round(eval(derived.expression, functions, dict(values)), 6)  # noqa: S307
    return values


@pytest.mark.parametrize("name", NAMES)
def test_tables_columns_are_input_fields_then_the_decided_outputs(name: str) -> None:
    spec = load(name)
    inputs = {f.name for f in spec.inputs} | {d.name for d in spec.derived}
    for table in spec.tables:
        decided = [table.field, *table.more_fields]
        texts = [c.text for c in table.columns]
        conditions, results = texts[: -len(decided)], texts[-len(decided) :]
        assert set(conditions) <= inputs
        assert results == decided and set(decided) <= {f.name for f in spec.outputs}


@pytest.mark.parametrize("name", NAMES)
def test_examples_name_real_fields_and_agree_with_the_tables(name: str) -> None:
    spec = load(name)
    outputs = {f.name: f for f in spec.outputs}
    for example in spec.examples:
        assert set(example.input) <= {f.name for f in spec.inputs}, example.title
        assert set(example.output) <= set(outputs), example.title
        values = _with_defaults(spec, example.input)
        for table in spec.tables:
            assert table.field in example.output, (example.title, table.field)
            for name, value in _decide(table, values, outputs).items():
                if name in example.output and not str(value).startswith("="):  # not computed
                    assert example.output[name] == value, (example.title, name)


@pytest.mark.parametrize("name", NAMES)
def test_guardrails_reference_real_fields_and_hold_on_the_examples(name: str) -> None:
    spec = load(name)
    fields = {"input": {f.name for f in spec.inputs}, "output": {f.name for f in spec.outputs}}
    outputs = {f.name: f for f in spec.outputs}
    for g in spec.guardrails:
        for side, field in re.findall(r"\b(input|output)\.(\w+)", g.expression):
            assert field in fields[side], (g.label, field)
    checked = 0
    for example in spec.examples:
        values = _with_defaults(spec, example.input)
        decided = {
            k: v
            for t in spec.tables
            for k, v in _decide(t, values, outputs).items()
            if not str(v).startswith("=")  # a computed result: the example says its value
        }
        out = {**example.output, **decided}
        for g in spec.guardrails:
            used = set(re.findall(r"\boutput\.(\w+)", g.expression))
            if used <= set(out):
                context = {"input": values, "output": out, "derived": values}
                assert cel.evaluate(g.expression, context) is True, (
                    example.title,
                    g.label,
                )
                checked += 1
    assert checked


def test_order_validation_is_decided_entirely_by_tables() -> None:
    spec = load("order-validation")
    (table,) = spec.tables  # one table decides all three outputs
    assert [table.field, *table.more_fields] == [f.name for f in spec.outputs]
    assert all(c.text == "-" for c in table.rows[-1].cells[:-3])


def test_inventory_routing_has_a_list_of_locations() -> None:
    spec = load("inventory-routing")
    locations = next(f for f in spec.inputs if f.name == "locations")
    assert locations.type.kind == "list" and locations.type.items is not None
    item = locations.type.items
    assert (item.kind, item.object_name) == ("object", "Location")
    assert {"location_id", "country", "stock", "distance_km"} <= {f.name for f in item.fields}
    assert any("l.stock >= input.quantity" in g.expression for g in spec.guardrails)


def test_returns_evaluation_escalates_and_caps_the_refund() -> None:
    spec = load("returns-evaluation")
    outputs = {f.name: f for f in spec.outputs}
    assert "escalate" in outputs["outcome"].type.values
    assert outputs["refund_amount"].type.kind == "money"
    assert any(g.expression == "output.refund_amount <= input.order_total" for g in spec.guardrails)


def test_product_moderation_has_flags_and_a_sensitive_field() -> None:
    spec = load("product-moderation")
    flags = next(f for f in spec.outputs if f.name == "flags")
    assert (
        flags.type.kind == "list"
        and flags.type.items is not None
        and flags.type.items.kind == "text"
    )
    assert [f.name for f in spec.inputs if f.sensitive] == ["seller_email"]


def test_address_exception_mixes_table_and_model_fields() -> None:
    spec = load("address-exception")
    decided = {t.field for t in spec.tables}
    assert decided and decided < {f.name for f in spec.outputs}
