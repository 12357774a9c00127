"""The layers, as folders: imports point one way (compiler -> runtime's layers -> http, cli).

Read from the source with ``ast`` (every import, also those inside functions and under
``TYPE_CHECKING``), so a lazy import cannot hide an upward dependency.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

import specwright

PACKAGE = Path(specwright.__file__).parent
BASE = {"errors", "records", "config", "jsontext", "hosts"}  # runtime's own modules: shared by every layer

# layer -> layers it must never import
FORBIDDEN: dict[str, set[str]] = {
    "compiler": {"base", "models", "logstore", "engine", "project", "authoring", "testing",
                 "http", "cli", "fakeserver", "observe"},
    "base": {"models", "logstore", "engine", "project", "authoring", "testing", "http", "cli",
             "fakeserver", "observe"},
    "observe": {"models", "logstore", "engine", "project", "authoring", "testing", "http", "cli",
                "fakeserver"},
    "models": {"logstore", "engine", "project", "authoring", "testing", "http", "cli"},
    "logstore": {"models", "engine", "project", "authoring", "testing", "http", "cli"},
    "project": {"models", "logstore", "engine", "authoring", "testing", "http", "cli"},
    "engine": {"project", "authoring", "testing", "http", "cli"},
    "authoring": {"testing", "http", "cli"},
    "testing": {"authoring", "http", "cli"},
    "fakeserver": {"logstore", "engine", "project", "authoring", "testing", "http", "cli"},
    "http": {"cli", "authoring", "testing"},
    "cli": set(),
}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if parts[:2] == ["specwright", "compiler"]:
        return "compiler"
    if parts[:2] != ["specwright", "runtime"] or len(parts) < 3:
        return "top"
    return "base" if parts[2] in BASE else parts[2]


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = ["specwright", *rel.parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return found


def sources() -> list[Path]:
    # os.walk follows the links specwright/compiler and specwright/runtime (Path.rglob does not)
    return sorted(Path(d) / f for d, _, files in os.walk(PACKAGE, followlinks=True)
                  for f in files if f.endswith(".py"))


def test_the_layers_are_known() -> None:
    layers = {layer_of(module_name(p)) for p in sources()} - {"top"}
    assert layers <= set(FORBIDDEN), f"a layer with no rule: {layers - set(FORBIDDEN)}"


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_import_points_up(path: Path) -> None:
    source = layer_of(module_name(path))
    if source == "top":
        return
    bad = []
    for line, target in imports(path):
        root = target.split(".")[0]
        assert root not in {"compiler", "runtime"}, (
            f"{path}:{line}: imports {target}: import specwright.{target} instead"
        )
        if root == "specwright" and layer_of(target) in FORBIDDEN[source]:
            bad.append(f"{path.relative_to(PACKAGE)}:{line}: {source} imports {target}")
    assert bad == []
