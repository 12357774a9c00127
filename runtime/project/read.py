"""Reading the project: which files are specs, their text, the generated directories.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import TYPE_CHECKING

from specwright.compiler.errors import Diagnostic, SpecError
from specwright.compiler.limits import MAX_SPEC_CHARS
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


MAX_SPEC_BYTES = 4 * MAX_SPEC_CHARS  # read no more than this of a spec file (UTF-8: 4 per char)


def read_spec(path: Path, source: str) -> str:
    """The spec's text. At most ``MAX_SPEC_BYTES`` are read: a huge file (or a symlink to one)
    is refused without loading it, and only regular files are opened (a FIFO would block)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise SpecError([Diagnostic(source, 1, 1, "not a regular file: a spec is a .md file")])
        with path.open("rb") as handle:
            data = handle.read(MAX_SPEC_BYTES + 1)
        if len(data) > MAX_SPEC_BYTES:
            raise SpecError([Diagnostic(source, 1, 1, f"the file is larger than "
                                        f"{MAX_SPEC_BYTES:,} bytes: a spec is at most "
                                        f"{MAX_SPEC_CHARS:,} characters")])
        return data.decode("utf-8-sig")
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
