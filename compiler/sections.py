"""Markdown structure: the document's headings, sections and top-level blocks, with locations.

The body is parsed with markdown-it-py (CommonMark + GFM tables). Sections are built from
top-level headings: ``##`` headings are the spec's sections, deeper headings nest under the
nearest shallower one. Only *top-level* blocks count (a table inside a list item is not a table
of the section). Table cells and list items are located by re-reading their source lines, since
markdown-it keeps line maps but not columns.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from specwright.compiler.report import Text

LIST_MARKER_RE = re.compile(r"^(\s*)([-*+]|\d{1,9}[.)])([ \t]+|$)")
SEPARATOR_RE = re.compile(r"(?<!\\)\|")  # a table row's cell separator: an unescaped pipe


def normalize_newlines(text: str) -> str:
    """Do markdown-it's own input normalisation up front so our line numbers match its maps."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
    return text[1:] if text.startswith("\ufeff") else text


@dataclass
class Block:
    """One top-level block: its tokens from open to close, and its 0-based line range."""

    kind: str  # "table", "bullet_list", "ordered_list", "paragraph", "fence", ...
    tokens: list[Token]
    start: int  # 0-based first line
    end: int  # 0-based line after the block

    @property
    def line(self) -> int:
        return self.start + 1


@dataclass
class Section:
    heading: Text  # the heading's text, located at its first character
    level: int
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)

    def all_blocks(self) -> list[Block]:
        """Own blocks, then every subsection's, in document order."""
        out = list(self.blocks)
        for child in self.children:
            out.extend(child.all_blocks())
        return out


@dataclass
class Document:
    lines: list[str]
    title: Text | None = None
    extra_titles: list[Text] = field(default_factory=list)  # further ``#`` headings
    description: str = ""
    sections: list[Section] = field(default_factory=list)  # the ``##`` sections


def _group_blocks(tokens: list[Token]) -> list[Block]:
    blocks: list[Block] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        j = i
        if tok.nesting == 1:
            depth = 0
            while j < len(tokens):
                depth += tokens[j].nesting
                if depth == 0:
                    break
                j += 1
        start, end = tok.map if tok.map else (0, 0)
        kind = tok.type.removesuffix("_open")
        blocks.append(Block(kind, tokens[i : j + 1], start, end))
        i = j + 1
    return blocks


def heading_text(lines: list[str], start: int, content: str) -> Text:
    """Locate a heading's text in its source line (ATX or setext)."""
    line = lines[start] if start < len(lines) else ""
    content = " ".join(content.split())
    idx = line.find(content) if content else -1
    if idx < 0:
        idx = len(line) - len(line.lstrip().lstrip("#").lstrip())
    return Text(content, start + 1, idx + 1)


@functools.cache
def block_parser() -> MarkdownIt:
    """CommonMark + GFM tables, block level only; built once (it is never mutated after).

    The core ``inline`` rule (and ``text_join``, which only rewrites what it produces) is off:
    it would parse every paragraph, heading and cell into child tokens (emphasis, links, code
    spans), which nothing here reads. Block tokens, their ``content`` and line maps do not
    depend on it (link reference definitions are read by the block rule ``reference``), so the
    token stream we use is the same, for about a third of the parse time.
    """
    return MarkdownIt("commonmark").enable("table").disable(["inline", "text_join"])


def parse_document(body: str) -> Document:
    """Parse the markdown body (front matter already blanked out) into sections."""
    lines = body.split("\n")
    blocks = _group_blocks(block_parser().parse(body))
    doc = Document(lines=lines)
    stack: list[Section] = []
    preamble: list[Block] = []
    for block in blocks:
        if block.kind == "heading":
            level = int(block.tokens[0].tag[1:])
            text = heading_text(lines, block.start, block.tokens[1].content)
            if level == 1:
                if doc.title is None and not doc.sections:
                    doc.title = text
                    continue
                doc.extra_titles.append(text)
                continue
            if level >= 3 and not stack:
                preamble.append(block)
                continue
            section = Section(text, level)
            while stack and stack[-1].level >= level:
                stack.pop()
            if stack:
                stack[-1].children.append(section)
            else:
                doc.sections.append(section)
            stack.append(section)
        elif stack:
            stack[-1].blocks.append(block)
        else:
            preamble.append(block)
    doc.description = _description(lines, blocks, doc)
    return doc


def _description(lines: list[str], blocks: list[Block], doc: Document) -> str:
    end = len(lines)
    for block in blocks:
        if block.kind == "heading" and block.tokens[0].tag == "h2":
            end = block.start
            break
    skip: set[int] = set()
    if doc.title is not None:
        for block in blocks:
            if block.kind == "heading" and block.line == doc.title.line:
                skip.update(range(block.start, block.end))
    kept = [lines[i] for i in range(end) if i not in skip]
    return "\n".join(line.rstrip() for line in kept).strip()


# ----------------------------------------------------------------------------- tables


@dataclass
class TableRow:
    line: int  # 1-based
    cells: list[Text]


@dataclass
class Table:
    header: TableRow
    rows: list[TableRow]
    line: int


def split_row(source_line: str, line_no: int) -> list[Text]:
    """Split one table row's source line into located cells, as markdown-it does.

    Unescaped ``|`` separate cells, ``\\|`` is a literal pipe, a leading and a trailing pipe
    are dropped. A cell's column is that of its first non-blank character (or of the character
    after its pipe when empty).
    """
    lead = len(source_line) - len(source_line.lstrip())
    s = source_line.strip()
    # A pipe is a separator unless the character before it is a backslash (even an escaped
    # one, as markdown-it reads it); in a cell, "\\|" stands for "|".
    cells: list[tuple[str, int]] = []
    cell_start = 0
    for m in SEPARATOR_RE.finditer(s):
        cells.append((s[cell_start : m.start()].replace("\\|", "|"), cell_start))
        cell_start = m.end()
    cells.append((s[cell_start:].replace("\\|", "|"), cell_start))
    if cells and cells[0][0] == "":
        cells.pop(0)
    if cells and cells[-1][0] == "":
        cells.pop()
    out: list[Text] = []
    for raw, offset in cells:
        pad = len(raw) - len(raw.lstrip())
        out.append(Text(raw.strip(), line_no, lead + offset + pad + 1))
    return out


def read_table(block: Block, lines: list[str]) -> Table:
    rows: list[TableRow] = []
    for tok in block.tokens:
        if tok.type == "tr_open" and tok.map:
            line_no = tok.map[0]
            source = lines[line_no] if line_no < len(lines) else ""
            rows.append(TableRow(line_no + 1, split_row(source, line_no + 1)))
    if not rows:  # cannot happen for a table block; keep the type total
        rows = [TableRow(block.line, [])]
    return Table(rows[0], rows[1:], block.line)


# ----------------------------------------------------------------------------- lists


@dataclass
class ListItem:
    line: int  # 1-based line of the marker
    col: int  # column of the item's first content character
    tokens: list[Token]  # the item's inner tokens (between list_item_open and _close)
    source: list[Text]  # the item's source lines, marker removed, dedented

    @property
    def inline(self) -> str:
        """The first paragraph's inline text, soft line breaks as spaces."""
        for tok in self.tokens:
            if tok.type == "inline":
                return " ".join(part.strip() for part in tok.content.split("\n"))
        return ""

    @property
    def is_simple(self) -> bool:
        """Only one paragraph (no nested list, code block...)."""
        if not self.tokens:
            return True
        base = self.tokens[0].level
        return sum(1 for t in self.tokens if t.level == base and t.nesting >= 0) == 1


def list_items(block: Block, lines: list[str]) -> list[ListItem]:
    items: list[ListItem] = []
    depth_of_items = block.tokens[0].level + 1
    current: list[Token] | None = None
    opener: Token | None = None
    for tok in block.tokens[1:-1]:
        if tok.type == "list_item_open" and tok.level == depth_of_items:
            current, opener = [], tok
        elif tok.type == "list_item_close" and tok.level == depth_of_items:
            if opener is not None and current is not None:
                items.append(_make_item(opener, current, lines))
            current = opener = None
        elif current is not None:
            current.append(tok)
    return items


def _make_item(opener: Token, inner: list[Token], lines: list[str]) -> ListItem:
    start, end = opener.map if opener.map else (0, 1)
    first = lines[start] if start < len(lines) else ""
    m = LIST_MARKER_RE.match(first)
    content_col = len(m.group(0)) if m else len(first) - len(first.lstrip())
    source = [Text(first[content_col:], start + 1, content_col + 1)]
    for n in range(start + 1, min(end, len(lines))):
        raw = lines[n]
        cut = min(content_col, len(raw) - len(raw.lstrip(" ")))
        source.append(Text(raw[cut:], n + 1, cut + 1))
    while len(source) > 1 and not source[-1].text.strip():
        source.pop()
    return ListItem(start + 1, content_col + 1, inner, source)


def item_blocks(item: ListItem) -> list[Block]:
    """The blocks inside a list item (its paragraph, nested lists, ...)."""
    return _group_blocks(item.tokens)
