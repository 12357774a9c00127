"""``specwright logs prune``: delete old runs from the execution log, by age and by size."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import click

from specwright.compiler.errors import SpecwrightError
from specwright.runtime.config import load_settings
from specwright.runtime.logstore import open_store, sqlite_path
from specwright.runtime.logstore.retention import PruneResult, prune
from specwright.runtime.logstore.threaded import ThreadedLogStore

_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h|d|w)")
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?", re.IGNORECASE)
_AGE_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SIZE_B = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4}


def parse_age(text: str) -> float:
    """``30d``, ``12h``, ``2w`` -> seconds."""
    m = _AGE.fullmatch(text.strip().lower())
    if m is None:
        raise click.BadParameter(f"{text!r} is not an age: write a number and s, m, h, d or w "
                                 "(30d, 12h)")
    return float(m[1]) * _AGE_S[m[2]]


def parse_size(text: str) -> int:
    """``500MB``, ``2GB``, ``1048576`` -> bytes (decimal units)."""
    m = _SIZE.fullmatch(text.strip())
    if m is None:
        raise click.BadParameter(f"{text!r} is not a size: write a number and B, KB, MB, GB "
                                 "or TB (500MB)")
    return int(float(m[1]) * _SIZE_B[(m[2] or "b").lower()])


async def _prune(store: ThreadedLogStore, before: float | None,
                 max_bytes: int | None) -> PruneResult:
    await store.start()  # applies pending migrations
    try:
        return await prune(store, before=before, max_bytes=max_bytes)
    finally:
        await store.close()


@click.command("prune")
@click.option("--older-than", "older_than", default=None,
              help="Delete runs older than this (30d, 12h, 2w). Default: log_retention_days.")
@click.option("--max-size", "max_size", default=None,
              help="Delete the oldest runs until the log uses at most this much (500MB, 2GB). "
                   "Default: log_max_bytes.")
@click.option("--project", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("."), show_default=True, help="Project directory.")
def prune_command(older_than: str | None, max_size: str | None, project: Path) -> None:
    """Delete old runs (and their attempts) from the execution log."""
    try:
        settings = load_settings(project)
    except SpecwrightError as exc:
        raise click.ClickException(" ".join(str(exc).split())) from None
    age = parse_age(older_than) if older_than else (
        None if settings.log_retention_days is None else settings.log_retention_days * 86400.0)
    max_bytes = parse_size(max_size) if max_size else settings.log_max_bytes
    if age is None and max_bytes is None:
        raise click.UsageError("say what to delete: --older-than 30d and/or --max-size 1GB "
                               "(or set log_retention_days / log_max_bytes)")
    if not settings.database_url and not sqlite_path(settings, project).exists():
        click.echo("no runs logged yet: nothing to prune")
        return
    store = open_store(settings, project, writer="thread")
    assert isinstance(store, ThreadedLogStore)
    before = None if age is None else time.time() - age
    try:
        result = asyncio.run(_prune(store, before, max_bytes))
    except (SpecwrightError, OSError) as exc:
        raise click.ClickException(" ".join(str(exc).split())) from None
    click.echo(f"deleted {result.deleted} runs; the log uses {result.bytes_after:,} bytes "
               f"(was {result.bytes_before:,})")
