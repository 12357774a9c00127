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

from specwright.compiler.evaluate import (
    TableError,
    display,
    evaluate_guardrails,
    evaluate_table,
    to_cel_value,
    to_cel_values,
)
from specwright.compiler.guardrails import CheckedGuardrail
from specwright.compiler.ir import CompiledTable, Example, FieldType, Spec
from specwright.compiler.report import Reporter
from specwright.compiler.validate import validate_fields


def check_examples(
    spec: Spec,
    tables: Sequence[CompiledTable],
    guardrails: Sequence[CheckedGuardrail],
    report: Reporter,
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
        _check(spec, example, tables, guardrails, report)


def _check(
    spec: Spec,
    example: Example,
    tables: Sequence[CompiledTable],
    guardrails: Sequence[CheckedGuardrail],
    report: Reporter,
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
