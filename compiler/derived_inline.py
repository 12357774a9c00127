"""Derived values where guardrails read them: as fields of a ``derived`` root while the guardrail
is checked (``celscan.scan``, samples), and inlined as their CEL in what it compiles to, so the
runtime evaluates plain CEL over ``input`` and ``output``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from specwright.compiler.celscan import tokenize
from specwright.compiler.evaluate import cel_program
from specwright.compiler.ir import CompiledDerived, Field, FieldType, Loc


def derived_fields(derived: Sequence[CompiledDerived]) -> tuple[Field, ...]:
    return tuple(
        Field(name=d.name, type=FieldType(kind=d.kind), loc=Loc(line=d.line))  # type: ignore[arg-type]
        for d in derived
    )


def derived_values(derived: Sequence[CompiledDerived], input_values: Mapping[str, Any]) -> dict[str, Any]:
    """Every derived value for CEL input values (None where the value cannot be computed)."""
    values: dict[str, Any] = {}
    for d in derived:
        try:
            values[d.name] = cel_program(d.cel).execute({"input": dict(input_values)})
        except Exception:  # noqa: BLE001 - shown as null; the tables and guardrails say why
            values[d.name] = None
    return values


def inline_derived(expression: str, derived: Sequence[CompiledDerived]) -> str:
    """``expression`` with every ``derived.<name>`` replaced by ``(<its CEL>)``."""
    tokens = tokenize(expression)
    if not tokens:
        return expression
    by_name = {d.name: d.cel for d in derived}
    out, last = [], 0
    for i, tok in enumerate(tokens[:-2]):
        after_dot = i > 0 and tokens[i - 1].text == "."
        if tok.text != "derived" or after_dot or tokens[i + 1].text != ".":
            continue
        name = tokens[i + 2]
        if name.text not in by_name:
            continue
        out.append(expression[last:tok.start])
        out.append(f"({by_name[name.text]})")
        last = name.start + len(name.text)
    out.append(expression[last:])
    return "".join(out)


def as_inputs(expression: str, derived: Sequence[CompiledDerived]) -> str:
    """``expression`` with ``derived.<name>`` read as ``input  .<name>`` (same length, so every
    offset a checker reports is still the written one): for a checker that knows only ``input``
    and ``output``, given the derived values as Input fields (their names never clash)."""
    tokens = tokenize(expression)
    if not tokens:
        return expression
    names = {d.name for d in derived}
    out = list(expression)
    for i, tok in enumerate(tokens[:-2]):
        after_dot = i > 0 and tokens[i - 1].text == "."
        if tok.text == "derived" and not after_dot and tokens[i + 1].text == "." and (
            tokens[i + 2].text in names
        ):
            out[tok.start:tok.start + len("derived")] = list("input  ")
    return "".join(out)
