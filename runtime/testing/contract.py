"""The contract check: a revision's schemas keep every promise of its contract major.

* The schema files are the ones the compiler wrote (their hashes match ``manifest.json``):
  revisions are immutable, a hand edit is caught here.
* Against every earlier revision on disk with the same major, ``specwright.compiler.contract`` finds no
  breaking change (a breaking change must come with a new major, which ``specwright compile``
  assigns by itself).
* Majors never go down from one revision to the next.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from specwright.compiler.contract import compare_contracts
from specwright.compiler.manifest import sha256_hex
from specwright.runtime.testing.report import fail
from specwright.runtime.testing.suite import SpecSuite

_REVISION = re.compile(r"r([1-9][0-9]*)")
SCHEMAS = ("input.schema.json", "output.schema.json")


def _earlier(suite: SpecSuite) -> list[tuple[int, Path]]:
    found = []
    for p in suite.path.parent.iterdir():
        m = _REVISION.fullmatch(p.name)
        if m and p.is_dir() and int(m.group(1)) < suite.revision_number:
            found.append((int(m.group(1)), p))
    return sorted(found)


def _read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_bytes())
    return data


def check_contract(suite: SpecSuite) -> None:
    """No breaking change within the revision's contract major; schema files untouched."""
    __tracebackhide__ = True
    problems: list[str] = []
    hashes = suite.manifest.get("artifacts", {})
    for name in SCHEMAS:
        want = hashes.get(name)
        if want and sha256_hex((suite.path / name).read_bytes()) != want:
            problems.append(f"{name} differs from what the compiler wrote (its hash is not the one "
                            "in manifest.json): revisions are immutable, edit the spec instead")
    here = f"r{suite.revision_number} (contract v{suite.major})"
    previous_major = 0
    for number, path in _earlier(suite):
        try:
            manifest = _read(path / "manifest.json")
            old_in, old_out = _read(path / SCHEMAS[0]), _read(path / SCHEMAS[1])
        except (OSError, ValueError) as exc:
            problems.append(f"r{number} cannot be read: {exc}")
            continue
        major = int(manifest.get("contract_major") or 1)
        previous_major = major
        if major != suite.major:
            continue
        changes = compare_contracts(old_in, old_out, suite.input_schema, suite.output_schema)
        for change in changes:
            if change.breaking:
                problems.append(f"breaks r{number} (also v{major}): {change.message}")
    if previous_major > suite.major:
        problems.append(f"its contract major v{suite.major} is lower than the previous "
                        f"revision's v{previous_major}")
    if problems:
        raise fail(
            f"{suite.source}: revision {here} does not keep its contract:",
            *(f"  - {p}" for p in problems),
            "  A breaking change needs a new contract major, which `specwright compile` assigns: "
            "do not edit generated/ by hand.",
        )
