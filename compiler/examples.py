"""Examples: validate each one, then hold the decision tables and guardrails to it.

1. The input must be a valid Input (types, required fields, constraints, no unknown fields) and the
   output a valid partial Output (only the fields it names are checked).
2. Every compiled table is evaluated on the input, exactly as the runtime does
   (``evaluate.evaluate_table``): an expected value the table contradicts is an error, and so is
   an input no row decides (a required output with no matching row) or a conflict.
3. Every guardrail is evaluated when the example's output names every Output field it reads
   (table-decided fields the example leaves out are filled in from the tables): a guardrail the
   example violates is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from specwright.compiler.derived_inline import derived_values
from specwright.compiler.errors import did_you_mean
from specwright.compiler.evaluate import (
    TableError,
    display,
    evaluate_guardrails,
    evaluate_table,
    to_cel_value,
    to_cel_values,
)
from specwright.compiler.guardrails import CheckedGuardrail
from specwright.compiler.ir import CompiledDerived, CompiledTable, Example, FieldType, Spec
from specwright.compiler.report import Reporter
from specwright.compiler.validate import validate_fields


def check_examples(
    spec: Spec,
    tables: Sequence[CompiledTable],
    guardrails: Sequence[CheckedGuardrail],
    report: Reporter,
    derived: Sequence[CompiledDerived] = (),
) -> None:
    titles: dict[str, Example] = {}
    for example in spec.examples:
        first = titles.setdefault(example.title, example)
        if first is not example:
            report.at_loc(
                example.loc,
                f"example '{example.title}' appears twice (first on line "
                f"{first.loc.line}): give each example its own title",
            )
        _check(spec, example, tables, guardrails, report, derived)


def _check(
    spec: Spec,
    example: Example,
    tables: Sequence[CompiledTable],
    guardrails: Sequence[CheckedGuardrail],
    report: Reporter,
    derived: Sequence[CompiledDerived] = (),
) -> None:
    name = f"example '{example.title}'"
    problems = validate_fields(spec.inputs, example.input, "input", section="an Input field")
    problems += validate_fields(
        spec.outputs, example.output, "output", partial=True, section="an Output field"
    )
    for problem in problems:
        report.at_loc(example.loc, f"{name}: {problem}")
    if problems:
        return
    types = {f.name: f.type for f in spec.outputs}
    required = tuple(f.name for f in spec.outputs if f.required)
    cel_input = to_cel_values(spec.inputs, example.input)
    _check_derived(example, derived, cel_input, report)
    decided: dict[str, Any] = {}
    failed = False
    for table in tables:
        try:
            outcome = evaluate_table(table, cel_input, required=required, source=spec.source)
        except TableError as exc:
            report.at_loc(example.loc, f"{name}: {exc.message}")
            failed = True
            continue
        decided.update(outcome.results)
        for field in table.outputs:
            if field not in example.output:
                continue
            want, got = example.output[field], outcome.results.get(field)
            if not _same(types[field], want, got):
                report.at_loc(
                    example.loc,
                    f"{name} expects {field}={display(want, types[field])}; "
                    f"{_gives(table, outcome.rows, got, types[field])}",
                )
                failed = True
    if failed:
        return
    output = {**decided, **example.output}
    cel_output = to_cel_values(spec.outputs, output)
    for checked in guardrails:
        if checked.reads_all_output or not checked.output_reads <= output.keys():
            continue
        for result in evaluate_guardrails((checked.compiled,), cel_input, cel_output):
            if not result.passed:
                why = f": {result.error}" if result.error else ""
                report.at_loc(
                    example.loc,
                    f"{name} violates guardrail '{result.label}' (line {result.line}){why}",
                )


def _check_derived(
    example: Example, derived: Sequence[CompiledDerived], cel_input: dict[str, Any],
    report: Reporter,
) -> None:
    """The derived values the example expects are the values its input gives."""
    name = f"example '{example.title}'"
    known = {d.name: d for d in derived}
    got = derived_values(derived, cel_input)
    for key, want in example.derived.items():
        if key not in known:
            report.at_loc(example.loc, f"{name}: derived.{key} is not a derived value"
                                       f"{did_you_mean(key, list(known))}")
            continue
        ftype = FieldType(kind=known[key].kind)  # type: ignore[arg-type]
        value = got.get(key)
        if ftype.kind in ("integer", "number") and isinstance(want, int | float) and not (
            isinstance(want, bool)
        ):
            same = value is not None and float(value) == float(want)
        else:
            same = value == want
        if not same:
            report.at_loc(example.loc, f"{name} expects derived {key}={display(want)}; its "
                                       f"input gives {display(value)}")


def _same(ftype: FieldType, want: Any, got: Any) -> bool:
    if want is None or got is None:
        return want is None and got is None
    if ftype.kind == "list" and isinstance(want, list) and isinstance(got, list):
        item = ftype.items or FieldType(kind="text")
        return sorted(map(repr, _cel(item, want))) == sorted(map(repr, _cel(item, got)))
    return bool(to_cel_value(ftype, want) == to_cel_value(ftype, got))


def _cel(ftype: FieldType, values: list[Any]) -> list[Any]:
    return [to_cel_value(ftype, v) for v in values]


def _gives(table: CompiledTable, rows: tuple[int, ...], got: Any, ftype: FieldType) -> str:
    if not rows:
        return f"no row of {table.name} matches"
    which = f"row {rows[0]}" if len(rows) == 1 else "rows " + ", ".join(map(str, rows))
    return f"{table.name} {which} gives {display(got, ftype)}"
