"""The type phrases a domain expert writes in a field's type cell.

Grammar (case-insensitive, extra spaces ignored)::

    type      := builtin | "one of" [":"] value ("," value)* | "list of" type | object-name
    builtin   := text | integer | number | money | yes/no | boolean | bool | date | datetime
               | date and time | object

``object`` takes its fields from a section named after the field; any other word must name an
object-type section (``## Location``), matched case-insensitively and singular/plural tolerant.
Constraints may follow the type after a comma (``text, max 200 characters``); for ``one of``
the values use the commas, so its constraints follow a semicolon (``one of: a, b; optional``).
"""

from __future__ import annotations

import re
from typing import Protocol

from specwright.compiler import ir
from specwright.compiler.errors import did_you_mean
from specwright.compiler.report import Reporter, Text, split_outside_quotes, unquote

BUILTIN: dict[str, ir.TypeKind] = {
    "text": "text",
    "integer": "integer",
    "number": "number",
    "money": "money",
    "yes/no": "boolean",
    "boolean": "boolean",
    "bool": "boolean",
    "date": "date",
    "datetime": "datetime",
    "date and time": "datetime",
    "time": "time",
    "time of day": "time",
    "object": "object",
}
TYPE_WORDS = (
    "text", "integer", "number", "money", "yes/no", "boolean", "date", "datetime", "time",
)
TYPE_WORDS_ALL = (*TYPE_WORDS, "object", "one of", "list of")
KIND_NAMES: dict[str, str] = {"boolean": "yes/no", "enum": "one of", "list": "list"}
ENUM_RE = re.compile(r"one\s+of\b\s*:?\s*", re.IGNORECASE)
ENUM_START_RE = re.compile(r"^(?:list\s+of\s+)*one\s+of\b", re.IGNORECASE)
LIST_RE = re.compile(r"list\s+of\b\s*", re.IGNORECASE)


class ObjectTypes(Protocol):
    """Resolves object type names to their fields (implemented in ``specwright.compiler.fields``)."""

    def names(self) -> list[str]:
        """Every object type name, for "did you mean"."""
        ...

    def named(self, word: str, at: Text) -> ir.FieldType | None | bool:
        """The object type called ``word``; False when there is none; None when it is broken."""
        ...

    def for_field(self, field_name: str, at: Text) -> ir.FieldType | None:
        """The fields of the ``object`` field ``field_name`` (a sub-section or nested list)."""
        ...


def kind_name(kind: str) -> str:
    """How a type kind is spelt to a domain expert."""
    return KIND_NAMES.get(kind, kind)


def normalize_word(text: str) -> str:
    word = " ".join(text.lower().replace("`", " ").split())
    return re.sub(r"\s*/\s*", "/", word)


def singular_forms(word: str) -> list[str]:
    forms = [word]
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("s"):
        forms.append(word[:-1])
    return forms


def split_type_cell(cell: Text) -> tuple[Text, list[Text]]:
    """Split a type cell into the type phrase and the constraint phrases after it."""
    cell = cell.strip()
    if ENUM_START_RE.match(cell.text):
        parts = split_outside_quotes(cell, ";")
        rest = [p for piece in parts[1:] for p in split_outside_quotes(piece, ",;")]
        return (parts[0] if parts else cell), rest
    parts = split_outside_quotes(cell, ",;")
    return (parts[0] if parts else cell), parts[1:]


def parse_type(
    phrase: Text, field_name: str, objects: ObjectTypes, report: Reporter
) -> ir.FieldType | None:
    """The FieldType (without constraints) a type phrase names, or None after reporting."""
    phrase = phrase.strip()
    word = normalize_word(phrase.text)
    if not word:
        report.at(
            phrase,
            f'field "{field_name}" has no type: write one of {", ".join(TYPE_WORDS)}, '
            '"one of: a, b", "list of <type>" or an object type',
        )
        return None
    m = LIST_RE.match(phrase.text)
    if m:
        inner = phrase.sub(m.end()).strip()
        if not inner.text:
            report.at(phrase, '"list of" needs the type of its items, like "list of text"')
            return None
        items = parse_type(inner, field_name, objects, report)
        return ir.FieldType(kind="list", items=items) if items is not None else None
    if word == "list":
        report.at(phrase, '"list" needs the type of its items: write "list of text"')
        return None
    m = ENUM_RE.match(phrase.text)
    if m:
        return _enum(phrase, phrase.sub(m.end()), report)
    for form in singular_forms(word):
        if form in BUILTIN:
            kind = BUILTIN[form]
            if kind == "object":
                return objects.for_field(field_name, phrase)
            return ir.FieldType(kind=kind)
    found = objects.named(word, phrase)
    if found is not False:
        return found if isinstance(found, ir.FieldType) else None
    hint = did_you_mean(word, [*TYPE_WORDS_ALL, *objects.names()])
    report.at(phrase, f'unknown type "{phrase.text}"{hint}')
    return None


def _enum(phrase: Text, values_text: Text, report: Reporter) -> ir.FieldType | None:
    values: list[str] = []
    ok = True
    for piece in split_outside_quotes(values_text, ","):
        value = unquote(piece.text).strip()
        if not value:
            report.at(piece, 'an empty value in a "one of" list: remove it or write it in quotes')
            ok = False
        elif re.match(
            r"(?:default\s|optional$|sensitive$)", value, re.IGNORECASE
        ) and not piece.text.startswith('"'):
            report.at(
                piece,
                f'"{value}" looks like a constraint, not a value: in a "one of" type, put constraints '
                'after a semicolon, like "one of: ground, express; default ground"',
            )
            ok = False
        elif value in values:
            report.at(piece, f'value "{value}" is listed twice')
            ok = False
        else:
            values.append(value)
    if not values:
        report.at(phrase, '"one of" needs its values: write "one of: ground, express, overnight"')
        return None
    return ir.FieldType(kind="enum", values=tuple(values)) if ok else None
