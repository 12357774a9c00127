"""How every command ends: an exit status and readable errors, never a traceback.

A ``SpecwrightError`` prints its located diagnostics (sorted by file, line and column) or its
message and exits 1; an ``OSError`` is one line and exit 1; anything unexpected is one line and
exit 2 (``SPECWRIGHT_DEBUG=1`` re-raises it for the traceback).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from typing import NoReturn

import click

from specwright.compiler.errors import Diagnostic, SpecwrightError


def print_diagnostics(diags: Iterable[Diagnostic]) -> None:
    for d in sorted(diags, key=lambda d: (d.file, d.line, d.col)):
        click.echo(str(d), err=True)


def run_command(body: Callable[[], int]) -> NoReturn:
    """Run a command body returning its exit status; report every failure as described above."""
    try:
        code = body()
    except SpecwrightError as exc:
        diagnostics = getattr(exc, "diagnostics", ())
        if diagnostics:
            print_diagnostics(diagnostics)
        else:
            click.echo(f"error: {getattr(exc, 'message', None) or exc}", err=True)
        code = 1
    except OSError as exc:
        click.echo(f"error: {exc}", err=True)
        code = 1
    except click.ClickException:
        raise
    except Exception as exc:  # noqa: BLE001 - the CLI never shows a traceback by default
        if os.environ.get("SPECWRIGHT_DEBUG"):
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc} "
                   "(set SPECWRIGHT_DEBUG=1 for the traceback)", err=True)
        code = 2
    sys.exit(code)
