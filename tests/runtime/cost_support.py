"""A model-backed spec without sensitive fields for the answer cache and budget tests, compiled
by the real compiler into a project of its own."""

from __future__ import annotations

import secrets
from pathlib import Path

from specwright.runtime.config import Settings

QUOTE = """\
---
name: {name}
title: Quote
{front}---

# Quote

Write a one-line note for a quote.

## Input

| field  | type    | constraints | description      |
|--------|---------|-------------|------------------|
| amount | integer | 0..1000     | Amount in euros  |

## Output

| field | type                    | description        |
|-------|-------------------------|--------------------|
| tier  | one of: small, large    | Size of the quote  |
| note  | text                    | One line for sales |

## Decision: tier

| amount | tier  |
|--------|-------|
| < 100  | small |
| -      | large |
"""


def unique_name() -> str:
    """A spec name no earlier test run used: PostgreSQL tests share one database."""
    return f"quote-{secrets.token_hex(4)}"


def quote_project(root: Path, front: str = "answer cache: 1h\n", name: str = "quote") -> Path:
    from specwright.runtime.project.compile_all import compile_project

    (root / "specs").mkdir(parents=True)
    (root / "specs" / f"{name}.md").write_text(QUOTE.format(front=front, name=name), "utf-8")
    result = compile_project(root, Settings(), write=True)
    problems = [str(d) for o in result.outcomes for d in o.errors]
    assert not problems, problems
    return root
