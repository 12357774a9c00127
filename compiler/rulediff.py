"""The behavioural diff of two revisions of a spec, in the spec's own terms.

* table rows added, removed, or changed cell by cell (``order_total: > 1000 → > 500``); a table
  added or removed, its hit policy changed;
* guardrails added, removed or changed (by label), rules added, removed or reworded (by number);
* for every table whose rows or hit policy changed, the input regions where what it decides
  changes (``regions.py``: exact, with z3): ``first_order=yes, 500 < order_total <= 1000:
  decision accept → hold``; tables merged or split (a removed table and an added one deciding
  the same output) are compared the same way, output by output, and when nothing changes the
  diff says so (``decides the same``).

``rule_changes`` is pure: the caller reads the earlier revision's ``spec.json``. Each change is a
``RuleChange``; ``as_change`` gives the manifest entry (kind ``behaviour``).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from specwright.compiler.contract import Change
from specwright.compiler.evaluate import display, display_result
from specwright.compiler.ir import CompiledRow, CompiledSpec, CompiledTable

ARROW = "→"


@dataclass(frozen=True)
class RuleChange:
    what: str  # table added/removed, hit policy, row added/removed/changed, guardrail ..., rule ...,
    #            decides differently, decides the same, not analysed
    path: str  # "Decision: decision, row 7", "guardrail 'Held orders...'", "rule 2"
    message: str
    detail: dict[str, Any] = field(default_factory=dict)  # structured, for --json

    def as_change(self) -> Change:
        return Change("behaviour", self.path, self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"what": self.what, "path": self.path, "message": self.message, **self.detail}


def rule_changes(old: CompiledSpec, new: CompiledSpec, *, regions: bool = True) -> list[RuleChange]:
    """Every rule change from ``old`` to ``new`` (same spec), tables first, in spec order."""
    found: list[RuleChange] = []
    old_tables = {t.name: t for t in old.tables}
    new_tables = {t.name: t for t in new.tables}
    changed: list[tuple[CompiledTable, CompiledTable]] = []
    for name in [*new_tables, *(n for n in old_tables if n not in new_tables)]:
        before, after = old_tables.get(name), new_tables.get(name)
        if before is None and after is not None:
            found.append(RuleChange("table added", name, f"{name}: table added "
                                    f"({len(after.rows)} rows)", {"table": name}))
        elif after is None and before is not None:
            found.append(RuleChange("table removed", name, f"{name}: table removed",
                                    {"table": name}))
        elif before is not None and after is not None:
            table_changes = _table(before, after)
            found += table_changes
            if table_changes:
                changed.append((before, after))
    found += _deciders(old, new) + _guardrails(old, new) + _rules(old, new)
    # tables merged or split (three one-output tables become one multi-output table): compare
    # each removed table with each added one that decides some of the same outputs
    moved = [
        (before, after)
        for before in old.tables
        if before.name not in new_tables
        for after in new.tables
        if after.name not in old_tables and set(before.outputs) & set(after.outputs)
    ]
    if regions and (changed or moved):
        from specwright.compiler.regions import decided_differently  # z3: only when a table changed

        for before, after in changed:
            found += decided_differently(old, new, before, after)
        for before, after in moved:
            differences = decided_differently(old, new, before, after)
            found += differences or [_same_decisions(before, after)]
    if regions:
        found += _derived(old, new, [after for _, after in changed])
    return found


def _derived(old: CompiledSpec, new: CompiledSpec, done: list[CompiledTable]) -> list[RuleChange]:
    """A derived value whose expression changed, listed only where it changes what a table
    decides (the regions, exactly): a rewrite that computes the same values is no change."""
    was = {d.name: d.expression for d in old.spec.derived}
    now = {d.name: d.expression for d in new.spec.derived}
    cel_was = {d.name: d.cel for d in old.derived}
    cel_now = {d.name: d.cel for d in new.derived}
    edited = {n for n in {*was, *now} if cel_was.get(n) != cel_now.get(n)}
    if not edited:
        return []
    from specwright.compiler.regions import decided_differently

    old_tables = {t.name: t for t in old.tables}
    found: list[RuleChange] = []
    for after in new.tables:
        before = old_tables.get(after.name)
        reads = edited & set(after.inputs)
        if before is None or after in done or not reads:
            continue
        effects = decided_differently(old, new, before, after)
        if effects:
            for name in sorted(reads):
                found.append(RuleChange(
                    "derived changed", f"derived {name}",
                    f"derived {name}: {was.get(name, '(none)')} {ARROW} {now.get(name, '(none)')}",
                    {"derived": name, "old": was.get(name), "new": now.get(name)},
                ))
            found += effects
    return found


def _deciders(old: CompiledSpec, new: CompiledSpec) -> list[RuleChange]:
    """Outputs that moved between the language model and the tables."""
    found: list[RuleChange] = []
    for name in new.table_decided:
        if name in old.model_decided:
            table = next(t.name for t in new.tables if name in t.outputs)
            found.append(RuleChange(
                "now decided by a table", name,
                f"{name}: now decided by '{table}' (it was asked of the language model)",
                {"field": name, "table": table},
            ))
    for name in new.model_decided:
        if name in old.table_decided:
            found.append(RuleChange(
                "now decided by the model", name,
                f"{name}: now asked of the language model (no table decides it)",
                {"field": name},
            ))
    return found


def _same_decisions(before: CompiledTable, after: CompiledTable) -> RuleChange:
    shared = [o for o in after.outputs if o in before.outputs]
    return RuleChange(
        "decides the same", after.name,
        f"{after.name} decides {', '.join(shared)} as '{before.name}' did, for every input",
        {"table": after.name, "old_table": before.name, "outputs": shared},
    )


def rule_changes_of(old_doc: Mapping[str, Any], new_doc: Mapping[str, Any]) -> list[RuleChange]:
    """``rule_changes`` of two revisions' ``spec.json`` documents; a document this compiler
    cannot read gives one ``not analysed`` change saying so."""
    try:
        old, new = CompiledSpec.model_validate(old_doc), CompiledSpec.model_validate(new_doc)
    except ValueError:
        return [RuleChange("not analysed", "", "a revision's spec.json was written by another "
                           "compiler version: rule changes not listed")]
    return rule_changes(old, new)


def _conditions(table: CompiledTable, row: CompiledRow) -> dict[str, str]:
    return dict(zip(table.inputs, row.cells, strict=True))


def _describe(table: CompiledTable, row: CompiledRow) -> str:
    tests = [f"{name} {_cell(text)}" for name, text in _conditions(table, row).items()
             if text not in ("-", "")]
    results = ", ".join(display_result(k, v) for k, v in row.written.items())
    return f"if {' and '.join(tests) or 'any input'}: {results}"


def _cell(text: str) -> str:
    """A cell as it reads after a field name: ``> 500``, ``= yes``, ``in "CU", "IR"``."""
    if text[:1] in "<>=!" or ".." in text or text.startswith(("not(", "[", "]", "(")):
        return text
    return f"in {text}" if "," in text else f"= {text}"


def _signature(table: CompiledTable, row: CompiledRow) -> tuple[Any, ...]:
    return (tuple(sorted(_conditions(table, row).items())), tuple(sorted(
        (k, repr(v)) for k, v in row.written.items())))


def _policy(table: CompiledTable) -> str:
    """The hit policy as the heading writes it: ``first``, ``collect sum``."""
    return f"{table.hit_policy} {table.aggregation}" if table.aggregation else table.hit_policy


def _table(before: CompiledTable, after: CompiledTable) -> list[RuleChange]:
    name = after.name
    found: list[RuleChange] = []
    was, now = _policy(before), _policy(after)
    if was != now:
        found.append(RuleChange(
            "hit policy", name, f"{name}: hit policy {was} {ARROW} {now}",
            {"table": name, "old": was, "new": now},
        ))
    old_sigs = [_signature(before, r) for r in before.rows]
    new_sigs = [_signature(after, r) for r in after.rows]
    matcher = difflib.SequenceMatcher(None, old_sigs, new_sigs, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(pairs):
            found.append(_row_changed(before, after, before.rows[i1 + k], after.rows[j1 + k]))
        for row in before.rows[i1 + pairs:i2]:
            found.append(RuleChange(
                "row removed", f"{name}, row {row.number}",
                f"{name}, row {row.number} removed (was: {_describe(before, row)})",
                {"table": name, "old_row": row.number, "line": row.line},
            ))
        for row in after.rows[j1 + pairs:j2]:
            found.append(RuleChange(
                "row added", f"{name}, row {row.number}",
                f"{name}, row {row.number} added: {_describe(after, row)}",
                {"table": name, "row": row.number, "line": row.line},
            ))
    return found


def _row_changed(
    before: CompiledTable, after: CompiledTable, old: CompiledRow, new: CompiledRow
) -> RuleChange:
    old_cells, new_cells = _conditions(before, old), _conditions(after, new)
    cells = []
    for column in [*new_cells, *(c for c in old_cells if c not in new_cells)]:
        a, b = old_cells.get(column, "-"), new_cells.get(column, "-")
        if a != b:
            cells.append({"column": column, "old": a, "new": b})
    for column in [*new.written, *(c for c in old.written if c not in new.written)]:
        was, now = old.written.get(column), new.written.get(column)
        if was != now:
            cells.append({"column": column, "old": display(was), "new": display(now)})
    shown = "; ".join(f"{c['column']} {c['old']} {ARROW} {c['new']}" for c in cells)
    where = f"row {new.number}" if old.number == new.number else (
        f"row {old.number} (now row {new.number})")
    return RuleChange(
        "row changed", f"{after.name}, row {new.number}", f"{after.name}, {where}: {shown}",
        {"table": after.name, "old_row": old.number, "row": new.number, "line": new.line,
         "cells": cells},
    )


def _written(compiled: CompiledSpec) -> list[Any]:
    """The guardrails as compared: as written when the spec has derived values (their compiled
    CEL inlines them, and a derived value's change is listed where it changes a decision)."""
    if not compiled.spec.derived:
        return list(compiled.guardrails)
    text = {g.label: g.expression for g in compiled.spec.guardrails}
    return [g.model_copy(update={"cel": text.get(g.label, g.cel)}) for g in compiled.guardrails]


def _guardrails(old: CompiledSpec, new: CompiledSpec) -> list[RuleChange]:
    before = {g.label: g for g in _written(old)}
    after = {g.label: g for g in _written(new)}
    found = []
    for label in [*after, *(x for x in before if x not in after)]:
        a, b = before.get(label), after.get(label)
        path = f"guardrail '{label}'"
        if a is None and b is not None:
            found.append(RuleChange("guardrail added", path, f"{path} added: `{b.cel}`",
                                    {"label": label, "new": b.cel, "line": b.line}))
        elif b is None and a is not None:
            found.append(RuleChange("guardrail removed", path, f"{path} removed (was `{a.cel}`)",
                                    {"label": label, "old": a.cel}))
        elif a is not None and b is not None and a.cel != b.cel:
            found.append(RuleChange(
                "guardrail changed", path, f"{path}: `{a.cel}` {ARROW} `{b.cel}`",
                {"label": label, "old": a.cel, "new": b.cel, "line": b.line},
            ))
    return found


def _rules(old: CompiledSpec, new: CompiledSpec) -> list[RuleChange]:
    before = {r.number: r.text for r in old.spec.rules}
    after = {r.number: r.text for r in new.spec.rules}
    found = []
    for number in sorted(set(before) | set(after)):
        a, b = before.get(number), after.get(number)
        path = f"rule {number}"
        if a == b:
            continue
        if a is None:
            found.append(RuleChange("rule added", path, f"{path} added: {b}", {"new": b}))
        elif b is None:
            found.append(RuleChange("rule removed", path, f"{path} removed (was: {a})", {"old": a}))
        else:
            found.append(RuleChange("rule changed", path, f"{path}: {a} {ARROW} {b}",
                                    {"old": a, "new": b}))
    return found
