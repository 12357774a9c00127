"""``DraftSpec`` -> spec markdown: deterministic, and written the way a person writes a spec.

Layout: front matter, ``# Title``, the purpose, ``## Input``, ``## Output``, object type sections,
``## Rules``, one ``## Decision: <field>`` per table, ``## Guardrails``, ``## Examples``.

Citations: a rule ends with ``(policy line 12: "...")``, so it also reaches the model as the
reason for the rule. Table rows and guardrails are cited in HTML comments (the compiler skips
them and they never reach the prompt); an example is cited in a line under its title.
Whatever the model wrote is rendered as written (an unparseable example JSON included): the
compiler, not this module, says what is wrong, at a line the model can be shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import yaml

from specwright.compiler.authoring.draft_model import (
    DraftExample,
    DraftField,
    DraftGuardrail,
    DraftObject,
    DraftRule,
    DraftSpec,
    DraftTable,
)

__all__ = [
    "citation",
    "field_table",
    "object_sections",
    "render_example_block",
    "render_spec",
    "table_lines",
]

_PLAIN_YAML = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ,.()/&'+-]*$")


def render_spec(draft: DraftSpec, name: str, *, policy: str = "") -> str:
    """The spec markdown for ``draft``, named ``name``. ``policy``: the policy's file name."""
    out: list[str] = ["---", f"name: {name}", f"title: {_yaml(draft.title)}"]
    if draft.owner.strip():
        out.append(f"owner: {_yaml(draft.owner.strip())}")
    if draft.review_when.strip():
        out.append(f"review when: {_yaml_expression(draft.review_when)}")
    out += ["---", "", f"# {_one_line(draft.title)}", ""]
    out += [*_prose(draft.purpose), ""]
    out += ["## Input", "", *field_table(draft.inputs), ""]
    out += ["## Output", "", *field_table(draft.outputs), ""]
    out += object_sections(draft.objects, level=2)
    if draft.rules:
        out += ["## Rules", ""]
        if policy:
            out += [_comment(f"drafted from {policy}; each rule cites the policy line it "
                             "comes from"), ""]
        out += [*_rules(draft.rules), ""]
    for table in draft.tables:
        out += [*_decision(table), ""]
    if draft.guardrails:
        out += ["## Guardrails", "", *_guardrails(draft.guardrails)]
    if draft.examples:
        out += ["## Examples", ""]
        for example in draft.examples:
            out += [*_example(example), ""]
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def citation(line: int, quote: str) -> str:
    """``policy line 12: "the sentence"``."""
    return f'policy line {line}: "{_one_line(quote)}"'


# ----------------------------------------------------------------------------- fields


def field_table(fields: Sequence[DraftField]) -> list[str]:
    """A field table, columns padded so it reads well in a diff."""
    header = ["field", "type", "constraints", "description"]
    rows = [[f.name, f.type, f.constraints, f.description] for f in fields]
    return table_lines(header, rows)


def object_sections(objects: Sequence[DraftObject], *, level: int) -> list[str]:
    """One ``## <Name>`` (or ``###``) section with a field table per object type."""
    out: list[str] = []
    for obj in objects:
        out += [f"{'#' * level} {_one_line(obj.name)}", "", *field_table(obj.fields), ""]
    return out


def table_lines(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A markdown table: cells escaped (``|`` as ``\\|``, one line each) and padded."""
    head = [_cell(c) for c in header]
    body = [[_cell(c) for c in row] for row in rows]
    width = max([len(head), *(len(r) for r in body)])
    sizes = [
        max([3, *(len(r[i]) for r in [head, *body] if i < len(r))]) for i in range(width)
    ]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(sizes[i]) for i, c in enumerate(cells)) + " |"

    return [line(head), "|" + "|".join("-" * (s + 2) for s in sizes[: len(head)]) + "|",
            *(line(r) for r in body)]


def _cell(text: str) -> str:
    text = _one_line(text)
    return re.sub(r"(?<!\\)\|", r"\\|", text)


# ----------------------------------------------------------------------------- rules, tables


def _rules(rules: Sequence[DraftRule]) -> list[str]:
    return [
        f"{n}. {_one_line(r.text)} ({citation(r.source_line, r.source_quote)})"
        for n, r in enumerate(rules, start=1)
    ]


def _decision(table: DraftTable) -> list[str]:
    policy = "" if table.hit_policy == "first" else f" ({table.hit_policy})"
    outputs = [table.output_field, *table.more_outputs]
    out = [f"## Decision: {', '.join(_one_line(o) for o in outputs)}{policy}", ""]
    if table.rows:
        sources = [
            f"row {n}: {citation(row.source_line, row.source_quote)}"
            for n, row in enumerate(table.rows, start=1)
        ]
        out += [_comment("where each row comes from:\n" + "\n".join(sources)), ""]
    header = [*table.input_columns, *outputs]
    rows = [
        [c if c.strip() else "-" for c in row.conditions] + [row.result, *row.more_results]
        for row in table.rows
    ]  # a row with too few or too many results: the compiler locates it, the model repairs it
    return out + table_lines(header, rows)


def _guardrails(guardrails: Sequence[DraftGuardrail]) -> list[str]:
    out: list[str] = []
    for g in guardrails:
        out += [_comment(citation(g.source_line, g.source_quote)),
                f"- {_one_line(g.label).rstrip(' :')}: {_code(_one_line(g.expression))}", ""]
    return out


# ----------------------------------------------------------------------------- examples


def _example(example: DraftExample) -> list[str]:
    return [
        f"### {_one_line(example.title)}",
        "",
        f"From {citation(example.source_line, example.source_quote)}",
        "",
        *render_example_block(_json_or_raw(example.input_json), _json_or_raw(example.output_json)),
    ]


def render_example_block(input_text: str, output_text: str) -> list[str]:
    """A fenced ``json`` block ``{"input": ..., "output": ...}`` from two JSON texts."""
    body = f'{{"input":  {input_text},\n "output": {output_text}}}'
    runs = [len(m.group(0)) for m in re.finditer(r"`+", body)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return [f"{fence}json", *body.split("\n"), fence]


def _json_or_raw(text: str) -> str:
    """Canonical one-line JSON when ``text`` parses, else the text as written (one line)."""
    try:
        value = json.loads(text)
    except ValueError:
        return _one_line(text) or "{}"
    return json.dumps(value, ensure_ascii=False)


# ----------------------------------------------------------------------------- text helpers


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _prose(text: str) -> list[str]:
    """Paragraphs kept; a line that would read as a heading or front matter is escaped."""
    out: list[str] = []
    for raw in str(text).strip().splitlines():
        line = raw.rstrip()
        if line.lstrip().startswith("#") or line.strip() in ("---", "..."):
            line = "\\" + line.lstrip()
        out.append(line)
    return out or ["(describe the decision here)"]


def _yaml(text: str) -> str:
    text = _one_line(text)
    return text if _PLAIN_YAML.match(text) else json.dumps(text, ensure_ascii=False)


def _yaml_expression(expression: str) -> str:
    """A CEL condition as a YAML scalar: plain when YAML reads it back as the same text."""
    text = _one_line(expression)
    try:
        plain = yaml.safe_load(text) == text
    except yaml.YAMLError:
        plain = False
    return text if plain else json.dumps(text, ensure_ascii=False)


def _comment(text: str) -> str:
    return "<!-- " + text.replace("-->", "-- >").replace("<!--", "< !--") + " -->"


def _code(expression: str) -> str:
    runs = [len(m.group(0)) for m in re.finditer(r"`+", expression)]
    if not runs:
        return f"`{expression}`"
    fence = "`" * (max(runs) + 1)
    return f"{fence} {expression} {fence}"
