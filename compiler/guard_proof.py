"""Guardrails proven to hold over the decision tables without a solver, when every test is on one field.

Most guardrails over table-decided outputs compare each field with literals
(``output.decision != "hold" || output.needs_review``). For those, the representatives that make
gaps and overlaps exact (``overlap.py``: every literal, a value in every region between them,
inside the field's constraints) split each input column into every class the tables' cells and
the guardrail can tell apart. Columns are combined as in ``coverage.py`` (distinct sets of passing
rows, plus the guardrail's own input values), and each combination is run through the runtime's
evaluation (``evaluate_table``, ``evaluate_guardrails``): if none breaks the guardrail, it holds
for every valid input, and the analysis needs neither z3 nor its import.

This only ever proves "holds". When a combination breaks the guardrail, or it reads a field in
any other way (arithmetic, two fields compared, dates and times, ...), ``proven`` says False and
``analysis.py`` asks z3, which also builds the canonical counterexample: the findings are z3's
either way (``tests/compiler/test_guard_proof.py`` holds the two to the same answers).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from specwright.compiler.celgen import cell_to_cel
from specwright.compiler.errors import FeelError, TableError
from specwright.compiler.evaluate import (
    cel_program,
    evaluate_guardrails,
    evaluate_table,
    is_nullable,
    to_cel_values,
)
from specwright.compiler.feel import Compare, Lit, UnaryTests, parse_unary_tests, type_tests
from specwright.compiler.ir import CompiledGuardrail, CompiledTable, Field, Spec
from specwright.compiler.overlap import Column, other_text, representatives
from specwright.compiler.smt_cel import Lit as CelLit
from specwright.compiler.smt_cel import Node, Op, Ref

if TYPE_CHECKING:
    import cel

# Combinations of column classes kept, and table rows evaluated over them, before giving up
# (then z3 decides): far above the tables written by hand, a bound on time for generated ones.
MAX_STATES = 20_000
MAX_ROW_RUNS = 2_000_000

_KINDS = frozenset({"boolean", "integer", "number", "money", "enum", "text", "date"})
_COMPARE = frozenset({"==", "!=", "<", "<=", ">", ">="})
_ORDERED = frozenset({"integer", "number", "money", "date"})
_POLICIES = frozenset({"first", "unique", "any", "priority"})
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def proven(
    spec: Spec, tables: Sequence[CompiledTable], guardrail: CompiledGuardrail, tree: Node,
    reads: frozenset[str],
) -> bool:
    """True when no valid input makes the tables deciding ``reads`` (without an error) give
    outputs that break ``guardrail`` (``tree``: its CEL, from ``smt_cel.parse_cel``); False when
    some input does, or this method cannot tell."""
    involved = [t for t in tables if set(t.outputs) & reads]
    if not involved or any(t.hit_policy not in _POLICIES for t in involved):
        return False
    if any(set(t.computed) & reads or t.computed_columns for t in involved):
        return False  # computed values: no class representative of an input stands for them
    inputs = {f.name: f for f in spec.inputs}
    outputs = {f.name: f for f in spec.outputs}
    literals: dict[str, list[Any]] = {}
    if not _unary(tree, inputs, outputs, literals, boolean=True):
        return False
    cells = [_cells(t, inputs) for t in involved]
    if any(c is None for c in cells):
        return False
    names = list(dict.fromkeys([*(n for t in involved for n in t.inputs), *literals]))
    columns: list[list[tuple[Any, tuple[int, ...]]]] = []
    for name in names:
        classes = _classes(name, inputs[name], involved, cells, literals)
        if classes is None:
            return False
        columns.append(classes)
    sizes = [len(t.rows) for t in involved]
    states = _states(columns, sizes, [n in literals for n in names])
    if states is None or len(states) * sum(sizes) > MAX_ROW_RUNS:
        return False
    required = [f.name for f in spec.outputs if f.required]
    for choice in states.values():
        values = {names[c]: columns[c][k][0] for c, k in choice}
        if _breaks(spec, involved, guardrail, values, required):
            return False
    return True


def _breaks(
    spec: Spec, involved: Sequence[CompiledTable], guardrail: CompiledGuardrail,
    values: dict[str, Any], required: list[str],
) -> bool:
    """The runtime's answer on one input: the tables decide and the guardrail fails."""
    results: dict[str, Any] = {}
    for table in involved:
        try:
            results.update(evaluate_table(table, values, required=required).results)
        except TableError:
            return False  # the tables do not decide this input: no output to check
    (result,) = evaluate_guardrails([guardrail], values, to_cel_values(spec.outputs, results))
    return not result.passed


def _states(
    columns: list[list[tuple[Any, tuple[int, ...]]]], sizes: list[int], read: list[bool]
) -> dict[tuple[Any, ...], tuple[tuple[int, int], ...]] | None:
    """Every distinct (rows passing per table, guardrail-read input classes), with the class
    chosen per column to reach it; None past ``MAX_STATES``."""
    start = (tuple((1 << n) - 1 for n in sizes), ())
    states: dict[tuple[Any, ...], tuple[tuple[int, int], ...]] = {start: ()}
    for c, classes in enumerate(columns):
        following: dict[tuple[Any, ...], tuple[tuple[int, int], ...]] = {}
        for (masks, seen), choice in states.items():
            for k, (_, passing) in enumerate(classes):
                key = (
                    tuple(m & p for m, p in zip(masks, passing, strict=True)),
                    (*seen, k) if read[c] else seen,
                )
                following.setdefault(key, (*choice, (c, k)))
            if len(following) > MAX_STATES:
                return None
        states = following
    return states


def _classes(
    name: str, field: Field, involved: Sequence[CompiledTable],
    cells: Sequence[list[tuple[tuple[UnaryTests, str], ...]] | None],
    literals: dict[str, list[Any]],
) -> list[tuple[Any, tuple[int, ...]]] | None:
    """The column's representatives, one per distinct tuple of passing-row masks (per table)
    when the guardrail does not read it, every one when it does; None when not exact."""
    ftype = field.type
    if ftype.kind not in _KINDS:
        return None
    column = Column(name, ftype, is_nullable(field))
    written: list[UnaryTests] = []
    programs: list[cel.Program | None] = []
    for table, table_cells in zip(involved, cells, strict=True):
        assert table_cells is not None
        if name not in table.inputs:
            programs.append(None)
            continue
        index = table.inputs.index(name)
        written += [row[index][0] for row in table_cells]
        programs.append(cel_program("[" + ", ".join(row[index][1] for row in table_cells) + "]"))
    extra = [UnaryTests((Compare("==", Lit("guardrail", "", v)),)) for v in literals.get(name, ())]
    if ftype.kind == "text" and other_text(ftype, _texts([*written, *extra])) is None:
        return None  # no value besides the named ones: z3's domain may differ from ours
    found: dict[tuple[Any, ...], Any] = {}
    for value in representatives(column, [*written, *extra]):
        masks = []
        for program in programs:
            if program is None:
                masks.append(-1)
                continue
            flags = program.execute({"input": {name: value}})
            if any(not isinstance(flag, bool) for flag in flags):
                return None
            masks.append(sum(1 << i for i, flag in enumerate(flags) if flag))
        key = (tuple(masks), value) if name in literals else tuple(masks)
        found.setdefault(key, value)
    return [(value, key[0] if name in literals else key) for key, value in found.items()]


def _texts(cells: list[UnaryTests]) -> list[str]:
    return [lit.value for cell in cells for test in cell.tests
            for lit in (getattr(test, "lo", None), getattr(test, "hi", None),
                        getattr(test, "value", None))
            if lit is not None and isinstance(lit.value, str)]


def _cells(
    table: CompiledTable, inputs: dict[str, Field]
) -> list[tuple[tuple[UnaryTests, str], ...]] | None:
    """Per row, each condition cell typed and as CEL, read again from the written cells; None
    unless they make up the compiled row conditions exactly (a cell form this module does not
    know)."""
    found = []
    for row in table.rows:
        typed, rendered = [], []
        for name, text in zip(table.inputs, row.cells, strict=True):
            field = inputs.get(name)
            if field is None or field.type.kind not in _KINDS:
                return None
            nullable = is_nullable(field)
            try:
                cell = type_tests(parse_unary_tests(text), text, name, field.type, nullable)
            except FeelError:
                return None
            typed.append(cell)
            rendered.append(cell_to_cel(cell, f"input.{name}", nullable))
        if (" && ".join(c for c in rendered if c != "true") or "true") != row.condition:
            return None
        found.append(tuple(zip(typed, rendered, strict=True)))
    return found


def _unary(
    node: Node, inputs: dict[str, Field], outputs: dict[str, Field],
    literals: dict[str, list[Any]], *, boolean: bool,
) -> bool:
    """Whether ``node`` (a condition) tests each field only against literals, in forms z3 reads
    the same way as CEL does; collects the literals per input field."""
    if isinstance(node, CelLit):
        return isinstance(node.value, bool)
    if isinstance(node, Ref):
        field = _field(node, inputs, outputs)
        if field is None or field.type.kind != "boolean":
            return False
        if node.root == "input":
            literals.setdefault(node.name, [])
        return True
    if node.op == "!" or node.op in ("&&", "||"):
        return all(_unary(a, inputs, outputs, literals, boolean=True) for a in node.args)
    if node.op in _COMPARE and len(node.args) == 2:
        ref, lit = node.args
        if isinstance(ref, CelLit):
            ref, lit = lit, ref
        if not isinstance(ref, Ref) or not isinstance(lit, CelLit):
            return False
        return _test(ref, node.op, [lit.value], inputs, outputs, literals)
    if node.op == "in" and len(node.args) == 2:
        ref, items = node.args
        if not (isinstance(ref, Ref) and isinstance(items, Op) and items.op == "list"
                and all(isinstance(i, CelLit) for i in items.args)):
            return False
        return _test(ref, "==", [i.value for i in items.args if isinstance(i, CelLit)],
                     inputs, outputs, literals)
    return False


def _test(
    ref: Ref, op: str, values: list[Any], inputs: dict[str, Field], outputs: dict[str, Field],
    literals: dict[str, list[Any]],
) -> bool:
    field = _field(ref, inputs, outputs)
    if field is None or not all(_fits(field.type.kind, op, v) for v in values):
        return False
    if ref.root == "input":
        literals.setdefault(ref.name, []).extend(v for v in values if v is not None)
    return True


def _field(ref: Ref, inputs: dict[str, Field], outputs: dict[str, Field]) -> Field | None:
    field = (inputs if ref.root == "input" else outputs).get(ref.name)
    return field if field is not None and field.type.kind in _KINDS else None


def _fits(kind: str, op: str, value: Any) -> bool:
    """A literal the runtime and z3 compare with a field of ``kind`` the same way."""
    if value is None:
        return op in ("==", "!=")
    if op not in ("==", "!=") and kind not in _ORDERED:
        return False
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("integer", "number", "money"):  # CEL compares int and double by value, as z3
        return (isinstance(value, int | float) and not isinstance(value, bool)
                and math.isfinite(value) and abs(value) < 2**53)
    if kind == "date":
        return isinstance(value, str) and _is_date(value)
    return isinstance(value, str)  # enum, text


def _is_date(text: str) -> bool:
    if not _ISO_DATE.fullmatch(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True
