"""Revision directories on disk: ``generated/<spec>/r<N>/``. Reading, verifying, writing.

``read_revisions`` lists a spec's revisions (oldest first) with their manifests;
``RevisionOnDisk.integrity_problems`` checks every file against the manifest's hashes;
``write_revision`` writes a new revision into a temporary directory beside its final place and
renames it into place, so a reader never sees half a revision. A revision is never rewritten.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specwright.compiler.artifacts import INPUT_SCHEMA, OUTPUT_SCHEMA
from specwright.compiler.contract import Change
from specwright.compiler.errors import Diagnostic
from specwright.compiler.manifest import MANIFEST, content_sha256_of, sha256_hex
from specwright.compiler.revisions import PreviousRevision
from specwright.runtime.errors import RevisionReadError

REVISION_DIR = re.compile(r"r([1-9][0-9]*)")
IGNORED = frozenset({"__pycache__", ".pytest_cache"})  # created by importing/testing a revision


@dataclass(frozen=True, slots=True)
class RevisionOnDisk:
    name: str
    revision: int
    path: Path
    manifest: Mapping[str, Any]

    @property
    def contract_major(self) -> int:
        return int(self.manifest.get("contract_major", 1))

    @property
    def content_sha256(self) -> str:
        return str(self.manifest.get("content_sha256", ""))

    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(Change.from_dict(c) for c in self.manifest.get("changes", []))

    def read(self, filename: str) -> bytes:
        return (self.path / filename).read_bytes()

    def read_json(self, filename: str) -> dict[str, Any]:
        data = json.loads(self.read(filename))
        if not isinstance(data, dict):
            raise ValueError(f"{filename} is not a JSON object")
        return data

    def files(self) -> dict[str, bytes]:
        """Every file of the directory (sub-directories such as ``__pycache__`` excluded)."""
        return {p.name: p.read_bytes() for p in sorted(self.path.iterdir()) if p.is_file()}

    def as_previous(self) -> PreviousRevision:
        return PreviousRevision(
            revision=self.revision,
            contract_major=self.contract_major,
            content_sha256=self.content_sha256,
            input_schema=self.read_json(INPUT_SCHEMA),
            output_schema=self.read_json(OUTPUT_SCHEMA),
            spec_json=lambda: self.read_json("spec.json"),
        )

    def integrity_problems(self) -> list[str]:
        """Files missing, extra or different from the manifest's hashes (empty: intact)."""
        hashes = self.manifest.get("artifacts")
        if not isinstance(hashes, dict):
            return ["manifest.json has no artifacts table"]
        problems = []
        present = {p.name for p in self.path.iterdir() if p.name not in IGNORED}
        for name in sorted(set(hashes) - present):
            problems.append(f"{name} is missing")
        for name in sorted(present - set(hashes) - {MANIFEST}):
            problems.append(f"{name} is not part of the revision")
        for name in sorted(set(hashes) & present):
            if sha256_hex((self.path / name).read_bytes()) != hashes[name]:
                problems.append(f"{name} differs from its hash in manifest.json")
        if content_sha256_of(hashes) != self.content_sha256:
            problems.append("content_sha256 in manifest.json does not match its artifacts")
        return problems


def read_revisions(generated_dir: Path, name: str) -> list[RevisionOnDisk]:
    """The revisions of spec ``name`` under ``generated_dir``, oldest first."""
    spec_dir = generated_dir / name
    if not spec_dir.is_dir():
        return []
    found: list[RevisionOnDisk] = []
    for p in spec_dir.iterdir():
        m = REVISION_DIR.fullmatch(p.name)
        if m is None or not p.is_dir():
            continue
        path = p / MANIFEST
        try:
            manifest = json.loads(path.read_bytes())
            if not isinstance(manifest, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            diag = Diagnostic(str(path), 1, 1, f"unreadable manifest: {exc}")
            raise RevisionReadError([diag]) from None
        found.append(RevisionOnDisk(name, int(m.group(1)), p, manifest))
    return sorted(found, key=lambda r: r.revision)


def write_revision(spec_dir: Path, revision: int, files: Mapping[str, bytes]) -> Path:
    """Write ``files`` as ``spec_dir/r<revision>`` atomically (temp dir + rename)."""
    spec_dir.mkdir(parents=True, exist_ok=True)
    final = spec_dir / f"r{revision}"
    if final.exists():
        raise FileExistsError(f"{final} already exists")
    tmp = spec_dir / f".r{revision}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    os.mkdir(tmp)
    try:
        for filename, data in files.items():
            (tmp / filename).write_bytes(data)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
