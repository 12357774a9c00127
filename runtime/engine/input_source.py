"""The lines of a ``specwright run`` input file, JSON lines or CSV, as ``(line, JSON text)``.

JSON lines stay the default; a ``.csv`` file (or ``format="csv"``) is read by ``csv_input`` and
its columns mapped onto the spec's Input by ``csv_columns``. Either way every line is a
number and the text of one input object, so the batch, its resume and ``--batch-api`` treat
both alike. ``variant`` is part of the resume job's identity: the same CSV file mapped another
way is another job (its row numbers mean other inputs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from specwright.compiler.ir import Field
from specwright.runtime.engine.csv_columns import map_columns
from specwright.runtime.engine.csv_input import scan

__all__ = ["Format", "InputOptions", "InputSource", "count_input", "input_format", "input_lines",
           "open_source"]

Format = Literal["jsonl", "csv"]


@dataclass(frozen=True, slots=True)
class InputOptions:
    """How to read the input file: its format (None: by its extension) and, for CSV, the
    column mapping (``--column FIELD=HEADER``, ``--set FIELD=VALUE``, ``--date-format``)."""

    format: Format | None = None
    columns: tuple[tuple[str, str], ...] = ()
    constants: tuple[tuple[str, str], ...] = ()
    date_format: str | None = None


@dataclass(frozen=True, slots=True)
class InputSource:
    """An input file ready to run: its lines (read again on each call) and their count (read
    only when asked: a resume records it, a plain run of JSON lines never reads the file
    twice)."""

    path: Path
    lines: Callable[[], Iterator[tuple[int, str]]]
    count: Callable[[], int]
    variant: str = ""


def input_format(path: Path, options: InputOptions | None) -> Format:
    if options is not None and options.format is not None:
        return options.format
    return "csv" if path.suffix.lower() == ".csv" else "jsonl"


def input_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-blank line of a JSON-lines file."""
    with path.open("r", encoding="utf-8", errors="surrogateescape") as fh:
        for number, text in enumerate(fh, 1):
            if text.strip():
                yield number, text


def count_input(path: Path, options: InputOptions | None = None) -> int:
    """How many lines (JSON lines) or rows (CSV, checked whole) the file holds."""
    if input_format(path, options) == "csv":
        return scan(path).rows
    return sum(1 for _ in input_lines(path))


def open_source(path: Path, fields: Sequence[Field],
                options: InputOptions | None = None) -> InputSource:
    """The file's lines for a spec whose Input has ``fields``; a CSV file is checked whole and
    its mapping too, before any line runs (``InputFileError`` otherwise)."""
    if input_format(path, options) == "jsonl":
        return InputSource(path, lambda: input_lines(path), lambda: count_input(path, options))
    opts = options or InputOptions()
    checked = scan(path)
    mapping = map_columns(str(path), checked.headers, fields, opts.columns, opts.constants,
                          opts.date_format)
    return InputSource(path, lambda: checked.lines(mapping), lambda: checked.rows,
                       variant="csv " + mapping.describe(checked.headers))
