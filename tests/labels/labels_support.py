"""Helpers of the label and impact suite: a tiny rules-only spec in a project of its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from specwright.runtime.config import Settings
from specwright.runtime.project.compile_all import compile_project

TINY = """\
---
name: tiny
title: Tiny
---

# Tiny

Label a number.

## Input

| field | type    | constraints | description |
|-------|---------|-------------|-------------|
| n     | integer | 0..100      | A number    |
{extra}
## Output

| field | type                         | description |
|-------|------------------------------|-------------|
| label | one of: first, second, third | The label   |

## Decision: label

| n | label   |
|---|---------|
| - | {label} |
"""
EXTRA = "| m     | integer | 0..9        | Required    |\n"


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


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def wait_for(what: str, cond: Callable[[], Awaitable[bool]], timeout_s: float) -> None:
    until = time.monotonic() + timeout_s
    while time.monotonic() < until:
        if await cond():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
