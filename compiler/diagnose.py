"""Collecting located diagnostics during the semantic passes (``check.py`` and its helpers)."""

from __future__ import annotations

from compiler.errors import Diagnostic, SpecError
from compiler.ir import Loc


class Reporter:
    """Collects every diagnostic of one spec; ``raise_if_errors`` raises them all at once."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.diagnostics: list[Diagnostic] = []

    def error(self, loc: Loc, message: str, *, offset: int = 0) -> None:
        """Report ``message`` at ``loc``, ``offset`` characters to its right."""
        self.diagnostics.append(Diagnostic(self.source, loc.line, loc.col + offset, message))

    def error_at(self, line: int, col: int, message: str) -> None:
        self.diagnostics.append(Diagnostic(self.source, line, col, message))

    @property
    def count(self) -> int:
        return len(self.diagnostics)

    def raise_if_errors(self) -> None:
        errors = [d for d in self.diagnostics if d.severity == "error"]
        if errors:
            ordered = sorted(set(self.diagnostics), key=lambda d: (d.line, d.col, d.message))
            raise SpecError(ordered)
