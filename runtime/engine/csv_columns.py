"""Which CSV column fills which spec Input field: ``--column``, ``--set`` and matching headers.

Every mistake is found here, before any row runs, and names its fix: an unknown field or a
header not in the file (did you mean ...?), a field given twice, a required field no column
fills, a ``--set`` value that does not fit its field. A nested object's field is a dotted path
(``ship_to.country``); a list cannot come from one cell, so a list field is refused by name.

Without ``--column``, a header fills a field when the two are equal ignoring case, spaces,
underscores and hyphens (``Order ID`` fills ``order_id``). Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from specwright.compiler.errors import did_you_mean
from specwright.compiler.ir import Field, FieldType
from specwright.runtime.engine.csv_convert import convert_cell
from specwright.runtime.errors import InputFileError

__all__ = ["ColumnMapping", "map_columns", "normalized"]

Path = tuple[str, ...]
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def normalized(name: str) -> str:
    """``Order ID``, ``order-id`` and ``order_id`` all read ``orderid``."""
    return "".join(c for c in name.strip().lower() if c not in " _-")


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """The plan for every row: cells by column index, constants, the date format."""

    cells: tuple[tuple[Path, int, FieldType], ...]
    constants: tuple[tuple[Path, Any], ...]
    date_format: str | None = None

    def row(self, cells: Sequence[str]) -> dict[str, Any]:
        """The input object of one row; an empty cell leaves its field out."""
        out: dict[str, Any] = {}
        for path, index, ft in self.cells:
            value = convert_cell(cells[index], ft, self.date_format)
            if value is not None:
                _put(out, path, value)
        for path, value in self.constants:
            _put(out, path, value)
        return out

    def describe(self, headers: Sequence[str]) -> str:
        """A stable text of the mapping, part of the resume job's identity."""
        return json.dumps({"cells": [[".".join(p), headers[i]] for p, i, _ in self.cells],
                           "set": [[".".join(p), v] for p, v in self.constants],
                           "date_format": self.date_format}, sort_keys=True)


def _put(out: dict[str, Any], path: Path, value: Any) -> None:
    for key in path[:-1]:
        out = out.setdefault(key, {})
    out[path[-1]] = value


def _leaves(fields: Sequence[Field], prefix: Path = ()) -> dict[Path, FieldType]:
    """Every field a cell can fill, by path (lists included: refused when named)."""
    found: dict[Path, FieldType] = {}
    for f in fields:
        path = (*prefix, f.name)
        if f.type.kind == "object":
            found.update(_leaves(f.type.fields, path))
        else:
            found[path] = f.type
    return found


def map_columns(source: str, headers: Sequence[str], fields: Sequence[Field],
                columns: Sequence[tuple[str, str]], constants: Sequence[tuple[str, str]],
                date_format: str | None = None) -> ColumnMapping:
    """The mapping of ``headers`` (line 1 of ``source``) onto the spec's input ``fields``."""
    leaves = _leaves(fields)
    named = [".".join(p) for p in leaves]
    taken: dict[Path, str] = {}
    cells: list[tuple[Path, int, FieldType]] = []
    for field, header in columns:
        path = _field(f"--column {field}={header}", field, leaves, named, taken)
        cells.append((path, _header(source, header, headers), leaves[path]))
    fixed: list[tuple[Path, Any]] = []
    for field, text in constants:
        option = f"--set {field}={text}"
        path = _field(option, field, leaves, named, taken)
        fixed.append((path, _constant(option, text, leaves[path], date_format)))
    for path, ft in leaves.items():
        if path in taken or ft.kind == "list":
            continue
        matches = [i for i, h in enumerate(headers) if normalized(h) == normalized(".".join(path))]
        if len(matches) > 1:
            shown = ", ".join(f'"{headers[i]}"' for i in matches)
            raise InputFileError(f'{source}:1: the columns {shown} all match the field '
                                 f'"{".".join(path)}": choose one with --column '
                                 f'{".".join(path)}=HEADER')
        if matches:
            taken[path] = "a header"
            cells.append((path, matches[0], ft))
    used = {i for _, i, _ in cells}
    _require(source, fields, set(taken), [h for i, h in enumerate(headers) if i not in used])
    return ColumnMapping(tuple(cells), tuple(fixed), date_format)


def _field(option: str, field: str, leaves: dict[Path, FieldType], named: list[str],
           taken: dict[Path, str]) -> Path:
    path = tuple(field.split("."))
    if path not in leaves:
        inner = [p for p in leaves if p[:len(path)] == path]
        if inner:
            example = ".".join(inner[0])
            raise InputFileError(f'{option}: "{field}" is an object: fill its fields one by '
                                 f'one, e.g. --column {example}=HEADER')
        hint = did_you_mean(field, named) or f" (input fields: {', '.join(named)})"
        raise InputFileError(f'{option}: the spec has no input field "{field}"{hint}')
    kind = leaves[path]
    if kind.kind == "list":
        raise InputFileError(f'{option}: "{field}" is a list: one CSV cell cannot hold a list; '
                             "run this spec from JSON lines instead")
    if path in taken:
        raise InputFileError(f'{option}: "{field}" is already filled by {taken[path]}: '
                             "give each field once")
    taken[path] = option
    return path


def _header(source: str, header: str, headers: Sequence[str]) -> int:
    found = [i for i, h in enumerate(headers) if h.strip() == header.strip()]
    if len(found) == 1:
        return found[0]
    if found:
        raise InputFileError(f'{source}:1: the header has "{header}" {len(found)} times: '
                             "rename all but one")
    hint = did_you_mean(header, headers) or " (the header: " + ", ".join(
        f'"{h}"' for h in headers[:30]) + ")"
    raise InputFileError(f'{source}:1: no column "{header}" in the header{hint}')


def _constant(option: str, text: str, ft: FieldType, date_format: str | None) -> Any:
    """A ``--set`` value, converted like a cell; one that does not fit is refused now (it
    would fail every row)."""
    value = convert_cell(text, ft, date_format)
    if value is None:
        raise InputFileError(f"{option}: give a value (to leave the field out, do not set it)")
    if ft.kind in ("integer", "number", "money") and isinstance(value, str):
        raise InputFileError(f'{option}: "{text}" is not a plain number such as 1234.5 or -3')
    if ft.kind == "boolean" and isinstance(value, str):
        raise InputFileError(f'{option}: "{text}" is not yes/no (yes, no, true, false, y, n, '
                             "1 or 0)")
    if ft.kind == "date" and not _ISO_DATE.fullmatch(str(value)):
        shown = date_format or "ISO: 2006-08-27"
        raise InputFileError(f'{option}: "{text}" is not a date as --date-format says ({shown})')
    if ft.kind == "enum" and value not in ft.values:
        hint = did_you_mean(text, ft.values) or f" (one of: {', '.join(ft.values)})"
        raise InputFileError(f'{option}: "{text}" is not a value of this field{hint}')
    return value


def _require(source: str, fields: Sequence[Field], filled: set[Path], headers: Sequence[str],
             prefix: Path = ()) -> None:
    """Every required field (no default) is filled; in an object that some column fills,
    its required fields too."""
    for f in fields:
        path = (*prefix, f.name)
        covered = any(p[:len(path)] == path for p in filled)
        if f.type.kind == "object" and covered:
            _require(source, f.type.fields, filled, headers, path)
            continue
        if covered or not f.required or f.has_default:
            continue
        name = ".".join(path)
        if f.type.kind == "list":
            raise InputFileError(f'{source}: the spec needs the list "{name}", which one CSV '
                                 "cell cannot hold: run this spec from JSON lines instead")
        hint = did_you_mean(name, headers)
        raise InputFileError(f'{source}:1: no column fills the required field "{name}"{hint}: '
                             f"add --column {name}=HEADER or --set {name}=VALUE")
