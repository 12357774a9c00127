"""Guardrails the decision tables can break, found exactly with the z3 SMT solver.

For every guardrail that reads only inputs and table-decided outputs, it looks for a valid input
(the field types and constraints, ``smt_terms.py``) for which the tables decide without an error
and the outputs they decide violate the guardrail: an error, because at run time that call fails
with ``guardrail_failed``. Guardrails may combine fields (``output.refund <= input.total * 0.5``),
which is why this needs a solver; gaps, unused rows (``coverage.py``) and overlaps
(``overlap.py``) are per-column questions, answered exactly without one, and so is a guardrail
that tests each field against literals and holds (``guard_proof.py``: z3 is asked only when that
cannot prove it). Each finding carries a canonical counterexample
(``smt_model.SpecModel.explain``) as a full JSON input, so tests can replay it with the runtime's
evaluator. A guardrail outside the analysed CEL subset is named in a warning, never skipped
silently; the generated tests still sample it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from specwright.compiler.errors import NotAnalysable
from specwright.compiler.guard_proof import proven
from specwright.compiler.guardrails import CheckedGuardrail
from specwright.compiler.hitpolicy import gathers
from specwright.compiler.ir import CompiledTable, DecisionTable, Loc, Spec
from specwright.compiler.smt_cel import Node, parse_cel

if TYPE_CHECKING:
    from specwright.compiler.smt_model import SpecModel, TableTerms

Kind = Literal["guardrail", "inexact"]


@dataclass(frozen=True)
class Finding:
    kind: Kind
    severity: Literal["error", "warning"]
    loc: Loc
    message: str
    input: dict[str, Any] = field(default_factory=dict)  # the counterexample, as JSON input
    rows: tuple[int, ...] = ()  # the rows whose results break it
    guardrail: str = ""


def analyse(
    spec: Spec, tables: Sequence[CompiledTable], guardrails: Sequence[CheckedGuardrail]
) -> list[Finding]:
    """Every finding about ``tables`` (compiled cleanly) and the guardrails over them."""
    decided = {n for t in tables if not gathers(t) for n in t.outputs}
    findings: list[Finding] = []
    trees: list[tuple[CheckedGuardrail, Node]] = []
    for checked in guardrails:
        reads = checked.output_reads
        if checked.reads_all_output or not reads or not reads <= decided:
            continue  # reads model-decided outputs: the tables alone do not decide it
        try:
            tree = parse_cel(checked.compiled.cel)
        except NotAnalysable as exc:
            findings.append(_inexact(spec, checked, str(exc)))
            continue
        trees.append((checked, tree))
    # Proven without a solver: no finding. The others' trees still shape the model's literals
    # (and so the counterexamples), so every tree goes to it.
    unproven = [(c, t) for c, t in trees if not proven(spec, tables, c.compiled, t, c.output_reads)]
    if not unproven:
        return findings  # nothing for the solver: z3 is not even imported
    from specwright.compiler.smt_model import SpecModel  # z3: a large import, only when needed

    try:
        model = SpecModel(spec, tables, (tree for _, tree in trees))
    except NotAnalysable as exc:  # a table outside the subset (a derived product, a list test)
        return findings + [_inexact(spec, checked, f"the tables ({exc})") for checked, _ in unproven]
    sources = {t.loc.line: t for t in spec.tables}  # a table's heading line names it
    terms: dict[str, TableTerms] = {}
    for checked, tree in unproven:
        # Only the tables the guardrail reads: another table's outputs are free variables that
        # nothing else mentions, so its constraints could never change an answer.
        try:
            for table in tables:
                if table.name not in terms and set(table.outputs) & checked.output_reads:
                    found = terms[table.name] = model.table(table)
                    if not gathers(table):
                        model.solver.add(*model.outputs(found))
        except NotAnalysable as exc:  # a derived product, a list test: say so, never skip
            findings.append(_inexact(spec, checked, f"the tables ({exc})"))
            continue
        opaque = sorted(set(model.opaque) & checked.output_reads)
        if opaque:  # a computed result the analysis cannot read: say so, never skip silently
            findings.append(_inexact(spec, checked, model.opaque[opaque[0]]))
            continue
        try:
            findings += _guardrail(model, checked, tree, tables, terms, sources)
        except NotAnalysable as exc:
            findings.append(_inexact(spec, checked, str(exc)))
    return findings


def _loc(source: DecisionTable, number: int) -> Loc:
    row = next((r for r in source.rows if r.number == number), None)
    return row.loc if row is not None else source.loc


def _guardrail(
    model: SpecModel,
    checked: CheckedGuardrail,
    tree: Node,
    tables: Sequence[CompiledTable],
    terms: dict[str, TableTerms],
    sources: dict[int, DecisionTable],
) -> list[Finding]:
    import z3

    from specwright.compiler.smt_model import output_values, refs, show

    guardrail = checked.compiled
    value, err = model.translator.condition(tree)
    involved = [t for t in tables if set(t.outputs) & checked.output_reads]
    goal = z3.And(*(terms[t.name].defined for t in involved), z3.Or(err, z3.Not(value)))
    if not model.check(goal):
        return []
    read: set[str] = {name for root, name in refs(tree) if root == "input"}
    read |= {n for t in involved for n in t.inputs}
    read |= {  # the inputs computed results read
        field
        for (name, line, _, _), node in model.computed.items()
        if any((t.name, t.line) == (name, line) for t in involved)
        for root, field in refs(node)
        if root == "input"
    }
    shown = [v for v in model.inputs() if v.name in read]
    values, kept, point = model.explain(goal, shown)
    outputs = [model.vars[("output", f.name)] for f in model.spec.outputs
               if f.name in checked.output_reads]
    fired = []
    for table in involved:
        rows = [r.number for r, f in zip(table.rows, terms[table.name].fires, strict=True)
                if z3.is_true(point.eval(f, model_completion=True))]
        fired += [(table, n) for n in rows[:1]]
    first_table, first_row = fired[0] if fired else (involved[0], 0)
    source = sources.get(first_table.line)
    loc = _loc(source, first_row) if source is not None else Loc(line=guardrail.line)
    used = "; ".join(f"{t.name} row {n}" for t, n in fired)
    return [Finding(
        "guardrail", "error", loc,
        f'the tables can break guardrail "{guardrail.label}" (line {guardrail.line}): '
        f"{show(values, kept) or 'every input'} gives {output_values(point, outputs)}"
        + (f" ({used})" if used else ""),
        input=values, guardrail=guardrail.label,
        rows=tuple(n for _, n in fired),
    )]


def _inexact(spec: Spec, checked: CheckedGuardrail, what: str) -> Finding:
    guardrail = checked.compiled
    loc = next((g.loc for g in spec.guardrails if g.label == guardrail.label), None)
    return Finding(
        "inexact", "warning", loc or Loc(line=guardrail.line),
        f'guardrail "{guardrail.label}" is not checked exactly against the tables: the analysis '
        f"does not read {what}; the generated tests still check it on samples",
        guardrail=guardrail.label,
    )
