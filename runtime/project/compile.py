"""Compiling one spec's text, and which compiler did it (version and fingerprint).

A compiler bug becomes a located diagnostic, never a traceback.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from specwright.compiler.errors import Diagnostic, SpecError
from specwright.compiler.ir import CompiledSpec

if TYPE_CHECKING:
    pass

CompileFn = Callable[[str, str], CompiledSpec]  # (text, source) -> CompiledSpec, or SpecError


def _default_compile(text: str, source: str) -> CompiledSpec:
    from specwright.compiler import compile_spec

    result: CompiledSpec = compile_spec(text, source)
    return result


def compiler_version() -> str:
    from specwright.compiler import __version__

    return __version__


@functools.cache
def compiler_fingerprint() -> str:
    """sha256 over the compiler package's source files (line endings normalised).

    Recorded in each new manifest: the fast up-to-date check trusts a manifest only when the
    same compiler code wrote it, so editing the compiler without bumping its version is still
    caught by ``specwright compile --check``.
    """
    import specwright.compiler
    package = Path(specwright.compiler.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return digest.hexdigest()


def internal_error(source: str, exc: Exception) -> SpecError:
    msg = f"internal compiler error: {type(exc).__name__}: {exc} (please report this)"
    return SpecError([Diagnostic(source, 1, 1, msg)])


def compile_source(
    text: str, source: str, compile_fn: CompileFn | None = None
) -> CompiledSpec:
    """Run the compiler; a compiler bug becomes a located diagnostic, never a traceback."""
    fn = compile_fn or _default_compile
    try:
        return fn(text, source)
    except SpecError:
        raise
    except Exception as exc:  # noqa: BLE001 - reported as a diagnostic, never a traceback
        raise internal_error(source, exc) from exc
