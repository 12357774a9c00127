"""Specwright's one exception tree.

Every error the project raises on purpose is a ``SpecwrightError``. Spec errors (a domain
expert's document is wrong) carry a file/line/col location and never reach an HTTP caller as a
traceback; runtime errors (serving, models, routing, guardrails) carry an HTTP status and a stable
``type`` string for the JSON error body. Vendor SDK exceptions are mapped into this tree exactly
once, in the provider adapter that called the SDK.

::

    SpecwrightError
    ├── SpecError                      a spec does not compile (carries Diagnostics)
    │   └── ConfigError                specwright.toml / [tool.specwright] is wrong
    └── RuntimeFailure                 (runtime/errors.py) status + type for the JSON body
        ├── NotFound                   404  unknown spec, major or revision
        ├── InputInvalid               422  request body fails the Input model
        ├── PayloadTooLarge            413
        ├── Unauthorized / Forbidden   401 / 403
        ├── GuardrailViolation         422  still violated after repair
        ├── ProviderError              a model call failed (mapped from a vendor SDK)
        │   ├── RetryableProviderError     429, 5xx, timeout, connection reset
        │   │   ├── RateLimited            429, with retry_after
        │   │   └── MalformedResponse      2xx with a cut-off/garbled body or missing fields
        │   └── FatalProviderError         400, 401, 403
        │       └── ContextTooLong         prompt does not fit the model's window
        ├── OutputInvalid              model answer failed parsing/validation
        ├── ModelNotConfigured         503  missing key / unknown provider, names the fix
        ├── RoutingExhausted           502  every model of the route failed
        └── ReplayMiss                 a cassette has no recording for a request

The compiler never imports the runtime; ``RuntimeFailure`` and below live in
``runtime/errors.py`` and subclass ``SpecwrightError`` from here.
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


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ' (did you mean "x"?)' for the closest choice, or '' when nothing is close."""
    matches = difflib.get_close_matches(word.lower(), [c.lower() for c in choices], n=1, cutoff=0.6)
    if not matches:
        return ""
    by_lower = {c.lower(): c for c in choices}
    return f' (did you mean "{by_lower[matches[0]]}"?)'
