"""Helpers of the label and impact suite: a tiny rules-only spec in a project of its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from rt_support import EXTRA, TINY, running  # noqa: F401 - running is re-exported to the label tests

from specwright.runtime.config import Settings
from specwright.runtime.project.compile_all import compile_project


def tiny_text(label: str, *, breaking: bool = False) -> str:
    return TINY.format(extra=EXTRA if breaking else "", label=label)


def compile_tiny(root: Path, label: str, settings: Settings, *, breaking: bool = False) -> int:
    """Write specs/tiny.md and compile; the revision it gives."""
    (root / "specs").mkdir(parents=True, exist_ok=True)
    (root / "specs" / "tiny.md").write_text(tiny_text(label, breaking=breaking))
    result = compile_project(root, settings)
    (outcome,) = result.outcomes
    assert outcome.revision is not None, result.all_diagnostics
    return outcome.revision


async def wait_for(what: str, cond: Callable[[], Awaitable[bool]], timeout_s: float) -> None:
    until = time.monotonic() + timeout_s
    while time.monotonic() < until:
        if await cond():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
