"""The input-file options of ``specwright run``: the format and a CSV file's column mapping.

The CLI only reads the options; ``engine/input_source.py`` reads the file and
``engine/csv_columns.py`` checks the mapping against the spec.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

if TYPE_CHECKING:
    from specwright.runtime.engine.input_source import InputOptions

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["input_file_options", "input_options"]


def input_file_options(fn: F) -> F:
    """``--format``, ``--column``, ``--set``, ``--date-format``."""
    options = [
        click.option("--format", "input_fmt", type=click.Choice(["jsonl", "csv"]), default=None,
                     help="The input file's format [default: csv for a .csv file, else jsonl]."),
        click.option("--column", "columns", multiple=True, metavar="FIELD=HEADER",
                     help="CSV: fill the input field FIELD (a dotted path in a nested object: "
                          "ship_to.country) from the column HEADER. Repeatable. Without it, a "
                          "header fills the field it equals, ignoring case, spaces, _ and -."),
        click.option("--set", "constants", multiple=True, metavar="FIELD=VALUE",
                     help="CSV: the same value of FIELD for every row. Repeatable."),
        click.option("--date-format", default=None, metavar="FORMAT",
                     help="CSV: how date cells are written, as for strptime (e.g. '%d-%b-%y' "
                          "for 27-Aug-06) [default: ISO 2006-08-27]."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _pairs(option: str, values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        field, sep, rest = value.partition("=")
        if not sep or not field.strip():
            raise click.UsageError(f"{option} {value}: write it as {option} FIELD=...")
        pairs.append((field.strip(), rest))
    return tuple(pairs)


def input_options(path: Path, fmt: str | None, columns: tuple[str, ...],
                  constants: tuple[str, ...], date_format: str | None) -> InputOptions:
    """The options read, refused when a CSV option is given for a JSON-lines file."""
    from specwright.runtime.engine.input_source import Format, InputOptions, input_format

    options = InputOptions(format=cast("Format | None", fmt),
                           columns=_pairs("--column", columns),
                           constants=_pairs("--set", constants), date_format=date_format)
    if input_format(path, options) != "csv" and (columns or constants or date_format):
        raise click.UsageError("--column, --set and --date-format read a CSV file: name it "
                               ".csv or add --format csv")
    return options
