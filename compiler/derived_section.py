"""The ``## Derived`` section: a table of named, typed expressions over the input.

```
| name        | type   | expression                          | description          |
|-------------|--------|-------------------------------------|----------------------|
| longest_cm  | number | max(length_cm, width_cm, height_cm) | The longest side     |
```

Read here with every cell located; ``derived_check.py`` types the expressions.
"""

from __future__ import annotations

from specwright.compiler import ir
from specwright.compiler.errors import did_you_mean
from specwright.compiler.report import SNAKE_RE, Reporter, snake_case
from specwright.compiler.sections import Section, read_table

COLUMNS = ("name", "type", "expression", "description")
TYPES: dict[str, ir.TypeKind] = {
    "integer": "integer", "number": "number", "money": "money", "yes/no": "boolean",
    "boolean": "boolean", "bool": "boolean", "text": "text", "date": "date",
    "datetime": "datetime", "date and time": "datetime", "duration": "duration",
    "time": "time", "time of day": "time",
}
EXAMPLE = "| total_cm | number | length_cm + width_cm + height_cm | Sum of the sides |"


def read_derived(section: Section, lines: list[str], report: Reporter) -> tuple[ir.Derived, ...]:
    tables = [b for b in section.all_blocks() if b.kind == "table"]
    if not tables:
        report.at(section.heading, "the Derived section has no table: add a table with columns "
                                   f"name | type | expression | description, like {EXAMPLE}")
        return ()
    table = read_table(tables[0], lines)
    header = [c.text.strip().lower() for c in table.header.cells]
    index: dict[str, int] = {}
    for cell, name in zip(table.header.cells, header, strict=True):
        if name not in COLUMNS:
            report.at(cell, f'unknown column "{cell.text}"{did_you_mean(name, COLUMNS)}: the '
                            "columns are name, type, expression, description")
            continue
        index[name] = header.index(name)
    missing = [c for c in COLUMNS[:3] if c not in index]
    if missing:
        report.at(section.heading, f'the Derived table has no "{missing[0]}" column: its '
                                   "columns are name | type | expression | description")
        return ()
    out: list[ir.Derived] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        if len(row.cells) != len(header):
            report.error(row.line, 1, f"this row has {len(row.cells)} cells but the table has "
                                      f"{len(header)} columns")
            continue
        name_cell, type_cell = row.cells[index["name"]], row.cells[index["type"]]
        expr_cell = row.cells[index["expression"]]
        name = name_cell.text.strip().strip("`")
        if not SNAKE_RE.match(name):
            report.at(name_cell, f'derived value name "{name}" must be snake_case, like '
                                 f'"{snake_case(name) or "total_cm"}"')
            continue
        if name in seen:
            report.at(name_cell, f'derived value "{name}" is defined twice (first on line '
                                 f"{seen[name]})")
            continue
        seen[name] = row.line
        word = " ".join(type_cell.text.lower().split())
        kind = TYPES.get(word)
        if kind is None:
            hint = did_you_mean(word, list(TYPES)) or (
                ": a derived value is an integer, number, money, yes/no, text, date, datetime "
                "or duration")
            report.at(type_cell, f'unknown type "{type_cell.text}"{hint}')
            continue
        text = expr_cell.text.strip()
        offset = 0
        if len(text) >= 2 and text[0] == text[-1] == "`":
            text, offset = text[1:-1], 1
        description = row.cells[index["description"]].text.strip() if "description" in index \
            else ""
        out.append(ir.Derived(
            name=name, type=ir.FieldType(kind=kind), expression=text,
            description="" if description == "-" else description,
            loc=ir.Loc(line=expr_cell.line, col=expr_cell.col + offset)))
    return tuple(out)
