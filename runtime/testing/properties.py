"""Properties every revision must have, checked on generated inputs (Hypothesis, derandomized).

Each check first runs a deterministic set of inputs (the boundary inputs of the tables involved),
then Hypothesis-generated valid inputs. A failure raises ``SpecCheckFailed`` whose message names
the table or guardrail, its spec line, the rows involved and the counterexample's field values;
Hypothesis shrinks generated counterexamples to the simplest one first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from specwright.compiler.evaluate import (
    TableConflict,
    TableError,
    TableNoMatch,
    evaluate_guardrails,
    to_cel_values,
)
from specwright.compiler.ir import CompiledTable
from specwright.compiler.testgen import fields_read
from specwright.runtime.testing.boundaries import boundary_inputs
from specwright.runtime.testing.input_strategies import Mutation, invalid_mutations, valid_inputs
from specwright.runtime.testing.profile import ci_settings
from specwright.runtime.testing.report import (
    fail,
    fields_text,
    input_json,
    location,
    row_ref,
    rows_ref,
    table_ref,
    value_text,
)
from specwright.runtime.testing.suite import Prepared, SpecSuite


def _for_all(suite: SpecSuite, tables: Sequence[CompiledTable], check: Callable[[Prepared], None]) -> None:
    """Run ``check`` on the boundary inputs of ``tables``, then on generated valid inputs."""
    __tracebackhide__ = True
    for prepared in boundary_inputs(suite, tables):
        check(prepared)

    @ci_settings()
    @given(valid_inputs(suite.input_schema, suite.compiled.spec.inputs))
    def for_every_valid_input(data: dict[str, Any]) -> None:
        __tracebackhide__ = True
        assume(suite.schema_valid(data))
        prepared = suite.prepare(data)
        assume(prepared is not None)
        assert prepared is not None
        check(prepared)

    for_every_valid_input()


def _unexpected(suite: SpecSuite, table: CompiledTable, p: Prepared, exc: TableError) -> AssertionError:
    return fail(
        f"{table_ref(suite.source, table)} could not be evaluated for "
        f"{fields_text(p.raw, table.inputs)}: {exc.message}",
        f"  input: {input_json(p.raw)}",
    )


# ----------------------------------------------------------------------------- input contract


def check_input_contract_valid(suite: SpecSuite) -> None:
    """Every input the published Input schema allows is accepted by the revision."""
    __tracebackhide__ = True

    @ci_settings()
    @given(valid_inputs(suite.input_schema, suite.compiled.spec.inputs))
    def accepted(data: dict[str, Any]) -> None:
        __tracebackhide__ = True
        assume(suite.schema_valid(data))
        errors = suite.validate(data)
        if errors:
            names = ", ".join(".".join(str(p) for p in loc) for loc in errors)
            raise fail(
                f"{suite.source}: an input the Input schema allows was rejected (errors at {names})",
                f"  input: {input_json(data)}",
                "The generated schema and the Input model disagree: run specwright compile; "
                "if that does not fix it, report it to the Specwright maintainers.",
            )

    accepted()


def _names(loc: tuple[str | int, ...]) -> tuple[str, ...]:
    return tuple(str(p) for p in loc)


def _rejection_problem(suite: SpecSuite, data: dict[str, Any], m: Mutation) -> str | None:
    broken = m.apply(data)
    if m.schema_checked and suite.schema_valid(broken):
        return None  # the change does not break the schema here (e.g. an allowed extra field)
    errors = suite.validate(broken)
    if not errors:
        return f"{m.field} {m.what}: accepted, but the Input schema forbids it"
    want = _names(m.path)
    if not any(_names(loc)[: len(want)] == want or want[: len(loc)] == _names(loc) for loc in errors):
        named = ", ".join(".".join(_names(loc)) for loc in errors)
        return f"{m.field} {m.what}: rejected, but the error names {named} instead of {m.field}"
    return None


def check_input_contract_invalid(suite: SpecSuite) -> None:
    """Inputs that break the schema (one field at a time) are rejected naming that field."""
    __tracebackhide__ = True
    base = suite.base_input
    problems = [p for m in invalid_mutations(suite.input_schema, base)
                if (p := _rejection_problem(suite, base, m))]
    if problems:
        raise fail(
            f"{suite.source}: {len(problems)} invalid input(s) not rejected as they should be:",
            *(f"  - {p}" for p in problems),
            f"  (each is this valid input with one change: {input_json(base)})",
        )

    @ci_settings()
    @given(valid_inputs(suite.input_schema, suite.compiled.spec.inputs), st.data())
    def rejected(data: dict[str, Any], draw: st.DataObject) -> None:
        __tracebackhide__ = True
        assume(suite.schema_valid(data))
        mutations = invalid_mutations(suite.input_schema, data)
        assume(bool(mutations))
        problem = _rejection_problem(suite, data, draw.draw(st.sampled_from(mutations)))
        if problem:
            raise fail(f"{suite.source}: an invalid input was not rejected as it should be:",
                       f"  - {problem}", f"  (the valid input before the change: {input_json(data)})")

    rejected()


# ----------------------------------------------------------------------------- decision tables


def check_tables_total(suite: SpecSuite, table_name: str) -> None:
    """A table deciding a required output matches a row for every valid input."""
    __tracebackhide__ = True
    table = suite.table(table_name)
    decides = [f for f in table.outputs if f in suite.required_outputs]

    def check(p: Prepared) -> None:
        __tracebackhide__ = True
        outcome = suite.evaluate(table, p)
        if isinstance(outcome, TableNoMatch):
            raise fail(
                f"no row of {table_ref(suite.source, table)} matches "
                f"{fields_text(p.raw, table.inputs)}",
                f"  The table decides {', '.join(decides)}, which every answer must have. Add a "
                "row for this case, or end the table with a catch-all row (- in every column).",
                f"  input: {input_json(p.raw)}",
            )
        if isinstance(outcome, TableError) and not isinstance(outcome, TableConflict):
            raise _unexpected(suite, table, p, outcome)

    _for_all(suite, [table], check)


def check_unique(suite: SpecSuite, table_name: str) -> None:
    """A ``unique`` table never matches two rows (an ``any`` table's matches always agree)."""
    __tracebackhide__ = True
    table = suite.table(table_name)

    def check(p: Prepared) -> None:
        __tracebackhide__ = True
        outcome = suite.evaluate(table, p)
        if isinstance(outcome, TableConflict):
            kind = "agree" if table.hit_policy == "any" else "match"
            raise fail(
                f"rows {' and '.join(str(r) for r in outcome.rows)} of "
                f"{table_ref(suite.source, table)} all match {fields_text(p.raw, table.inputs)}:",
                *(f"  - {row_ref(suite.source, table, n)}" for n in outcome.rows),
                f"  The table is '{table.hit_policy}': matching rows must {kind}. Narrow the rows "
                "so they do not overlap, or make the table 'first' (first matching row wins).",
                f"  input: {input_json(p.raw)}",
            )
        if isinstance(outcome, TableError) and not isinstance(outcome, TableNoMatch):
            raise _unexpected(suite, table, p, outcome)

    _for_all(suite, [table], check)


# ----------------------------------------------------------------------------- guardrails


def check_guardrails_vs_tables(suite: SpecSuite, label: str) -> None:
    """Where tables decide what a guardrail reads, their decisions never violate it."""
    __tracebackhide__ = True
    guardrail = suite.guardrail(label)
    spec = suite.compiled.spec
    reads = fields_read(spec, guardrail.cel, "output")
    tables = [t for t in suite.compiled.tables if set(t.outputs) & reads]
    shown: Iterable[str] = list(dict.fromkeys(
        [*sorted(fields_read(spec, guardrail.cel, "input")), *(c for t in tables for c in t.inputs)]
    ))

    def check(p: Prepared) -> None:
        __tracebackhide__ = True
        decided: dict[str, Any] = {}
        used: list[str] = []
        for table in tables:
            outcome = suite.evaluate(table, p)
            if isinstance(outcome, TableError):
                return  # a gap or overlap: reported by the table's own tests
            decided.update(outcome.results)
            used.append(f"{table.name}: {rows_ref(suite.source, table, outcome.rows)}")
        output = to_cel_values(spec.outputs, decided)
        (result,) = evaluate_guardrails([guardrail], p.cel_input, output)
        if not result.passed:
            values = ", ".join(f"{k}={value_text(decided.get(k))}" for k in sorted(reads))
            raise fail(
                f'the tables can decide an answer the guardrail "{guardrail.label}" '
                f"({location(suite.source, guardrail.line)}) forbids: for "
                f"{fields_text(p.raw, shown)} they decide {values}",
                *(f"  - {u}" for u in used),
                *([f"  The guardrail could not be evaluated: {result.error}"] if result.error else []),
                "  Fix the table rows or the guardrail: as written, this input can never be "
                "answered.",
                f"  input: {input_json(p.raw)}",
            )

    _for_all(suite, tables, check)
