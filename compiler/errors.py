"""The spec half of Specwright's exception tree: every class of it lives in this module.

Every error the project raises on purpose is a ``SpecwrightError``. Spec errors (a domain
expert's document is wrong) carry a file/line/col location and never reach an HTTP caller as a
traceback. The runtime half (``specwright.runtime.errors``) holds every class below
``RuntimeFailure`` and draws its own part of the tree; vendor SDK exceptions are mapped into it
exactly once, in the provider adapter that called the SDK.

::

    SpecwrightError                    root of every error Specwright raises on purpose
    ├── SpecError                      a spec does not compile (carries every Diagnostic)
    │   ├── ConfigError                specwright.toml / [tool.specwright] is wrong
    │   └── RevisionReadError          (runtime half) a revision on disk is unreadable
    ├── TableError                     a decision table cannot decide this input
    │   ├── TableNoMatch                   no row matches and the table decides a required field
    │   └── TableConflict                  several rows of a unique/any table disagree
    └── RuntimeFailure                 (runtime half) status + type for the JSON error body

    Signals the compiler raises and catches itself (they never reach a user):

    ValueError
    ├── FeelError                      a table cell does not parse or fit its field
    │   ├── ResultExprError                a computed result cell (= ...), with its offset
    │   └── DerivedError                   a derived expression is wrong, at an offset in it
    └── NotAnalysable                  a condition outside what the exact analysis reads
    Exception
    └── ExampleValueInvalid            a JSON/YAML value an example cannot use

The compiler never imports the runtime.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One located message about a spec, printed compiler-style."""

    file: str
    line: int
    col: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "severity": self.severity,
            "message": self.message,
        }


class SpecwrightError(Exception):
    """Root of every error Specwright raises on purpose."""


class SpecError(SpecwrightError):
    """A spec (or several) failed to compile. Holds every diagnostic, not just the first."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class ConfigError(SpecError):
    """Project configuration (specwright.toml or [tool.specwright]) is invalid."""


class TableError(SpecwrightError):
    """A decision table could not decide for this input."""

    def __init__(self, message: str, table: str, line: int, rows: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.table = table
        self.line = line
        self.rows = rows


class TableNoMatch(TableError):
    """No row matches, and the table decides a required output field."""


class TableConflict(TableError):
    """A ``unique`` table matched several rows, or an ``any`` table's matches disagree."""


class FeelError(ValueError):
    """A cell that does not parse or does not fit its field; ``str(exc)`` is the message."""


class ResultExprError(FeelError):
    """A computed result cell (``= ...``) that does not parse or type; ``offset`` locates it
    within the expression after ``=``."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


class DerivedError(FeelError):
    """A derived expression (``## Derived``, a computed column) that does not parse or type;
    ``offset`` is the character of the expression it is about."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


class NotAnalysable(ValueError):
    """A construct outside the exactly analysed subset; ``str(exc)`` names it for the expert."""


class ExampleValueInvalid(Exception):
    """A JSON value that cannot be an example value (NaN, duplicate key...)."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ' (did you mean "x"?)' for the closest choice, or '' when nothing is close."""
    matches = difflib.get_close_matches(word.lower(), [c.lower() for c in choices], n=1, cutoff=0.6)
    if not matches:
        return ""
    by_lower = {c.lower(): c for c in choices}
    return f' (did you mean "{by_lower[matches[0]]}"?)'
