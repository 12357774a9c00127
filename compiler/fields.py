"""Field lists: the ``## Input`` / ``## Output`` tables or bullet lists, and object types.

A field is written as a table row (``| weight_kg | number | > 0, <= 70 | Packed weight |``) or
a bullet (``- weight_kg (number, > 0, <= 70): Packed weight``). Object types come from sections
holding a field table or list (``## Location``, or ``### Location`` under Input/Output), or from
bullets nested under an ``object`` bullet.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

from specwright.compiler import ir
from specwright.compiler.constraints import apply_constraints
from specwright.compiler.errors import did_you_mean
from specwright.compiler.report import SNAKE_RE, Reporter, Text, snake_case, split_outside_quotes
from specwright.compiler.sections import (
    Block,
    ListItem,
    Section,
    item_blocks,
    list_items,
    read_table,
)
from specwright.compiler.types import parse_type, singular_forms, split_type_cell

COLUMNS = {
    "field": "field",
    "name": "field",
    "type": "type",
    "constraints": "constraints",
    "constraint": "constraints",
    "description": "description",
}
EMPTY_CELLS = ("", "-", "—", "–")
CEL_RESERVED = (
    "as break const continue else false for function if import in let loop package namespace "
    "null return true var void while"
).split()
RESERVED = frozenset(keyword.kwlist) | frozenset(CEL_RESERVED)
BULLET_RE = re.compile(r"^(?:`|\*\*)?(?P<name>[^\s(`*:]+)(?:`|\*\*)?\s*\(")


@dataclass
class RawField:
    name: Text
    type: Text
    constraints: Text | None = None
    description: str = ""
    children: list[RawField] | None = None  # nested bullets of an object field


def norm_name(text: str) -> str:
    """Normalised object/section name: lowercase, ``_``/``-`` as spaces, no backticks."""
    return " ".join(re.sub(r"[_\-`*]+", " ", text.lower()).split())


# ----------------------------------------------------------------------------- reading


def read_fields(
    section: Section, lines: list[str], report: Reporter, *, must: bool
) -> list[RawField] | None:
    """The section's own field table or field list; None when it has neither.

    With ``must`` (Input/Output) any table or bullet list is taken as the field list and
    problems are reported; otherwise only a table with field and type columns, or a list whose
    first item reads like a field, counts.
    """
    tables = [b for b in section.blocks if b.kind == "table"]
    lists = [b for b in section.blocks if b.kind in ("bullet_list", "ordered_list")]
    if tables:
        header = [_column(c.text) for c in read_table(tables[0], lines).header.cells]
        if not must and not ({"field", "name"} & set(header) and "type" in header):
            return None
        for extra in tables[1:]:
            report.error(
                extra.line, 1, f'"{section.heading.text}" has more than one field table: merge them'
            )
        return _table_fields(tables[0], lines, report)
    if lists:
        items = list_items(lists[0], lines)
        if not must and not (items and BULLET_RE.match(_paragraph(items[0]).text)):
            return None
        for extra in lists[1:]:
            report.error(
                extra.line, 1, f'"{section.heading.text}" has more than one field list: merge them'
            )
        return _bullet_fields(lists[0], lines, report)
    return None


def _column(header: str) -> str:
    return " ".join(header.lower().strip("`*_ ").split())


def _table_fields(block: Block, lines: list[str], report: Reporter) -> list[RawField]:
    table = read_table(block, lines)
    roles: dict[str, int] = {}
    for i, cell in enumerate(table.header.cells):
        role = COLUMNS.get(_column(cell.text))
        if role is None and not cell.text:
            report.at(
                cell, "a column has no name: the columns are field, type, constraints, description"
            )
        elif role is None:
            hint = did_you_mean(cell.text, ["field", "type", "constraints", "description"])
            report.at(
                cell,
                f'unknown column "{cell.text}"{hint}: the columns are field, type, constraints, description',
            )
        elif role in roles:
            report.at(cell, f'column "{cell.text}" appears twice')
        else:
            roles[role] = i
    for role in ("field", "type"):
        if role not in roles:
            report.error(
                table.line,
                1,
                f'the field table has no "{role}" column: the columns are field, type, constraints, description',
            )
    if "field" not in roles or "type" not in roles:
        return []
    if not table.rows:
        report.error(table.line, 1, "the field table has no rows: add one row per field")
    out: list[RawField] = []
    for row in table.rows:
        if len(row.cells) != len(table.header.cells):
            report.error(
                row.line,
                1,
                f"this row has {len(row.cells)} cells but the table has {len(table.header.cells)} columns",
            )
            continue
        cons = row.cells[roles["constraints"]] if "constraints" in roles else None
        desc = row.cells[roles["description"]].text if "description" in roles else ""
        out.append(
            RawField(
                name=row.cells[roles["field"]],
                type=row.cells[roles["type"]],
                constraints=None if cons is None or cons.text in EMPTY_CELLS else cons,
                description="" if desc in EMPTY_CELLS else desc,
            )
        )
    return out


def _bullet_fields(block: Block, lines: list[str], report: Reporter) -> list[RawField]:
    out: list[RawField] = []
    for item in list_items(block, lines):
        raw = _bullet_field(item, lines, report)
        if raw is not None:
            out.append(raw)
    return out


def _close_paren(s: str, start: int) -> int:
    depth, quote = 0, ""
    for i in range(start, len(s)):
        ch = s[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch == '"':
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _paragraph(item: ListItem) -> Text:
    """The item's first paragraph as one located text (soft line breaks become spaces)."""
    first = item.tokens[0] if item.tokens else None
    end = first.map[1] if first is not None and first.map else item.line
    parts = [t.strip() for t in item.source if t.line <= end]
    return Text.join(parts or item.source[:1])


def _bullet_field(item: ListItem, lines: list[str], report: Reporter) -> RawField | None:
    para = _paragraph(item)
    m = BULLET_RE.match(para.text)
    example = '"- weight_kg (number, > 0): Packed weight in kilograms"'
    if not m:
        report.at(para, f"write a field as {example}")
        return None
    open_at = para.text.index("(", m.start("name"))
    close_at = _close_paren(para.text, open_at)
    lines_in_item = [t.strip() for t in item.source]
    for more in range(2, len(lines_in_item) + 1):
        if close_at >= 0:
            break
        # a wrapped line starting with ">" or "-" reads as a quote or list: keep reading lines
        para = Text.join(lines_in_item[:more])
        close_at = _close_paren(para.text, open_at)
    if close_at < 0:
        report.at(
            para.sub(open_at), f'the type in parentheses is not closed: add ")", as in {example}'
        )
        return None
    desc = re.sub(r"^(?:[:—–]|-\s)\s*", "", para.text[close_at + 1 :].strip()).strip()
    children: list[RawField] | None = None
    for sub in item_blocks(item)[1:]:
        if sub.kind in ("bullet_list", "ordered_list"):
            children = (children or []) + _bullet_fields(sub, lines, report)
    return RawField(
        name=para.sub(m.start("name"), m.end("name")),
        type=para.sub(open_at + 1, close_at),
        description=desc,
        children=children,
    )


# ----------------------------------------------------------------------------- building


@dataclass(eq=False)
class ObjectSection:
    title: Text
    raws: list[RawField]
    used: bool = False
    built: ir.FieldType | None = None


@dataclass
class Objects:
    """Object-type sections by name; builds each once and detects types that contain themselves."""

    sections: list[ObjectSection]
    report: Reporter
    stack: list[ObjectSection] = field(default_factory=list)

    def names(self) -> list[str]:
        return [s.title.text for s in self.sections]

    def find(self, word: str) -> ObjectSection | None:
        forms = set(singular_forms(norm_name(word)))
        for section in self.sections:
            if forms & set(singular_forms(norm_name(section.title.text))):
                return section
        return None

    def build(self, section: ObjectSection, at: Text) -> ir.FieldType | None:
        section.used = True
        if section.built is not None:
            return section.built
        if any(s is section for s in self.stack):
            chain = " → ".join(s.title.text for s in [*self.stack, section])
            self.report.at(at, f'object type "{section.title.text}" contains itself ({chain})')
            return None
        self.stack.append(section)
        fields = build_fields(section.raws, self, self.report)
        self.stack.pop()
        section.built = ir.FieldType(kind="object", object_name=section.title.text, fields=fields)
        return section.built


@dataclass
class _Scope:
    """The ObjectTypes seen by one field: the shared sections plus the field's nested bullets."""

    objects: Objects
    children: list[RawField] | None

    def names(self) -> list[str]:
        return self.objects.names()

    def named(self, word: str, at: Text) -> ir.FieldType | None | bool:
        section = self.objects.find(word)
        return False if section is None else self.objects.build(section, at)

    def for_field(self, field_name: str, at: Text) -> ir.FieldType | None:
        if self.children is not None:
            fields = build_fields(self.children, self.objects, self.objects.report)
            title = field_name.replace("_", " ").capitalize()
            return ir.FieldType(kind="object", object_name=title, fields=fields)
        section = self.objects.find(field_name)
        if section is not None:
            return self.objects.build(section, at)
        title = field_name.replace("_", " ").capitalize()
        hint = did_you_mean(title, self.objects.names())
        self.objects.report.at(
            at,
            f'field "{field_name}" is an object but no section lists its fields{hint}: '
            f'add a "### {title}" section with a field table',
        )
        return None


def build_fields(raws: list[RawField], objects: Objects, report: Reporter) -> tuple[ir.Field, ...]:
    seen: dict[str, Text] = {}
    out: list[ir.Field] = []
    for raw in raws:
        where = raw.name.strip()
        name = where.text.strip("`*")
        ok = _check_name(name, where, report)
        if ok and name in seen:
            report.at(where, f'field "{name}" is defined twice (first on line {seen[name].line})')
            ok = False
        seen.setdefault(name, where)
        type_text, phrases = split_type_cell(raw.type)
        if raw.constraints is not None:
            phrases += split_outside_quotes(raw.constraints, ",;")
        base = parse_type(type_text, name, _Scope(objects, raw.children), report)
        if base is None:
            continue
        ftype, opts = apply_constraints(base, phrases, name, report)
        if ok:
            out.append(
                ir.Field(
                    name=name,
                    type=ftype,
                    required=opts.required,
                    has_default=opts.has_default,
                    default=opts.default,
                    description=raw.description,
                    sensitive=opts.sensitive,
                    loc=ir.Loc(line=where.line, col=where.col),
                )
            )
    return tuple(out)


def _check_name(name: str, where: Text, report: Reporter) -> bool:
    if not name:
        report.at(where, "a field has no name: write it in the first column")
        return False
    if not SNAKE_RE.match(name):
        fixed = snake_case(name) or "field_name"
        report.at(
            where,
            f'field name "{name}" must be snake_case (lowercase letters, digits and "_"), like "{fixed}"',
        )
        return False
    if name in RESERVED:
        report.at(
            where, f'field name "{name}" is a reserved word: choose another, like "{name}_value"'
        )
        return False
    return True
