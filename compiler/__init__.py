"""Specwright compiler: spec markdown in, typed IR and artifacts out. Pure: no I/O, no clock."""

from __future__ import annotations

from compiler.parse import parse_spec as parse_spec

__version__ = "0.1.0"
from compiler.check import check_spec as check_spec  # noqa: E402
from compiler.ir import CompiledSpec as _CompiledSpec  # noqa: E402


def compile_spec(text: str, source: str) -> _CompiledSpec:
    """Parse and check a spec: markdown text in, ``CompiledSpec`` out (or ``SpecError``)."""
    return check_spec(parse_spec(text, source))
