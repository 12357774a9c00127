"""What every run of a revision needs and can be worked out once, when the revision is loaded.

``RunPlan`` is built by the catalog next to the revision's models and prompt; the pipeline reads
it instead of re-deriving the same things on each request. Only pure functions of the compiled
spec live here, so a plan is as immutable as its revision.

The tables and guardrails run as two combined CEL programs over one scope per run
(``specwright.runtime.engine.combined_cel``). The results are exactly those of ``specwright.compiler.evaluate``: the combined
programs only serve the plain cases (every guardrail yields a boolean; exactly one row of a
single-hit table (not ``collect``, ``rule order``, ``output order``) matches, where every hit policy picks that row). Anything else (an error,
which makes the whole list raise, no match, several matches, a gathering table) goes to
``evaluate_guardrails`` / ``evaluate_table``, one by one, for their exact results and messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from specwright.compiler.evaluate import (
    GuardrailResult,
    TableOutcome,
    cel_program,
    evaluate_guardrails,
    evaluate_table,
    format_value,
)
from specwright.compiler.hitpolicy import gathers
from specwright.compiler.ir import CompiledGuardrail, CompiledSpec, CompiledTable
from specwright.compiler.limits import expression_quantifier_depth, list_items, run_work_problem
from specwright.runtime.engine.combined_cel import CombinedCel, combine
from specwright.runtime.engine.redaction import has_sensitive
from specwright.runtime.engine.review_rule import ReviewRule, build_review_rule
from specwright.runtime.jsontext import dumps

MEMO_LIMIT = 4096  # row combinations (and guardrail outcomes) remembered per revision
_SCALARS = frozenset({str, int, float, bool, type(None)})


def memo_key(condition_values: list[Any] | None) -> tuple[bool, ...] | None:
    """The key under which ``RunPlan.memo`` keeps what these row-condition values decide: the
    values themselves, when every one is exactly ``True`` or ``False``; else None (not
    remembered). A ``1`` is not a ``True`` here: it is equal to ``True`` and hashed like it, so
    as a key it would find what ``True`` decided."""
    if condition_values is None or not all(type(v) is bool for v in condition_values):
        return None
    return tuple(condition_values)


def scalars_only(values: Mapping[str, Any]) -> bool:
    """Every value is a JSON scalar: a shallow copy of the mapping shares nothing mutable."""
    return all(type(v) in _SCALARS for v in values.values())


class RememberedOutput(NamedTuple):
    """A rules-only revision's validated output for one combination of rows."""

    value: dict[str, Any]  # the Output model's JSON (scalars only; shared: copy it)
    text: str  # its JSON text
    cel_values: dict[str, Any]  # its CEL values, for the guardrails


@dataclass(slots=True, eq=False)
class Decided:
    """What one combination of matched rows decides, remembered from the first run that
    matched it (``RunPlan.remember``).

    Only for combinations where every table matched exactly one row (``RunPlan.single_hits``):
    the table results are then constants of those rows, so the results, the rule trace and,
    when the tables decide every output field, the validated output are the same for every run
    that matches them. The dicts here are shared by those runs: callers copy, never mutate.
    Kept under the row conditions' values (``memo_key``): the rows each table matches are a
    function of those values, and a run that finds its values here needs neither the tables'
    row flags nor their hits worked out.
    """

    results: dict[str, Any]  # every table's results, merged (JSON scalars only)
    trace: tuple[tuple[str, int, int, int | None], ...]  # table, its line, row, the row's line
    trace_json: str  # the rule trace's JSON text, as the log stores it
    # Rules-only revisions only, set by the first run once its output validated:
    output: RememberedOutput | None = None

    def trace_entries(self) -> list[dict[str, Any]]:
        """A fresh copy of the rule trace, as ``pipeline`` records it."""
        return [
            {"table": table, "line": line, "rows": [row], "row_lines": [row_line]}
            for table, line, row, row_line in self.trace
        ]

    def remember_output(
        self, output: dict[str, Any], output_values: dict[str, Any]
    ) -> None:
        if self.output is None and scalars_only(output):
            self.output = RememberedOutput(dict(output), dumps(output), dict(output_values))


def _single_hit(table: CompiledTable, row_flags: Sequence[Any]) -> int | None:
    """The index of the table's one matching row, when that row is the table's outcome by
    every single-hit policy: exactly one flag is ``True`` (``count`` also counts a
    ``1`` as True, so the flag found must be True itself)."""
    if (
        gathers(table)
        or table.computed  # results computed from the input: not remembered by row flags
        or len(row_flags) != len(table.rows)
        or row_flags.count(True) != 1
    ):
        return None
    hit = row_flags.index(True)
    return hit if row_flags[hit] is True else None


class TableDecision(NamedTuple):
    """What the decision tables decided for one input."""

    results: dict[str, Any]  # output field -> value
    memo: Decided | None  # the remembered decision these rows make, when there is one


@dataclass(frozen=True, slots=True, eq=False)
class RunPlan:
    tables: tuple[CompiledTable, ...]
    source: str  # the spec file, for located table errors
    required: tuple[str, ...]  # output fields that must get a value
    row_lines: tuple[Mapping[int, int | None], ...]  # per table: row number -> spec line
    review: ReviewRule  # which answered runs open a review case (``review_rule.py``)
    input_sensitive: bool  # some input field is redacted in the log
    output_sensitive: bool
    guardrails: tuple[CompiledGuardrail, ...]
    cel: CombinedCel  # the tables' and guardrails' combined programs
    # Per-revision memos, filled by runs (see ``Decided``), at most MEMO_LIMIT entries each:
    memo: dict[tuple[bool, ...], Decided] = field(default_factory=dict)  # by memo_key
    guardrail_results: dict[tuple[bool, ...], tuple[GuardrailResult, ...]] = field(
        default_factory=dict
    )  # immutable results, shared
    guardrails_json: dict[tuple[bool, ...], str] = field(default_factory=dict)
    nested_quantifiers: int = 0  # the deepest quantifier nesting of a guardrail, if 2 or more
    # Some table has computed condition columns (derived values, nested paths, list tests):
    # their values go into the rule trace, so those runs are not remembered (``memo``).
    computed: bool = False

    def decide_tables(
        self, scope: Any, input_values: Mapping[str, Any], trace: list[dict[str, Any]]
    ) -> TableDecision:
        """Every table's outcome for this input, merged; each table's matched rows and their
        spec lines are appended to ``trace`` as they are found (a table that cannot decide
        leaves the trace of those before it for the log).

        Taken from the memo when a run matched the same rows before; otherwise evaluated and,
        when every table matched exactly one row, remembered. Raises ``TableError`` exactly as
        ``evaluate_table`` does.
        """
        conditions = self.cel.condition_values(scope)
        key = memo_key(conditions)
        memo = None if key is None else self.memo.get(key)
        if memo is not None:
            trace.extend(memo.trace_entries())
            return TableDecision(dict(memo.results), memo)
        flags = self.cel.flags_of(conditions)
        results: dict[str, Any] = {}
        for i, (table, lines) in enumerate(zip(self.tables, self.row_lines, strict=True)):
            outcome = self.table_outcome(i, table, flags, input_values, self.source)
            entry: dict[str, Any] = {
                "table": table.name,
                "line": table.line,
                "rows": list(outcome.rows),
                "row_lines": [lines.get(n) for n in outcome.rows],
            }
            if table.computed_columns or table.result_derived:
                entry["values"] = computed_values(table, input_values)
            trace.append(entry)
            results.update(outcome.results)
        if key is not None and not self.computed and self.single_hits(self.tables, flags):
            memo = self.remember(key, results, trace)
        return TableDecision(results, memo)

    def table_outcome(
        self,
        index: int,
        table: CompiledTable,
        flags: list[Any] | None,
        input_values: Mapping[str, Any],
        source: str,
    ) -> TableOutcome:
        """``evaluate_table(table, ...)`` (raises ``TableError`` the same way)."""
        if flags is not None and index < len(flags):
            hit = _single_hit(table, flags[index])
            if hit is not None:
                row = table.rows[hit]
                return TableOutcome((row.number,), dict(row.results))
        return evaluate_table(table, input_values, required=self.required, source=source)

    def single_hits(self, tables: Sequence[CompiledTable], flags: list[Any] | None) -> bool:
        """Every table matched exactly one row, the one ``table_outcome``'s fast path takes."""
        if flags is None or len(flags) != len(tables):
            return False
        return all(
            _single_hit(table, row_flags) is not None
            for table, row_flags in zip(tables, flags, strict=True)
        )

    def remember(
        self, key: tuple[bool, ...], results: dict[str, Any], trace: list[dict[str, Any]]
    ) -> Decided | None:
        """Remember what the rows matched under the condition values ``key`` (``memo_key``)
        decided: ``results`` and ``trace``, as the run that matched them worked them out. The
        caller has checked that every table matched one row (``single_hits``). None when the
        memo is full or a result is not a scalar."""
        if len(self.memo) >= MEMO_LIMIT or not scalars_only(results):
            return None
        decided = Decided(
            results=dict(results),
            trace=tuple(
                (t["table"], t["line"], t["rows"][0], t["row_lines"][0]) for t in trace
            ),
            trace_json=dumps(trace),
        )
        self.memo[key] = decided
        return decided

    def guardrail_json(self, records: list[dict[str, Any]]) -> str:
        """``dumps(records)`` (the guardrail column), remembered per pass/fail outcome when no
        guardrail carries an error (the records are then a function of the outcome alone)."""
        if any("error" in r for r in records):
            return dumps(records)
        key = tuple(r["passed"] for r in records)
        text = self.guardrails_json.get(key)
        if text is None:
            text = dumps(records)
            if len(self.guardrails_json) < MEMO_LIMIT:
                self.guardrails_json[key] = text
        return text

    def check_guardrails(
        self, scope: Any, input_values: Mapping[str, Any], output_values: Mapping[str, Any]
    ) -> tuple[GuardrailResult, ...]:
        """``evaluate_guardrails(guardrails, input_values, output_values)``, evaluated once, in
        ``scope`` (from ``cel.scope(input_values)``) with the output set to ``output_values``."""
        if self.nested_quantifiers and run_work_problem(
            self.nested_quantifiers, list_items(input_values, output_values)
        ):  # too many list items for some guardrail: one by one, that one bounded
            return evaluate_guardrails(self.guardrails, input_values, output_values)
        values = self.cel.guardrail_values(scope, output_values)
        if (
            values is not None
            and len(values) == len(self.guardrails)
            and all(type(v) is bool for v in values)  # a 1 is not a pass (nor a cache key)
        ):
            key = tuple(values)
            results = self.guardrail_results.get(key)
            if results is None:
                results = tuple(
                    GuardrailResult(g.label, v, g.line)
                    for g, v in zip(self.guardrails, values, strict=True)
                )
                if len(self.guardrail_results) < MEMO_LIMIT:
                    self.guardrail_results[key] = results
            return results
        return evaluate_guardrails(self.guardrails, input_values, output_values)


def computed_values(table: CompiledTable, input_values: Mapping[str, Any]) -> dict[str, Any]:
    """The values of the table's computed columns and of the derived values its computed results
    read, for this input, as JSON for the trace (null where one cannot be computed: the table's
    own evaluation says why)."""
    values: dict[str, Any] = {}
    for column in (*table.computed_columns, *table.result_derived):
        if column.name in values:
            continue
        try:
            value = cel_program(column.cel).execute({"input": dict(input_values)})
        except Exception:  # noqa: BLE001 - CEL raises plain Python errors of several kinds
            value = None
        if isinstance(value, dt.timedelta):
            value = f"{value.total_seconds():g}s"  # a duration, as CEL writes it
        values[column.name] = value if type(value) in _SCALARS else format_value(value)
    return values


def build_plan(compiled: CompiledSpec) -> RunPlan:
    spec = compiled.spec
    return RunPlan(
        tables=tuple(compiled.tables),
        source=spec.source,
        required=tuple(f.name for f in spec.outputs if f.required),
        row_lines=tuple({row.number: row.line for row in t.rows} for t in compiled.tables),
        review=build_review_rule(compiled),
        input_sensitive=has_sensitive(spec.inputs),
        output_sensitive=has_sensitive(spec.outputs),
        guardrails=tuple(compiled.guardrails),
        cel=combine(compiled),
        computed=any(t.computed_columns for t in compiled.tables),
        nested_quantifiers=max(
            (d for g in compiled.guardrails if (d := expression_quantifier_depth(g.cel)) > 1),
            default=0,
        ),
    )
