"""What every run of a revision needs and can be worked out once, when the revision is loaded.

``RunPlan`` is built by the catalog next to the revision's models and prompt; the pipeline reads
it instead of re-deriving the same things on each request. Only pure functions of the compiled
spec live here, so a plan is as immutable as its revision.

The tables and guardrails run as two combined CEL programs over one scope per run
(``runtime.combined_cel``). The results are exactly those of ``compiler.evaluate``: the combined
programs only serve the plain cases (every guardrail yields a boolean; exactly one row of a
non-``collect`` table matches, where every hit policy picks that row). Anything else (an error,
which makes the whole list raise, no match, several matches, ``collect``) goes to
``evaluate_guardrails`` / ``evaluate_table``, one by one, for their exact results and messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compiler.evaluate import (
    GuardrailResult,
    TableOutcome,
    evaluate_guardrails,
    evaluate_table,
)
from compiler.ir import CompiledGuardrail, CompiledSpec, CompiledTable
from runtime.combined_cel import CombinedCel, combine
from runtime.redaction import has_sensitive

ESCALATION_VALUES = frozenset({"escalate", "escalated"})


@dataclass(frozen=True, slots=True, eq=False)
class RunPlan:
    required: tuple[str, ...]  # output fields that must get a value
    row_lines: tuple[Mapping[int, int | None], ...]  # per table: row number -> spec line
    escalation_fields: tuple[str, ...]  # ``one of`` outputs whose value may be ``escalate(d)``
    input_sensitive: bool  # some input field is redacted in the log
    output_sensitive: bool
    guardrails: tuple[CompiledGuardrail, ...]
    cel: CombinedCel  # the tables' and guardrails' combined programs

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
            # Exactly one row whose flag is ``True`` (count() also counts a 1 as True: then the
            # flag found must be True itself), where every policy but collect picks that row.
            if len(row_flags) == len(table.rows) and row_flags.count(True) == 1:
                hit = row_flags.index(True)
                if row_flags[hit] is True:
                    row = table.rows[hit]
                    return TableOutcome((row.number,), dict(row.results))
        return evaluate_table(table, input_values, required=self.required, source=source)

    def check_guardrails(
        self, scope: Any, input_values: Mapping[str, Any], output_values: Mapping[str, Any]
    ) -> tuple[GuardrailResult, ...]:
        """``evaluate_guardrails(guardrails, input_values, output_values)``, evaluated once, in
        ``scope`` (from ``cel.scope(input_values)``) with the output set to ``output_values``."""
        values = self.cel.guardrail_values(scope, output_values)
        if (
            values is not None
            and len(values) == len(self.guardrails)
            and all(isinstance(v, bool) for v in values)
        ):
            return tuple(
                GuardrailResult(g.label, v, g.line)
                for g, v in zip(self.guardrails, values, strict=True)
            )
        return evaluate_guardrails(self.guardrails, input_values, output_values)


def build_plan(compiled: CompiledSpec) -> RunPlan:
    spec = compiled.spec
    return RunPlan(
        required=tuple(f.name for f in spec.outputs if f.required),
        row_lines=tuple({row.number: row.line for row in t.rows} for t in compiled.tables),
        escalation_fields=tuple(f.name for f in spec.outputs if f.type.kind == "enum"),
        input_sensitive=has_sensitive(spec.inputs),
        output_sensitive=has_sensitive(spec.outputs),
        guardrails=tuple(compiled.guardrails),
        cel=combine(compiled),
    )
