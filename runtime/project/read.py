"""Reading the project: which files are specs, their text, the generated directories.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from specwright.compiler.errors import Diagnostic, SpecError
from specwright.runtime.config import Settings

if TYPE_CHECKING:
    pass

def discover_specs(root: Path, settings: Settings) -> list[Path]:
    """``specs/*.md`` except README.md, files starting with ``_`` or ``.``, and the
    ``NAME.draft.md`` files ``specwright draft`` leaves for a human when a draft does not compile."""
    specs_dir = settings.path(root, settings.specs_dir)
    if not specs_dir.is_dir():
        return []
    return sorted(
        p for p in specs_dir.glob("*.md")
        if p.is_file()
        and p.name.lower() != "readme.md"
        and not p.name.startswith(("_", "."))
        and not p.name.endswith(".draft.md")
    )


def read_spec(path: Path, source: str) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError([Diagnostic(source, 1, 1, f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise SpecError([Diagnostic(source, 1, 1, f"cannot read: {exc.strerror}")]) from None


def display_path(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def generated_names(generated_dir: Path) -> list[str]:
    if not generated_dir.is_dir():
        return []
    return sorted(p.name for p in generated_dir.iterdir()
                  if p.is_dir() and not p.name.startswith("."))
