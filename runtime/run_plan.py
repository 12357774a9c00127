"""What every run of a revision needs and can be worked out once, when the revision is loaded.

``RunPlan`` is built by the catalog next to the revision's models and prompt; the pipeline reads
it instead of re-deriving the same things on each request. Only pure functions of the compiled
spec live here, so a plan is as immutable as its revision.

The guardrails are also compiled into **one** CEL program, a list of every guardrail's value:
one evaluation (one conversion of the input and output values) instead of one per guardrail.
The decision tables likewise: one program yields every table's row flags. The results are
exactly those of ``compiler.evaluate``: the combined programs only serve the plain cases (every
guardrail yields a boolean; exactly one row of a non-``collect`` table matches, where every hit
policy picks that row). Anything else (an error, which makes the whole list raise, no match,
several matches, ``collect``) goes to ``evaluate_guardrails`` / ``evaluate_table``, one by one,
for their exact results and messages.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compiler.evaluate import (
    GuardrailResult,
    TableOutcome,
    cel_program,
    evaluate_guardrails,
    evaluate_table,
)
from compiler.ir import CompiledGuardrail, CompiledSpec, CompiledTable
from runtime.redaction import has_sensitive

log = logging.getLogger("specwright.pipeline")

ESCALATION_VALUES = frozenset({"escalate", "escalated"})


@dataclass(frozen=True, slots=True, eq=False)
class RunPlan:
    required: tuple[str, ...]  # output fields that must get a value
    row_lines: tuple[Mapping[int, int | None], ...]  # per table: row number -> spec line
    escalation_fields: tuple[str, ...]  # ``one of`` outputs whose value may be ``escalate(d)``
    input_sensitive: bool  # some input field is redacted in the log
    output_sensitive: bool
    guardrails: tuple[CompiledGuardrail, ...]
    guardrail_program: Any  # a ``cel.Program`` (list of every guardrail's value), or None
    table_program: Any  # a ``cel.Program`` (list of every table's row flags), or None

    def table_flags(self, input_values: Mapping[str, Any]) -> list[Any] | None:
        """Every table's row flags from one evaluation, or None (then ``table_outcome`` falls
        back to ``evaluate_table``, which reports the error of the table that has it)."""
        if self.table_program is None:
            return None
        try:
            flags = self.table_program.execute({"input": dict(input_values)})
        except Exception:  # noqa: BLE001 - some table raised: evaluated one by one
            return None
        return flags if isinstance(flags, list) else None

    def table_outcome(
        self,
        index: int,
        table: CompiledTable,
        flags: list[Any] | None,
        input_values: Mapping[str, Any],
        source: str,
    ) -> TableOutcome:
        """``evaluate_table(table, ...)`` (raises ``TableError`` the same way)."""
        if flags is not None and table.hit_policy != "collect" and index < len(flags):
            row_flags = flags[index]
            if isinstance(row_flags, list) and len(row_flags) == len(table.rows):
                matched = [row for row, hit in zip(table.rows, row_flags, strict=True) if hit is True]
                if len(matched) == 1:  # every policy but collect answers with this row
                    return TableOutcome((matched[0].number,), dict(matched[0].results))
        return evaluate_table(table, input_values, required=self.required, source=source)

    def check_guardrails(
        self, input_values: Mapping[str, Any], output_values: Mapping[str, Any]
    ) -> tuple[GuardrailResult, ...]:
        """``evaluate_guardrails(guardrails, input_values, output_values)``, evaluated once."""
        program = self.guardrail_program
        if program is not None:
            try:
                values = program.execute(
                    {"input": dict(input_values), "output": dict(output_values)}
                )
            except Exception:  # noqa: BLE001 - some guardrail raised: evaluated one by one
                values = None  # below, which records that guardrail's error as its result
            if isinstance(values, list) and len(values) == len(self.guardrails) and all(
                isinstance(v, bool) for v in values
            ):
                return tuple(
                    GuardrailResult(g.label, v, g.line)
                    for g, v in zip(self.guardrails, values, strict=True)
                )
        return evaluate_guardrails(self.guardrails, input_values, output_values)


def build_plan(compiled: CompiledSpec) -> RunPlan:
    spec = compiled.spec
    guardrails = tuple(compiled.guardrails)
    return RunPlan(
        required=tuple(f.name for f in spec.outputs if f.required),
        row_lines=tuple({row.number: row.line for row in t.rows} for t in compiled.tables),
        escalation_fields=tuple(f.name for f in spec.outputs if f.type.kind == "enum"),
        input_sensitive=has_sensitive(spec.inputs),
        output_sensitive=has_sensitive(spec.outputs),
        guardrails=guardrails,
        guardrail_program=_combined([g.cel for g in guardrails]),
        table_program=_combined([t.cel for t in compiled.tables]),
    )


def _combined(expressions: list[str]) -> Any:
    if not expressions:
        return None
    expression = "[" + ", ".join(f"({e})" for e in expressions) + "]"
    try:
        return cel_program(expression)
    except Exception as exc:  # noqa: BLE001 - never needed: the one-by-one path still works
        log.debug("not combined into one CEL program: %s", exc)
        return None
