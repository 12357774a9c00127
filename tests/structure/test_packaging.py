"""What is installed and imported is one package, ``specwright``: nothing generic like
``compiler`` or ``runtime`` lands in a user's import path, so a user's own ``compiler.py`` or
``runtime/`` folder cannot break Specwright, and Specwright cannot shadow theirs."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_the_built_wheel_holds_only_the_specwright_package(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path), str(REPO)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("specwright-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/", 1)[0] for n in names}
    assert top == {"specwright", "specwright-0.1.0.dist-info"}
    # the compiler, the runtime and the files they read at run time are all inside it
    for path in ("specwright/compiler/parse.py", "specwright/runtime/engine/pipeline.py",
                 "specwright/testing.py", "specwright/runtime/models/prices.json",
                 "specwright/runtime/logstore/migrations/sqlite/0001_initial.sql",
                 "specwright/py.typed"):
        assert path in names, path


def test_the_installed_distribution_names_one_top_level_package() -> None:
    dist = importlib.metadata.distribution("specwright")
    assert (dist.read_text("top_level.txt") or "").split() == ["specwright"]
    script = dist.entry_points.select(group="console_scripts", name="specwright")
    assert [e.value for e in script] == ["specwright.runtime.cli:main"]


def _user_project(root: Path) -> None:
    """A user's project with its own ``compiler.py`` and ``runtime/`` package, both of which
    fail loudly if anything imports them."""
    (root / "specs").mkdir(parents=True)
    shutil.copy(REPO / "specs" / "order-validation.md", root / "specs")
    (root / "compiler.py").write_text("raise ImportError('the user compiler.py was imported')\n")
    (root / "runtime").mkdir()
    (root / "runtime" / "__init__.py").write_text(
        "raise ImportError('the user runtime/ package was imported')\n"
    )


def test_a_project_with_its_own_compiler_and_runtime_modules(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    _user_project(project)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(project)  # the user's modules first on the path, as pytest puts them

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=project, env=env, capture_output=True, text=True,
                              timeout=600)

    compiled = run(str(BIN / "specwright"), "compile")
    assert compiled.returncode == 0, compiled.stderr
    module = next((project / "generated" / "order-validation").glob("r*/test_*.py"))
    assert "from specwright import testing" in module.read_text()

    tested = run(str(BIN / "specwright"), "test")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "passed" in tested.stdout

    # plain pytest, in its default import mode: the project's folder is first on sys.path
    pytest_run = run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "generated")
    assert pytest_run.returncode == 0, pytest_run.stdout + pytest_run.stderr
    assert " passed" in pytest_run.stdout and "error" not in pytest_run.stdout.lower()
