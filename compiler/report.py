"""Located text and the diagnostics collector shared by the front-end modules.

``Text`` is a piece of the spec with the 1-based line and column of its first character, so
every helper that slices a cell or a phrase can report at the exact spot. ``Reporter`` collects
diagnostics for one ``parse_spec`` call (one instance per call: no global state).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from specwright.compiler.errors import Diagnostic, SpecError
from specwright.compiler.ir import Loc

SNAKE_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Text:
    """A piece of source text and where it starts.

    Usually one line. Text joined from several lines (``Text.join``) keeps where each later
    line starts in ``breaks`` (offset in ``text``, line, col) so slices stay exactly located.
    """

    text: str
    line: int
    col: int
    breaks: tuple[tuple[int, int, int], ...] = ()

    def sub(self, start: int, end: int | None = None) -> Text:
        """The slice ``text[start:end]`` with its own line and column."""
        start = max(0, min(start, len(self.text)))
        line, col = self.line, self.col + start
        later: list[tuple[int, int, int]] = []
        for offset, b_line, b_col in self.breaks:
            if offset <= start:
                line, col = b_line, b_col + (start - offset)
            elif end is None or offset < end:
                later.append((offset - start, b_line, b_col))
        return Text(self.text[start:end], line, col, tuple(later))

    def strip(self) -> Text:
        """The text without surrounding whitespace, located at the first kept character."""
        lead = len(self.text) - len(self.text.lstrip())
        return self.sub(lead, lead + len(self.text.strip()))

    @staticmethod
    def join(parts: list[Text], sep: str = " ") -> Text:
        """Lines joined with ``sep``, each keeping its own location."""
        if not parts:
            return Text("", 1, 1)
        text = parts[0].text
        breaks = list(parts[0].breaks)
        for part in parts[1:]:
            text += sep
            breaks.append((len(text), part.line, part.col))
            breaks.extend((len(text) + o, ln, c) for o, ln, c in part.breaks)
            text += part.text
        return Text(text, parts[0].line, parts[0].col, tuple(breaks))


@dataclass
class Reporter:
    """Collects every diagnostic of one parse or check; ``raise_if_any`` raises them all at once.

    One instance per ``parse_spec`` / ``check_spec`` call: no global state.
    """

    source: str
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def error(self, line: int, col: int, message: str) -> None:
        self.diagnostics.append(Diagnostic(self.source, max(1, line), max(1, col), message))

    def at(self, where: Text, message: str) -> None:
        self.error(where.line, where.col, message)

    def at_loc(self, loc: Loc, message: str, *, offset: int = 0) -> None:
        """Report ``message`` at an IR location, ``offset`` characters to its right."""
        self.error(loc.line, loc.col + offset, message)

    def warn(self, loc: Loc, message: str) -> None:
        """A warning: shown, but the spec still compiles."""
        self.diagnostics.append(
            Diagnostic(self.source, max(1, loc.line), max(1, loc.col), message, "warning")
        )

    @property
    def count(self) -> int:
        """The number of errors (warnings do not stop a pass)."""
        return sum(1 for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(sorted(
            {d for d in self.diagnostics if d.severity == "warning"},
            key=lambda d: (d.line, d.col, d.message),
        ))

    def raise_if_any(self) -> None:
        """Raise every diagnostic (warnings included) when there is an error."""
        if self.count:
            # The same problem can be found by two passes (e.g. a cell checked per row and per
            # column): report it once.
            ordered = sorted(set(self.diagnostics), key=lambda d: (d.line, d.col, d.message))
            raise SpecError(ordered)


def snake_case(name: str) -> str:
    """Best-effort snake_case spelling of a field name, for "did you mean" fixes."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    s = re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").lower()
    if s and s[0].isdigit():
        s = "field_" + s
    return s


def unquote(value: str) -> str:
    """Strip one pair of matching double or single quotes."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def split_outside_quotes(text: Text, separators: str) -> list[Text]:
    """Split on any of ``separators`` outside "double quotes" and /regex/ after ``pattern``.

    Each piece is stripped (its column follows); empty pieces are dropped.
    """
    pieces: list[Text] = []
    start = 0
    quote = ""
    in_regex = False
    i = 0
    s = text.text
    while i < len(s):
        ch = s[i]
        if in_regex:
            if ch == "\\":
                i += 1
            elif ch == "/":
                in_regex = False
        elif quote:
            if ch == quote:
                quote = ""
        elif ch == '"':
            quote = ch
        elif ch == "/" and s[start:i].strip().lower().startswith("pattern"):
            in_regex = True
        elif ch in separators:
            pieces.append(text.sub(start, i).strip())
            start = i + 1
        i += 1
    pieces.append(text.sub(start).strip())
    return [p for p in pieces if p.text]
