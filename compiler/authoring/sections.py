"""Editing a spec's text in place: prose Input/Output sections rewritten as field tables, and
examples appended under ``## Examples``. Everything outside the edit stays byte-identical
(line endings included); new lines use the file's own line ending.

A section is *prose* when it has text but no field table and no field bullet list: the compiler
would say it has no fields. ``specwright infer`` keeps the prose (for review) and inserts the
field table after it, and any object type sections as ``###`` subsections after the table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from specwright.compiler.authoring.draft_model import DraftField, DraftObject
from specwright.compiler.authoring.render import field_table, object_sections
from specwright.compiler.fields import BULLET_RE
from specwright.compiler.frontmatter import read_front_matter, split_front_matter
from specwright.compiler.ir import Route
from specwright.compiler.report import Reporter
from specwright.compiler.sections import Section, list_items, normalize_newlines, parse_document

__all__ = [
    "ProseSection", "SpecLayout", "append_to_examples", "prose_sections", "rewrite_prose",
    "spec_route",
]

_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class ProseSection:
    name: str  # "Input" or "Output"
    heading_line: int  # 1-based
    insert_at: int  # 0-based line index where the table goes (after the section's own blocks)
    prose: str


class SpecLayout:
    """The raw lines of a spec (each with its own line ending) and its ``##`` sections."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _split_keep_ends(text)
        self.newline = _newline(text)
        normalized = normalize_newlines(text)
        _, _, body = split_front_matter(normalized, Reporter("spec"))
        self.document = parse_document(body)
        self.sections: list[Section] = self.document.sections

    def section(self, key: str) -> Section | None:
        for section in self.sections:
            if " ".join(section.heading.text.lower().split()).strip(" :") == key:
                return section
        return None

    def end_of(self, section: Section) -> int:
        """0-based index of the line after the section (the next ``##`` heading, or the end)."""
        later = [s.heading.line - 1 for s in self.sections if s.heading.line > section.heading.line]
        return min(later) if later else len(self.lines)

    def insert(self, at: int, new_lines: Sequence[str]) -> str:
        """The text with ``new_lines`` inserted before raw line ``at`` (0-based)."""
        head = self.lines[:at]
        if head and not _has_end(head[-1]):
            head[-1] += self.newline
        added = [line + self.newline for line in new_lines]
        return "".join([*head, *added, *self.lines[at:]])


def spec_route(text: str) -> Route:
    """The route of a spec's front matter (empty when it names no models or cannot be read),
    read without compiling the rest: a spec with prose sections does not compile yet."""
    report = Reporter("spec")
    yaml_text, first_line, _ = split_front_matter(normalize_newlines(text), report)
    if yaml_text is None:
        return Route()
    return read_front_matter(yaml_text, first_line, "spec", report).route


def prose_sections(text: str) -> list[ProseSection]:
    """The ``## Input`` / ``## Output`` sections written as prose, in document order."""
    layout = SpecLayout(text)
    out: list[ProseSection] = []
    for key, name in (("input", "Input"), ("output", "Output")):
        section = layout.section(key)
        if section is None or not section.blocks or _has_fields(section, layout):
            continue
        last = max(b.end for b in section.blocks)
        prose = "\n".join(layout.document.lines[section.heading.line : last]).strip()
        out.append(ProseSection(name, section.heading.line, last, prose))
    return sorted(out, key=lambda s: s.heading_line)


def _has_fields(section: Section, layout: SpecLayout) -> bool:
    for block in section.blocks:
        if block.kind == "table":
            return True
        if block.kind in ("bullet_list", "ordered_list"):
            items = list_items(block, layout.document.lines)
            first = items[0].inline if items else ""
            if BULLET_RE.match(first):
                return True
    return False


def rewrite_prose(
    text: str,
    fields: Mapping[str, Sequence[DraftField]],
    objects: Sequence[DraftObject] = (),
) -> str:
    """``text`` with a field table after the prose of each prose section named in ``fields``
    (``"Input"``, ``"Output"``). Object types go under the first section rewritten."""
    sections = [s for s in prose_sections(text) if s.name in fields]
    remaining = list(objects)
    plans: list[tuple[int, list[str]]] = []
    for section in sections:
        block = ["", *field_table(fields[section.name])]
        if remaining:
            block += ["", *object_sections(remaining, level=3)]
            while block[-1] == "":
                block.pop()
            remaining = []
        plans.append((section.insert_at, block))
    for at, block in sorted(plans, reverse=True):  # bottom first: earlier indexes stay valid
        text = SpecLayout(text).insert(at, block)
    return text


def append_to_examples(text: str, blocks: Sequence[Sequence[str]]) -> str:
    """``text`` with each block of lines appended at the end of ``## Examples`` (the section is
    added at the end of the file when missing). A blank line goes before each block."""
    layout = SpecLayout(text)
    section = layout.section("examples")
    new: list[str] = [] if section is not None else ["", "## Examples"]
    for block in blocks:
        new += ["", *block]
    if section is None:
        return _at_end(layout, new)
    end = layout.end_of(section)
    while end > section.heading.line and not layout.lines[end - 1].strip():
        end -= 1
    if end == len(layout.lines):
        return _at_end(layout, new)
    gap = [""] if layout.lines[end].strip() else []
    return layout.insert(end, [*new, *gap])


def _at_end(layout: SpecLayout, new: list[str]) -> str:
    lines = list(layout.lines)
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and not _has_end(lines[-1]):
        lines[-1] += layout.newline
    return "".join(lines) + "".join(line + layout.newline for line in new)


def _split_keep_ends(text: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _LINE_END.finditer(text):
        out.append(text[start : m.end()])
        start = m.end()
    if start < len(text):
        out.append(text[start:])
    return out


def _has_end(line: str) -> bool:
    return line.endswith(("\n", "\r"))


def _newline(text: str) -> str:
    m = _LINE_END.search(text)
    return m.group(0) if m else "\n"
