"""The ``## Rules``, ``## Decision: <field>`` and ``## Guardrails`` sections.

Decision table cells are kept as written, each with its exact line and column: the semantic
pass (``specwright.compiler.check``) interprets them. Guardrail expressions are the item's inline code span.
"""

from __future__ import annotations

import re
from typing import cast

from specwright.compiler import ir
from specwright.compiler.errors import did_you_mean
from specwright.compiler.limits import MAX_CELL_CHARS, MAX_TABLE_ROWS
from specwright.compiler.report import SNAKE_RE, Reporter, Text, snake_case
from specwright.compiler.sections import Block, ListItem, Section, list_items, read_table

HIT_POLICIES = (
    "first", "unique", "any", "collect", "priority", "rule order", "output order",
    "collect sum", "collect min", "collect max", "collect count",
)
# DMN's short forms of the collect operators: C+ sum, C< min, C> max, C# count
_OPERATORS = {"c+": "collect sum", "c<": "collect min", "c>": "collect max", "c#": "collect count"}
DECISION_RE = re.compile(r"^decision\b\s*:?\s*", re.IGNORECASE)
LISTS = ("bullet_list", "ordered_list")
QUIET = ("html_block", "hr")  # comments and rules are allowed anywhere
GUARDRAIL_EXAMPLE = (
    '"- Refund never exceeds the order total: `output.refund_amount <= input.order_total`"'
)


def _loc(t: Text) -> ir.Loc:
    return ir.Loc(line=t.line, col=t.col)


# ----------------------------------------------------------------------------- rules


def read_rules(section: Section, lines: list[str], report: Reporter) -> tuple[ir.Rule, ...]:
    rules: list[ir.Rule] = []
    for block in section.all_blocks():
        if block.kind in LISTS:
            for item in list_items(block, lines):
                text = _rule_text(item)
                if not text:
                    report.error(
                        item.line, item.col, "an empty rule: write the rule after the number"
                    )
                    continue
                rules.append(
                    ir.Rule(
                        number=len(rules) + 1, text=text, loc=ir.Loc(line=item.line, col=item.col)
                    )
                )
        elif block.kind == "paragraph":
            report.error(
                block.line,
                1,
                'rules must be a numbered list: start each rule with "1.", "2.", ... on its own line',
            )
        elif block.kind not in QUIET:
            report.error(
                block.line, 1, f"unexpected {_what(block)} in Rules: rules must be a numbered list"
            )
    if not rules and not section.all_blocks():
        report.at(
            section.heading,
            'the Rules section is empty: add a numbered list ("1. ...") or remove it',
        )
    return tuple(rules)


def _what(block: Block) -> str:
    return {"fence": "code block", "code_block": "code block", "table": "table"}.get(
        block.kind, block.kind.replace("_", " ")
    )


def _rule_text(item: ListItem) -> str:
    if item.is_simple:
        return item.inline.strip()
    return "\n".join(t.text.rstrip() for t in item.source).strip()


# ----------------------------------------------------------------------------- decision tables


def read_decision(section: Section, lines: list[str], report: Reporter) -> ir.DecisionTable | None:
    heading = section.heading
    m = DECISION_RE.match(heading.text)
    rest = heading.sub(m.end() if m else 0).strip()
    fields, policy = _decision_heading(rest, heading, report)
    field = fields[0] if fields and None not in fields else None
    blocks = section.all_blocks()
    tables = [b for b in blocks if b.kind == "table"]
    if not tables:
        pipes = any(
            b.kind == "paragraph" and "|" in "".join(lines[b.start : b.end]) for b in blocks
        )
        hint = (
            ': the lines with "|" are not a table; the header row needs a separator row below it, '
            'like "|---|---|", with the same number of columns'
            if pipes
            else ": add a decision table whose columns are input fields, then the output field"
        )
        report.at(heading, f'"{heading.text}" has no table{hint}')
        return None
    for extra in tables[1:]:
        report.error(
            extra.line,
            1,
            'one table per decision section: give this table its own "## Decision: <field>"',
        )
    table = read_table(tables[0], lines)
    if not table.rows:
        report.error(table.line, 1, "the decision table has no rows: add at least one rule row")
        return None
    if len(table.rows) > MAX_TABLE_ROWS:
        report.error(table.rows[MAX_TABLE_ROWS].line, 1,
                     f"the decision table has {len(table.rows):,} rows; the limit is "
                     f"{MAX_TABLE_ROWS:,}: merge rows with ranges (\"10..20\") and \"-\", or "
                     "split the decision")
        return None
    long_cells = [c for row in table.rows for c in row.cells if len(c.text) > MAX_CELL_CHARS]
    for cell in long_cells[:5]:
        report.at(cell, f"the cell is {len(cell.text):,} characters long; the limit is "
                        f"{MAX_CELL_CHARS}: a cell holds one short condition or value")
    if long_cells:
        return None
    width = len(table.header.cells)
    rows: list[ir.TableRow] = []
    for number, row in enumerate(table.rows, start=1):
        if len(row.cells) != width:
            report.error(
                row.line,
                1,
                f"row {number} has {len(row.cells)} cells but the table has {width} columns",
            )
            continue
        cells = tuple(ir.TableCell(text=c.text, loc=_loc(c)) for c in row.cells)
        rows.append(ir.TableRow(number=number, cells=cells, loc=ir.Loc(line=row.line, col=1)))
    if field is None:
        return None
    base, _, operator = policy.partition(" ")
    if base != "collect":
        base, operator = policy, ""
    return ir.DecisionTable(
        field=field,
        more_fields=tuple(f for f in fields[1:] if f is not None),
        aggregation=cast(ir.Aggregation, operator) if operator else None,
        hit_policy=cast(ir.HitPolicy, base),
        columns=tuple(ir.TableCell(text=c.text, loc=_loc(c)) for c in table.header.cells),
        rows=tuple(rows),
        loc=_loc(heading),
    )


def _decision_heading(
    rest: Text, heading: Text, report: Reporter
) -> tuple[list[str | None], str]:
    """The output fields the heading names (``decision, reason_code``) and its hit policy.

    After a comma, a hit policy word is the hit policy (``## Decision: service, collect``), any
    other name is one more output field; write a field that is spelled like a hit policy in
    backticks."""
    m = _FIELD_RE.match(rest.text)
    if not m:
        report.at(heading, 'name the output field this table decides, like "## Decision: service"')
        return [None], "first"
    fields = [_field_name(rest, m, report)]
    tail = rest.sub(m.end()).strip()
    while tail.text.startswith(","):
        after = tail.sub(1).strip()
        nm = _FIELD_RE.match(after.text)
        policy_next = _policy_word(after.text.split("(")[0]) is not None or re.match(
            r"hit\s*policy\b", after.text, re.IGNORECASE
        )
        if nm is None or policy_next:
            break
        fields.append(_field_name(after, nm, report))
        tail = after.sub(nm.end()).strip()
    if not tail.text:
        return fields, "first"
    if tail.text.startswith("(") and tail.text.endswith(")"):
        tail = tail.sub(1, len(tail.text) - 1).strip()
    elif tail.text[0] in "—–-,:":
        tail = tail.sub(1).strip()
    pm = re.match(r"hit\s*policy\s*:?\s*", tail.text, re.IGNORECASE)
    if pm:
        tail = tail.sub(pm.end()).strip()
    policy = _policy_word(tail.text)
    if policy is not None:
        return fields, policy
    word = " ".join(tail.text.lower().split())
    hint = (
        did_you_mean(word, list(HIT_POLICIES)) or f" (hit policies are: {', '.join(HIT_POLICIES)})"
    )
    report.at(tail if tail.text else heading, f'unknown hit policy "{tail.text}"{hint}')
    return fields, "first"


_FIELD_RE = re.compile(r"`?([^\s(`,—–]+)`?")


def _field_name(rest: Text, m: re.Match[str], report: Reporter) -> str | None:
    field = m.group(1)
    if not SNAKE_RE.match(field):
        report.at(
            rest.sub(m.start(1)),
            f'"{field}" is not a field name: write the output field, like "{snake_case(field)}"',
        )
        return None
    return field


def _policy_word(text: str) -> str | None:
    """The hit policy ``text`` names (``Collect Sum``, ``C+``, ``rule order``), or None."""
    word = " ".join(text.lower().split())
    word = _OPERATORS.get(word.replace(" ", ""), word)
    return word if word in HIT_POLICIES else None


# ----------------------------------------------------------------------------- guardrails


def read_guardrails(
    section: Section, lines: list[str], report: Reporter
) -> tuple[ir.Guardrail, ...]:
    out: list[ir.Guardrail] = []
    for block in section.all_blocks():
        if block.kind in LISTS:
            for item in list_items(block, lines):
                guardrail = _guardrail(item, report)
                if guardrail is not None:
                    out.append(guardrail)
        elif block.kind not in QUIET:
            report.error(
                block.line, 1, f"write each guardrail as a bullet, like {GUARDRAIL_EXAMPLE}"
            )
    if not out and not section.all_blocks():
        report.at(
            section.heading,
            f"the Guardrails section is empty: add bullets like {GUARDRAIL_EXAMPLE}",
        )
    return tuple(out)


def code_spans(text: str) -> list[tuple[int, int, int]]:
    """(start, end, fence length) of every inline code span; ``text[start:end]`` includes the backticks."""
    spans: list[tuple[int, int, int]] = []
    i = 0
    while i < len(text):
        if text[i] != "`" or (i > 0 and text[i - 1] == "\\"):
            i += 1
            continue
        n = 1
        while i + n < len(text) and text[i + n] == "`":
            n += 1
        j = i + n
        close = -1
        while j < len(text):
            if text[j] == "`":
                k = j
                while k < len(text) and text[k] == "`":
                    k += 1
                if k - j == n:
                    close = j
                    break
                j = k
            else:
                j += 1
        if close < 0:
            i += n
            continue
        spans.append((i, close + n, n))
        i = close + n
    return spans


def _guardrail(item: ListItem, report: Reporter) -> ir.Guardrail | None:
    joined = "\n".join(t.text for t in item.source)
    positions: list[tuple[int, int]] = []
    for t in item.source:
        positions.extend((t.line, t.col + k) for k in range(len(t.text) + 1))
    spans = code_spans(joined)
    if not spans:
        report.error(
            item.line,
            item.col,
            f"this guardrail has no expression in backticks: write it like {GUARDRAIL_EXAMPLE}",
        )
        return None
    start, end, n = spans[-1]
    content = joined[start + n : end - n]
    lead = len(content) - len(content.lstrip())
    expression = " ".join(part.strip() for part in content.split("\n")).strip()
    line, col = positions[min(start + n + lead, len(positions) - 1)]
    label = " ".join(joined[:start].split()).rstrip(" :—–-").strip()
    if not label:
        label = " ".join(joined[end:].split()).lstrip(" :—–-").strip()
    if not expression:
        report.error(
            line,
            col,
            "this guardrail's expression is empty: write the CEL expression between the backticks",
        )
        return None
    if not label:
        report.error(
            item.line, item.col, f"this guardrail has no label: write it like {GUARDRAIL_EXAMPLE}"
        )
        return None
    return ir.Guardrail(label=label, expression=expression, loc=ir.Loc(line=line, col=col))
