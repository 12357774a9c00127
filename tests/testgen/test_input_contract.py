"""The input-contract checks: generated valid inputs, schema-breaking mutations, and both checks
failing when a revision's Input model and its published schema disagree."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from tg_support import SIX, make_project, revision_dir, spec_text

from specwright.compiler import compile_spec
from specwright.compiler.ir import Field
from specwright.compiler.schema import input_schema
from specwright.runtime import testing
from specwright.runtime.testing.input_strategies import invalid_mutations, valid_inputs
from specwright.runtime.testing.schema_validation import validator_for


def _money_paths(fields: tuple[Field, ...]) -> list[str]:
    return [f.name for f in fields if f.type.kind == "money"]


@pytest.mark.parametrize("name", SIX)
def test_valid_inputs_satisfy_the_schema_and_keep_money_to_cents(name: str) -> None:
    compiled = compile_spec(spec_text(name), f"specs/{name}.md")
    schema = input_schema(compiled, 1)
    validator = validator_for(schema)
    money = _money_paths(compiled.spec.inputs)

    @settings(max_examples=40, derandomize=True, database=None, deadline=None)
    @given(valid_inputs(schema, compiled.spec.inputs))
    def valid(data: dict[str, Any]) -> None:
        assert validator.is_valid(data), list(validator.iter_errors(data))
        for field in money:
            if field in data:
                assert Decimal(str(data[field])).as_tuple().exponent >= -2  # type: ignore[operator]

    valid()


@pytest.mark.parametrize("name", SIX)
def test_every_mutation_breaks_the_schema_at_its_field(name: str) -> None:
    compiled = compile_spec(spec_text(name), f"specs/{name}.md")
    schema = input_schema(compiled, 1)
    validator = validator_for(schema)
    base = compiled.spec.examples[0].input
    mutations = invalid_mutations(schema, base)
    kinds = {m.what.split(" ")[0] for m in mutations}
    assert {"missing", "the"} <= kinds  # missing fields and wrong types, at least
    for m in mutations:
        if m.schema_checked:
            errors = list(validator.iter_errors(m.apply(base)))
            assert errors, f"{m.field} {m.what} is valid"


@pytest.fixture
def carrier(tmp_path: Path) -> Path:
    root = make_project(tmp_path, {"carrier-selection": spec_text("carrier-selection")})
    return revision_dir(root, "carrier-selection")


def _edit_models(rev_dir: Path, old: str, new: str) -> None:
    """Edit the first occurrence (the Input model comes first)."""
    path = rev_dir / "models.py"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_model_stricter_than_its_schema_fails_the_valid_input_check(carrier: Path) -> None:
    _edit_models(carrier, "Field(gt=0, le=70)", "Field(gt=0, le=50)")
    with pytest.raises(testing.SpecCheckFailed) as failed:
        testing.check_input_contract_valid(testing.SpecSuite.load(carrier))
    message = str(failed.value)
    assert "specs/carrier-selection.md: an input the Input schema allows was rejected " \
           "(errors at weight_kg)" in message
    assert '"weight_kg": 5' in message  # shrunk to the first value over 50: 50.0...1 or 51


def test_a_model_looser_than_its_schema_fails_the_invalid_input_check(carrier: Path) -> None:
    _edit_models(carrier, 'extra="forbid"', 'extra="ignore"')  # the Input model only
    _edit_models(carrier, "Field(min_length=1, max_length=40)", "Field(min_length=1)")
    with pytest.raises(testing.SpecCheckFailed) as failed:
        testing.check_input_contract_invalid(testing.SpecSuite.load(carrier))
    message = str(failed.value)
    assert "2 invalid input(s) not rejected as they should be:" in message
    assert "  - order_id 41 characters (at most 40 allowed): accepted, but the Input schema " \
           "forbids it" in message
    assert "  - unexpected_field a field the spec does not define: accepted" in message
