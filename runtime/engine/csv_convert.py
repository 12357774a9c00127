"""One CSV cell as the value of a spec Input field, by the field's type.

Strict on purpose: a number is ``1234.5`` or ``-3`` and nothing else. ``1,234`` could be a
thousand or one and a quarter, so no thousands separator or decimal comma is guessed (a past
bug read a decimal comma as another rule). A cell that does not convert is passed on as its
original text, so the spec's own validation answers it as a located 422 for that line (the
line is logged, the batch goes on). ``None`` means the field is absent (an empty cell).

Pure: no I/O.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from specwright.compiler.ir import FieldType

__all__ = ["FALSE_WORDS", "PLAIN_NUMBER", "TRUE_WORDS", "convert_cell", "plain_number"]

PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
TRUE_WORDS = frozenset({"yes", "true", "y", "1"})
FALSE_WORDS = frozenset({"no", "false", "n", "0"})


def plain_number(cell: str) -> int | float | None:
    """``-3`` -> -3, ``1234.5`` -> 1234.5; anything else (``1,234``, ``1.5e3``, `` 7``) None."""
    if not PLAIN_NUMBER.fullmatch(cell):
        return None
    return float(cell) if "." in cell else int(cell)


def convert_cell(cell: str, ft: FieldType, date_format: str | None = None) -> Any:
    """The JSON value of ``cell`` for a field of type ``ft``; None for an empty cell."""
    if cell == "":
        return None
    kind = ft.kind
    if kind in ("integer", "number", "money"):
        number = plain_number(cell)
        if number is None:
            return cell
        if kind == "integer" and isinstance(number, float) and number.is_integer():
            return int(number)  # 5.0 is a whole number, as in JSON Schema
        return number
    if kind == "boolean":
        word = cell.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        return cell
    if kind == "date" and date_format is not None:
        try:
            return datetime.strptime(cell, date_format).date().isoformat()
        except ValueError:
            return cell
    return cell  # text, one of, ISO dates, date and time, time, duration: as written
