"""The CEL engine: the ``cel`` package's compiled extension, loaded without the package's ``__init__``.

``import cel`` runs ``cel/__init__.py``, which first imports the package's interactive command
line (``cel.cli``: typer, rich, prompt_toolkit, importlib.metadata): a cost every compiling
process would pay for nothing the compiler uses (docs/performance.md has the number).
``compile`` and ``Program`` live in the extension module ``cel.cel``, which the package's
``__init__`` only re-exports.

``engine()`` loads that extension module by itself, under its own name ``cel.cel`` in
``sys.modules``, so a later ``import cel`` (the runtime's) re-uses the very same module and its
types. When ``cel`` is already imported, or the package does not have the layout we know, it
is the ordinary ``import cel``: the same functions either way, only the import cost differs.
"""

from __future__ import annotations

import functools
import importlib
import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType

PACKAGE = "cel"
EXTENSION = "cel.cel"  # the Rust extension module inside the package


def _extension_path() -> str | None:
    """The extension's file inside the installed ``cel`` package (the package is not imported)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for directory in spec.submodule_search_locations:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(directory, EXTENSION.rpartition(".")[2] + suffix)
            if os.path.isfile(path):
                return path
    return None


@functools.cache
def engine() -> ModuleType:
    """The module providing ``compile`` and ``Program`` (``cel.cel``, or the ``cel`` package)."""
    for name in (EXTENSION, PACKAGE):  # already imported: nothing to load
        if (loaded := sys.modules.get(name)) is not None and hasattr(loaded, "compile"):
            return loaded
    path = _extension_path()
    if path is None:
        return importlib.import_module(PACKAGE)
    spec = importlib.util.spec_from_file_location(EXTENSION, path)
    if spec is None or spec.loader is None:
        return importlib.import_module(PACKAGE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[EXTENSION] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[EXTENSION]
        raise
    return module
