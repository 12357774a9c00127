"""Helpers of the testgen suite: projects in temporary directories, compiled by the real compiler.

``make_project`` copies spec texts into ``<tmp>/specs``, compiles them with the project compiler
(``specwright.runtime.project.compile_all.compile_project``) and makes sure every revision directory holds its generated
test module (``specwright.compiler.testgen``), whichever way the back-end ships it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from specwright.compiler import compile_spec
from specwright.compiler.errors import SpecError
from specwright.compiler.ir import CompiledSpec
from specwright.compiler.testgen import render_test_module, test_module_name
from specwright.runtime.config import load_settings
from specwright.runtime.project.compile_all import compile_project

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "specs"
# As strict as the project's own configuration: warnings are errors.
PYTEST_CONFIG = """[tool.pytest.ini_options]
addopts = "--import-mode=importlib -p no:cacheprovider"
filterwarnings = ["error"]
asyncio_default_fixture_loop_scope = "function"
"""
SIX = tuple(sorted(p.stem for p in SPECS.glob("*.md")))


def spec_text(name: str) -> str:
    return (SPECS / f"{name}.md").read_text(encoding="utf-8")


def edit(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced once; fails loudly when the example spec changed."""
    assert text.count(old) == 1, f"expected exactly one {old!r} in the spec"
    return text.replace(old, new)


def compile_error(name: str, text: str) -> SpecError | None:
    try:
        compile_spec(text, f"specs/{name}.md")
    except SpecError as exc:
        return exc
    return None


def make_project(root: Path, specs: Mapping[str, str]) -> Path:
    """A project with these spec texts, compiled into ``generated/`` with test modules."""
    (root / "specs").mkdir(parents=True, exist_ok=True)
    (root / "specwright.toml").write_text("", encoding="utf-8")
    (root / "pyproject.toml").write_text(PYTEST_CONFIG, encoding="utf-8")
    for name, text in specs.items():
        (root / "specs" / f"{name}.md").write_text(text, encoding="utf-8")
    result = compile_project(root, load_settings(root, env={}))
    errors = [str(d) for o in result.outcomes for d in o.errors]
    assert not errors, "\n".join(errors)
    for rev_dir in sorted((root / "generated").glob("*/r*")):
        compiled = CompiledSpec.model_validate_json((rev_dir / "spec.json").read_bytes())
        if not list(rev_dir.glob("test_*.py")):  # until specwright.compiler.artifacts renders it
            module = rev_dir / test_module_name(compiled)
            module.write_text(render_test_module(compiled), encoding="utf-8")
    return root


def revision_dir(root: Path, name: str, revision: int = 1) -> Path:
    return root / "generated" / name / f"r{revision}"


def tamper(rev_dir: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Edit a compiled revision's spec.json in place (what the compiler itself would refuse)."""
    path = rev_dir / "spec.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def run_cli(
    root: Path, *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``specwright <args>`` in a fresh interpreter, in ``cwd`` (default: ``root``)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SPECWRIGHT_")}
    full_env.update(env or {})
    code = "import sys; from specwright.runtime.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd or root, env=full_env, capture_output=True,
        text=True, timeout=300, check=False,
    )


def run_pytest(root: Path, *paths: Path, select: str = "") -> subprocess.CompletedProcess[str]:
    """Plain pytest on generated modules, as a project's CI runs them (``select``: a -k filter)."""
    args = [sys.executable, "-m", "pytest", "-q", "-rfs", "--tb=short", *map(str, paths)]
    args += ["-k", select] if select else []
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPECWRIGHT_")}
    return subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
