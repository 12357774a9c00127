"""Specwright compiler: spec markdown in, typed IR and artifacts out. Pure: no I/O, no clock.

The entry points are loaded on first use so that importing ``compiler`` (every CLI command
does) does not pay for the markdown parser and the CEL engine until a spec is compiled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from specwright.compiler.check import check_spec as check_spec
    from specwright.compiler.ir import CompiledSpec
    from specwright.compiler.parse import parse_spec as parse_spec

__all__ = ["check_spec", "compile_spec", "parse_spec"]


def compile_spec(text: str, source: str) -> CompiledSpec:
    """Parse and check a spec: markdown text in, ``CompiledSpec`` out (or ``SpecError``)."""
    from specwright.compiler.check import check_spec
    from specwright.compiler.parse import parse_spec

    return check_spec(parse_spec(text, source))


def __getattr__(name: str) -> Any:
    if name == "parse_spec":
        from specwright.compiler.parse import parse_spec

        return parse_spec
    if name == "check_spec":
        from specwright.compiler.check import check_spec

        return check_spec
    raise AttributeError(f"module 'compiler' has no attribute {name!r}")
