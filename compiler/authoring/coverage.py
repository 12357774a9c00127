"""What a spec's examples exercise: decision table rows, guardrails and rules.

* A **table row** is exercised by an example whose input makes that row decide, evaluated with
  the runtime's own evaluator (``specwright.compiler.evaluate``): for ``first`` and ``priority`` tables the
  one row that wins, for the other hit policies every matching row.
* A **guardrail** is exercised by an example when the compiler checks it against that example:
  the example's output (with the table-decided fields filled in) names every Output field the
  guardrail reads. A guardrail that reads ``output`` as a whole is never checked by an example.
* A **rule** is judgment the model applies; no program can tell whether an example exercises it.
  An example counts for rule N only when its title says so (``... (rule 2)``, ``rules 1 and 3``):
  a claim by whoever wrote the example, reported as such.

Pure: the spec must already compile (``CompiledSpec``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from specwright.compiler.errors import TableError
from specwright.compiler.evaluate import display_result, evaluate_table, to_cel_values
from specwright.compiler.guardrails import compile_guardrails
from specwright.compiler.ir import CompiledSpec, Example
from specwright.compiler.report import Reporter

__all__ = ["Coverage", "Item", "coverage", "format_coverage", "rules_named"]

Kind = Literal["row", "guardrail", "rule"]
_RULES = re.compile(r"\brules?\s+(\d+(?:\s*(?:,|and|&|/)\s*\d+)*)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Item:
    kind: Kind
    name: str  # "Decision: outcome row 3", "guardrail 'Refund within price'", "rule 2"
    line: int
    detail: str  # the row's cells, the guardrail's CEL, the rule's text
    examples: tuple[str, ...]  # titles of the examples that exercise it
    checkable: bool = True  # False: no example can be checked against it

    @property
    def covered(self) -> bool:
        return bool(self.examples)


@dataclass(frozen=True, slots=True)
class Coverage:
    source: str
    example_count: int
    rows: tuple[Item, ...]
    guardrails: tuple[Item, ...]
    rules: tuple[Item, ...]

    @property
    def gaps(self) -> tuple[Item, ...]:
        """Everything not covered that an example could cover, rows first."""
        items = (*self.rows, *self.guardrails, *self.rules)
        return tuple(
            i for i in items if not i.covered and (i.kind != "guardrail" or i.checkable)
        )


def rules_named(title: str) -> set[int]:
    """Rule numbers an example title names: ``(rule 2)``, ``rules 1 and 3``."""
    numbers: set[int] = set()
    for m in _RULES.finditer(title):
        numbers.update(int(n) for n in re.findall(r"\d+", m.group(1)))
    return numbers


def coverage(compiled: CompiledSpec) -> Coverage:
    spec = compiled.spec
    row_hits: dict[tuple[str, int], list[str]] = {}
    guard_hits: dict[int, list[str]] = {}
    checked = compile_guardrails(spec, Reporter(spec.source))
    reads = {g.compiled.line: g for g in checked}
    for example in spec.examples:
        decided = _decide(compiled, example, row_hits)
        named = {*decided, *example.output}
        for line, g in reads.items():
            if not g.reads_all_output and g.output_reads <= named:
                guard_hits.setdefault(line, []).append(example.title)
    rows = tuple(
        Item("row", f"{t.name} row {r.number}", r.line, _cells(t.inputs, r.cells, r.written),
             tuple(row_hits.get((t.name, r.number), ())))
        for t in compiled.tables
        for r in t.rows
    )
    guardrails = tuple(
        Item("guardrail", f"guardrail '{g.label}'", g.line, g.cel, tuple(guard_hits.get(g.line, ())),
             checkable=not (g.line in reads and reads[g.line].reads_all_output))
        for g in compiled.guardrails
    )
    rules = tuple(
        Item("rule", f"rule {r.number}", r.loc.line, " ".join(r.text.split()),
             tuple(e.title for e in spec.examples if r.number in rules_named(e.title)),
             checkable=False)
        for r in spec.rules
    )
    return Coverage(spec.source, len(spec.examples), rows, guardrails, rules)


def _decide(
    compiled: CompiledSpec, example: Example, hits: dict[tuple[str, int], list[str]]
) -> dict[str, Any]:
    cel_input = to_cel_values(compiled.spec.inputs, example.input)
    decided: dict[str, Any] = {}
    for table in compiled.tables:
        try:
            outcome = evaluate_table(table, cel_input)
        except TableError:
            continue  # a compiled spec's examples never get here; coverage is not the place
        decided.update(outcome.results)
        for number in outcome.rows:
            hits.setdefault((table.name, number), []).append(example.title)
    return decided


def _cells(inputs: tuple[str, ...], cells: tuple[str, ...], results: dict[str, Any]) -> str:
    tests = [f"{name} {cell}" for name, cell in zip(inputs, cells, strict=False) if cell != "-"]
    gives = ", ".join(display_result(k, v) for k, v in results.items())
    return f"{' and '.join(tests) or 'any input'} -> {gives}"


def format_coverage(cov: Coverage) -> str:
    """The coverage report, as the CLI prints it."""
    out = [f"coverage of {cov.source} ({cov.example_count} example"
           f"{'' if cov.example_count == 1 else 's'})"]
    sections: tuple[tuple[str, tuple[Item, ...], str], ...] = (
        ("decision table rows", cov.rows, "an example's input makes the row decide"),
        ("guardrails", cov.guardrails, "an example's output names every field the check reads"),
        ("rules", cov.rules, "not machine-checkable: counted only when an example's title "
                             'names the rule, like "(rule 2)"'),
    )
    for title, items, meaning in sections:
        if not items:
            continue
        done = sum(1 for i in items if i.covered)
        out.append(f"{title}: {done} of {len(items)} covered ({meaning})")
        for item in items:
            if item.covered:
                mark, by = "ok ", "by " + ", ".join(f'"{t}"' for t in item.examples)
            elif item.kind == "guardrail" and not item.checkable:
                mark, by = "-- ", "reads the whole output: no example can check it"
            else:
                mark, by = "-- ", "NOT covered"
            out.append(f"  {mark}{item.name} (line {item.line}): {item.detail}  [{by}]")
    return "\n".join(out)
