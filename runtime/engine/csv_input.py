"""A CSV file as the lines of ``specwright run``: its rows, numbered by the file line each starts on.

Read with the stdlib ``csv`` module (quoted commas, quoted line breaks, ``""`` escapes), as
UTF-8 with or without a byte-order mark. The first non-blank row is the header. A row is
identified by the line of the file it starts on: the number a spreadsheet shows for it when no
cell holds a line break, and what the result lines, the log's problems and resume use.

The whole file is checked before any row runs (``scan``): bytes that are not UTF-8, a quote
the ``csv`` module cannot read, a row with more or fewer cells than the header are each a
``file:LINE: ...`` error that says how to fix the file. A file that fails half-way through a
batch would leave the rows after it unrun, with nothing to resume.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from specwright.runtime.engine.csv_columns import ColumnMapping
from specwright.runtime.errors import InputFileError

__all__ = ["CsvFile", "csv_rows", "scan"]

_BOM = "\ufeff"


def _text_lines(path: Path, shown: str) -> Iterator[str]:
    """The file's lines decoded as UTF-8 (a leading BOM dropped); bad bytes are located."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, 1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                col = len(raw[:exc.start].decode("utf-8", "replace")) + 1
                raise InputFileError(
                    f"{shown}:{number}:{col}: byte 0x{raw[exc.start]:02x} is not UTF-8: save "
                    "the file as UTF-8 (CSV UTF-8 in a spreadsheet's Save As)") from None
            if number == 1 and text.startswith(_BOM):
                text = text[1:]
            yield text


def csv_rows(path: Path, shown: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """(line the row starts on, its cells) of every non-blank row, the header first."""
    shown = shown or str(path)
    reader = csv.reader(_text_lines(path, shown), strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputFileError(f"{shown}:{start}: {exc}: put a cell that holds a quote, a "
                                 'comma or a line break in double quotes, with "" for each '
                                 "quote inside") from None
        line, start = start, reader.line_num + 1
        if any(cells):
            yield line, cells


@dataclass(frozen=True, slots=True)
class CsvFile:
    """A checked CSV file: its header and how many rows follow it."""

    path: Path
    headers: tuple[str, ...]
    rows: int

    def lines(self, mapping: ColumnMapping) -> Iterator[tuple[int, str]]:
        """(row's line, the row's input object as JSON text) of every row after the header."""
        rows = csv_rows(self.path)
        next(rows, None)
        for line, cells in rows:
            yield line, json.dumps(mapping.row(cells), ensure_ascii=False)


def scan(path: Path) -> CsvFile:
    """Read the whole file once: the header, every row the header's width, the row count."""
    shown = str(path)
    rows = csv_rows(path, shown)
    first = next(rows, None)
    if first is None:
        raise InputFileError(f"{shown}:1: the file is empty: the first line must be the header")
    headers = tuple(first[1])
    count = 0
    for line, cells in rows:
        if len(cells) != len(headers):
            raise InputFileError(
                f"{shown}:{line}: {len(cells)} cells where the header has {len(headers)}: "
                'put a cell that holds a comma in double quotes ("a, b")')
        count += 1
    return CsvFile(path, headers, count)
