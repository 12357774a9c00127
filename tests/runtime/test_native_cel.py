"""The native fast path gives CEL's result or steps aside: generated expressions over values of
every type are evaluated by both (``specwright.runtime.engine.native_cel`` and the CEL binding) and must agree
exactly whenever the native closure answers; the served specs' tables and guardrails must agree
on generated inputs."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import cel
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from specwright.compiler.evaluate import to_cel_values
from specwright.runtime.engine.catalog import LoadedRevision, load_catalog
from specwright.runtime.engine.combined_cel import CombinedCel
from specwright.runtime.engine.native_cel import compile_native, plain_value
from specwright.runtime.errors import NativeUnsupported
from specwright.runtime.testing.input_strategies import valid_inputs

REPO = Path(__file__).resolve().parents[2]
CATALOG = load_catalog(REPO / "generated")

NAMES = ("a", "b", "c", "d")
_ints = st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1)
_floats = st.floats(allow_nan=False, allow_infinity=True, width=64)
_strings = st.text(alphabet="ab\u00e9Z\u4e2d ", max_size=3)
_scalars = st.one_of(st.none(), st.booleans(), _ints, st.integers(-3, 3), _floats, _strings)
_values = st.one_of(_scalars, st.lists(_scalars, max_size=3))


def _literal(draw: Any) -> str:
    kind = draw(st.sampled_from(["int", "float", "string", "word", "list"]))
    if kind == "int":
        return str(draw(st.integers(0, 1 << 64)))
    if kind == "float":
        return repr(draw(st.floats(0, 1e6, allow_nan=False, allow_infinity=False)))
    if kind == "string":
        return '"' + draw(_strings) + '"'
    if kind == "word":
        return draw(st.sampled_from(["true", "false", "null"]))
    return "[" + ", ".join(_literal(draw) for _ in range(draw(st.integers(0, 3)))) + "]"


@st.composite
def expressions(draw: Any, depth: int = 3) -> str:
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(NAMES)) if draw(st.booleans()) else _literal(draw)
    shape = draw(st.sampled_from(
        ["binary", "binary", "binary", "not", "neg", "paren", "ternary", "double"]))
    inner = expressions(depth - 1)
    if shape == "double":  # money comparisons (specwright.compiler.money) convert both sides
        return "double(" + draw(inner) + ")"
    if shape == "not":
        return "!" + draw(inner)
    if shape == "neg":
        return "-" + draw(inner)
    if shape == "paren":
        return "(" + draw(inner) + ")"
    if shape == "ternary":
        return f"({draw(inner)} ? {draw(inner)} : {draw(inner)})"
    op = draw(st.sampled_from(
        ["==", "!=", "<", "<=", ">", ">=", "in", "&&", "||", "+", "-", "*", "/"]))
    return f"{draw(inner)} {op} {draw(inner)}"


def _same(native: Any, expected: Any) -> bool:
    if type(native) in (list, tuple) and type(expected) in (list, tuple):
        return len(native) == len(expected) and all(map(_same, native, expected))
    if type(native) is not type(expected):
        return False
    if isinstance(native, float) and math.isnan(native):
        return math.isnan(expected)
    return bool(native == expected)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expression=expressions(), values=st.fixed_dictionaries({n: _values for n in NAMES}))
def test_native_results_are_cels(expression: str, values: dict[str, Any]) -> None:
    native = compile_native(expression)
    assume(native is not None)
    assert native is not None
    try:
        got = native(values)
    except NativeUnsupported:
        return  # CEL decides these values; nothing to compare
    assert all(plain_value(v) for v in values.values())
    try:
        program = cel.compile(expression)
    except Exception as exc:  # noqa: BLE001 - the native grammar accepted what CEL cannot parse
        pytest.fail(f"{expression!r}: native answered {got!r} but CEL does not compile: {exc}")
    try:
        expected = program.execute(cel.Context(values))
    except Exception as exc:  # noqa: BLE001 - CEL raised where the native closure answered
        pytest.fail(f"{expression!r} on {values!r}: native {got!r}, CEL raised {exc}")
    assert _same(got, expected), f"{expression!r} on {values!r}: native {got!r}, CEL {expected!r}"


@pytest.mark.parametrize(
    "expression",
    ["size(a) > 0", "a.b == 1", "a[0] == 1", "r'x' == a", '"a\\"b" == a', "1u == a",
     "a.exists(x, x > 1)", "007 == a", "{1: 2} == a", "a == 9223372036854775808", "a =="],
)
def test_outside_the_plain_grammar_stays_in_cel(expression: str) -> None:
    assert compile_native(expression) is None


def test_a_value_cel_cannot_take_is_left_to_cel() -> None:
    assert not plain_value("lone \ud800 surrogate")
    assert not plain_value(["ok", "\udfff"])
    assert plain_value("d\u00e9j\u00e0 vu") and plain_value([1, "x", None])


def _native_revisions() -> list[LoadedRevision]:
    return sorted(
        (r for r in CATALOG.routes().values() if r.plan.cel.native_conditions is not None),
        key=lambda r: r.name,
    )


def test_the_rules_only_example_runs_natively() -> None:
    names = {r.name for r in _native_revisions()}
    assert {"order-validation", "carrier-selection"} <= names


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (type(v).__name__, v) for k, v in values.items()}


def _cel_only(combined: CombinedCel) -> CombinedCel:
    return CombinedCel(
        combined.input_fields, combined.output_fields, combined.flat,
        combined.table_program, combined.table_rows, combined.guardrail_program,
    )


@pytest.mark.parametrize("revision", _native_revisions(), ids=lambda r: r.name)
def test_served_specs_agree_with_cel_on_generated_inputs(revision: LoadedRevision) -> None:
    plan = revision.plan
    native, reference = plan.cel, _cel_only(plan.cel)
    output_fields = plan.cel.output_fields
    spec = revision.compiled.spec
    inputs = valid_inputs(dict(revision.input_schema), spec.inputs)
    outputs = valid_inputs(dict(revision.output_schema), spec.outputs)

    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(raw_in=inputs, raw_out=outputs)
    def agree(raw_in: Any, raw_out: Any) -> None:
        data = revision.input_model.model_validate(raw_in).model_dump(mode="json", by_alias=True)
        out = revision.output_model.model_validate(raw_out).model_dump(mode="json", by_alias=True)
        values_in = to_cel_values(plan.cel.input_fields, data)
        values_out = to_cel_values(output_fields, out)
        assert _typed(plan.cel.input_values(data)) == _typed(values_in)
        assert _typed(plan.cel.output_values(out)) == _typed(values_out)
        fast, slow = native.scope(values_in), reference.scope(values_in)
        assert type(fast) is dict  # the native path is the one under test
        assert native.table_flags(fast) == reference.table_flags(slow)
        assert native.guardrail_values(fast, values_out) == reference.guardrail_values(
            slow, values_out)

    agree()
