"""``check_contract``: a revision keeps every promise of its contract major."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tg_support import edit, make_project, revision_dir, spec_text

from specwright.compiler.manifest import sha256_hex
from specwright.runtime import testing

SPEC = "carrier-selection"


def _narrow_weight(schema_path: Path) -> None:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    schema["properties"]["weight_kg"]["maximum"] = 50
    schema_path.write_text(json.dumps(schema, indent=2), encoding="utf-8")


def test_compiled_revisions_keep_their_contract(tmp_path: Path) -> None:
    root = make_project(tmp_path, {SPEC: spec_text(SPEC)})
    testing.check_contract(testing.SpecSuite.load(revision_dir(root, SPEC)))
    # A breaking change compiles to r2 with a new major; a compatible one keeps the major.
    narrowed = edit(spec_text(SPEC), "| > 0, <= 70           |", "| > 0, <= 50           |")
    make_project(root, {SPEC: narrowed})
    r2 = testing.SpecSuite.load(revision_dir(root, SPEC, 2))
    assert r2.major == 2
    testing.check_contract(r2)
    widened = edit(narrowed, "| > 0, <= 50           |", "| > 0, <= 60           |")
    make_project(root, {SPEC: widened})
    r3 = testing.SpecSuite.load(revision_dir(root, SPEC, 3))
    assert r3.major == 2
    testing.check_contract(r3)


def test_a_hand_edited_schema_fails(tmp_path: Path) -> None:
    root = make_project(tmp_path, {SPEC: spec_text(SPEC)})
    rev = revision_dir(root, SPEC)
    _narrow_weight(rev / "input.schema.json")
    with pytest.raises(testing.SpecCheckFailed) as failed:
        testing.check_contract(testing.SpecSuite.load(rev))
    assert "input.schema.json differs from what the compiler wrote" in str(failed.value)


def test_a_breaking_change_within_a_major_fails(tmp_path: Path) -> None:
    root = make_project(tmp_path, {SPEC: spec_text(SPEC)})
    r1, r2 = revision_dir(root, SPEC), revision_dir(root, SPEC, 2)
    shutil.copytree(r1, r2)  # r2 claims contract v1 but narrows an input bound
    _narrow_weight(r2 / "input.schema.json")
    manifest = json.loads((r2 / "manifest.json").read_text(encoding="utf-8"))
    manifest["revision"] = 2
    manifest["artifacts"]["input.schema.json"] = sha256_hex((r2 / "input.schema.json").read_bytes())
    (r2 / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    with pytest.raises(testing.SpecCheckFailed) as failed:
        testing.check_contract(testing.SpecSuite.load(r2))
    message = str(failed.value)
    assert message.startswith("specs/carrier-selection.md: revision r2 (contract v1) does not keep "
                              "its contract:")
    assert "breaks r1 (also v1): input.weight_kg: maximum 70" in message
    assert "breaking" in message
