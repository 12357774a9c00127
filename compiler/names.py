"""Identifiers derived from spec text (file and function names of generated code).

Kept apart from ``specwright.compiler.testgen`` (which needs the CEL scanner) so that naming a revision's
files, which ``specwright compile --check`` does for every spec, imports nothing heavy.
"""

from __future__ import annotations

import re
import unicodedata

NON_IDENTIFIER_RE = re.compile(r"[^0-9a-z]+")


def identifier(text: str, fallback: str) -> str:
    """``Hawaii, four days`` -> ``hawaii_four_days`` (ASCII, lower case, never empty)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    ident = NON_IDENTIFIER_RE.sub("_", ascii_text.lower()).strip("_")
    if not ident:
        return fallback
    return f"_{ident}" if ident[0].isdigit() else ident
