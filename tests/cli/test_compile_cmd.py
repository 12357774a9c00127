"""``specwright compile [--check]`` and ``specwright diff`` on a temporary project."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from specwright.runtime.cli import main
from specwright.runtime.config import Settings
from specwright.runtime.project.compile_all import compile_project
from specwright.runtime.project.revisions import read_revisions, write_revision

SPEC = """\
---
name: {name}
title: Parcel service
models:
  - openai:gpt-4.1-mini
---

# Parcel service

Choose the service level for a parcel.

## Input

| field     | type    | constraints | description            |
|-----------|---------|-------------|------------------------|
| weight_kg | number  | > 0, <= 70  | Packed weight          |
| days      | integer | 1..14       | Promised delivery days |

## Output

| field   | type                     | description      |
|---------|--------------------------|------------------|
| service | one of: ground, express  | Service level    |
| reason  | text, max 200 characters | One sentence why |

## Rules

1. Explain the choice in one sentence.

## Decision: service

| days | service |
|------|---------|
| <= 2 | express |
| -    | ground  |
"""


def write_spec(root: Path, name: str, text: str | None = None) -> Path:
    path = root / "specs" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text is not None else SPEC.format(name=name), encoding="utf-8")
    return path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--project", str(root)])


def snapshot(root: Path) -> dict[str, bytes]:
    gen = root / "generated"
    return {str(p.relative_to(gen)): p.read_bytes() for p in sorted(gen.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_spec(tmp_path, "parcel")
    write_spec(tmp_path, "courier")
    return tmp_path


def test_compile_writes_then_is_idempotent(project: Path) -> None:
    r = run(project, "compile")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == ["courier: r1 (v1) written", "parcel: r1 (v1) written",
                                     "2 specs: 2 written, 0 unchanged, 0 failed"]
    files = sorted(p.name for p in (project / "generated" / "parcel" / "r1").iterdir())
    assert files == ["input.schema.json", "logic.json", "manifest.json", "models.py",
                     "output.schema.json", "prompt.j2", "spec.json", "test_parcel.py"]
    before = snapshot(project)
    r = run(project, "compile")
    assert r.exit_code == 0 and "parcel: unchanged (r1)" in r.stdout
    assert "0 written, 2 unchanged" in r.stdout
    assert snapshot(project) == before
    assert not [p for p in (project / "generated" / "parcel").iterdir() if p.name != "r1"]


def test_check_on_a_project_never_compiled(project: Path) -> None:
    r = run(project, "compile", "--check")
    assert r.exit_code == 1
    assert "parcel: out of date" in r.stdout
    assert "generated/parcel: no generated revision; compiling writes generated/parcel/r1" in (
        r.stdout)
    assert not (project / "generated").exists()


def test_check_after_compile_is_clean(project: Path) -> None:
    run(project, "compile")
    r = run(project, "compile", "--check")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[-1] == "2 specs: 2 up to date, 0 out of date, 0 failed"
    assert run(project, "compile", "--check", "--full").exit_code == 0


def test_breaking_change_makes_r2_v2_and_keeps_r1(project: Path) -> None:
    run(project, "compile")
    r1 = snapshot(project)
    edit(project / "specs" / "parcel.md", "> 0, <= 70 ", "> 0, <= 50 ")
    check = run(project, "compile", "--check")
    assert check.exit_code == 1
    assert "compiling writes generated/parcel/r2 (v2): 1 breaking change" in check.stdout
    assert "-      \"maximum\": 70" in check.stdout and "+      \"maximum\": 50" in check.stdout
    assert snapshot(project) == r1  # --check writes nothing
    r = run(project, "compile")
    assert r.exit_code == 0
    assert "parcel: r2 (v2) written, 1 breaking change" in r.stdout
    assert "    - input.weight_kg: maximum 70 → 50 (narrowed input constraint: breaking)" in (
        r.stdout)
    after = snapshot(project)
    assert {k: v for k, v in after.items() if k in r1} == r1  # r1 untouched
    manifest = json.loads(after["parcel/r2/manifest.json"])
    assert (manifest["revision"], manifest["contract_major"], manifest["previous_revision"]) == (
        2, 2, 1)
    d = run(project, "diff", "parcel")
    assert d.exit_code == 0
    assert d.stdout.splitlines()[0] == "parcel: r1 (v1) → r2 (v2)"
    assert ("  breaking    input.weight_kg: maximum 70 → 50 (narrowed input constraint:"
            " breaking)") in d.stdout
    assert "1 breaking change; files changed:" in d.stdout


def test_compatible_change_keeps_the_major(project: Path) -> None:
    run(project, "compile")
    edit(project / "specs" / "parcel.md", "| days      | integer | 1..14 ",
         "| days      | integer | 1..30 ")
    r = run(project, "compile")
    assert "parcel: r2 (v1) written, 1 compatible change" in r.stdout
    assert "input.days: maximum 14 → 30 (loosened input constraint: compatible)" in r.stdout


def test_errors_are_compiler_style_and_other_specs_still_written(project: Path) -> None:
    bad = write_spec(project, "broken")
    edit(bad, "| number  | > 0", "| nmber   | > 0")
    edit(bad, "max 200 characters", "max 200 charcters")
    r = run(project, "compile")
    assert r.exit_code == 1
    errors = r.stderr.splitlines()
    assert errors and all(line.startswith("specs/broken.md:") for line in errors)
    assert 'specs/broken.md:16:15: error: unknown type "nmber" (did you mean "number"?)' in errors
    assert errors == sorted(errors, key=lambda e: [int(x) for x in e.split(":")[1:3]])
    assert "broken: failed (" in r.stdout and "nothing written" in r.stdout
    assert "Traceback" not in r.output
    assert not (project / "generated" / "broken").exists()
    assert (project / "generated" / "parcel" / "r1").is_dir()
    assert run(project, "compile", "--check").exit_code == 1


def test_hand_edited_file_is_drift(project: Path) -> None:
    run(project, "compile")
    models = project / "generated" / "parcel" / "r1" / "models.py"
    models.write_text(models.read_text() + "# hand edit\n")
    r = run(project, "compile", "--check")
    assert r.exit_code == 1
    assert "generated/parcel/r1 differs from what specs/parcel.md compiles to:" in r.stdout
    assert "-# hand edit" in r.stdout
    c = run(project, "compile")
    assert c.exit_code == 1
    assert "generated/parcel/r1/models.py differs from its hash in manifest.json" in c.stderr


def test_edited_earlier_revision_and_extra_files(project: Path) -> None:
    run(project, "compile")
    edit(project / "specs" / "parcel.md", "1..14", "1..30")
    run(project, "compile")
    (project / "generated" / "parcel" / "r1" / "logic.json").write_text("{}\n")
    (project / "generated" / "parcel" / "r2" / "notes.txt").write_text("x")
    (project / "generated" / "parcel" / "r2" / "__pycache__").mkdir()
    r = run(project, "compile", "--check")
    assert r.exit_code == 1
    assert "generated/parcel/r1/logic.json differs from its hash in manifest.json" in r.stdout
    assert "generated/parcel/r2/notes.txt is not part of the revision" in r.stdout
    assert "__pycache__" not in r.stdout


def test_orphan_generated_dir(project: Path) -> None:
    run(project, "compile")
    (project / "specs" / "courier.md").unlink()
    r = run(project, "compile")
    assert r.exit_code == 0
    assert "warning: generated/courier: no spec compiles to it" in r.stderr
    c = run(project, "compile", "--check")
    assert c.exit_code == 1 and "error: generated/courier: no spec compiles to it" in c.stderr
    assert c.stdout.splitlines()[-1] == "1 spec: 1 up to date, 0 out of date, 0 failed, 1 orphan"


def test_changed_compiler_code_is_never_trusted(project: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A manifest written by other compiler code (fingerprint) is checked by recompiling."""
    from specwright.runtime.project import compile as project_module

    run(project, "compile")
    manifest = json.loads((project / "generated/parcel/r1/manifest.json").read_text())
    assert manifest["compiler_fingerprint"] == project_module.compiler_fingerprint()
    assert len(manifest["compiler_fingerprint"]) == 64
    calls: list[str] = []
    real = project_module._default_compile

    def counting(text: str, source: str) -> Any:
        calls.append(source)
        return real(text, source)

    monkeypatch.setattr(project_module, "_default_compile", counting)
    assert run(project, "compile", "--check").exit_code == 0 and calls == []
    from specwright.runtime.project import plan as plan_module  # where it is read

    monkeypatch.setattr(plan_module, "compiler_fingerprint", lambda: "0" * 64)
    assert run(project, "compile", "--check").exit_code == 0
    assert sorted(calls) == ["specs/courier.md", "specs/parcel.md"]


def test_full_check_recompiles(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast check trusts spec hash + compiler fingerprint; --full recompiles everything."""
    run(project, "compile")
    import specwright.compiler.models_gen as models_gen  # render_content imports its renderers when called

    original = models_gen.models_source
    monkeypatch.setattr(models_gen, "models_source", lambda c, m: original(c, m) + "# v2\n")
    assert run(project, "compile", "--check").exit_code == 0
    r = run(project, "compile", "--check", "--full")
    assert r.exit_code == 1 and "+# v2" in r.stdout


def test_unchanged_specs_are_not_recompiled(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(project, "compile")

    def boom(text: str, source: str) -> Any:
        raise AssertionError("compiled")

    monkeypatch.setattr("specwright.runtime.project.compile._default_compile", boom)
    assert run(project, "compile").exit_code == 0
    assert run(project, "compile", "--check").exit_code == 0


def test_internal_compiler_error_is_a_diagnostic(project: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any) -> Any:
        raise RuntimeError("kaput")

    monkeypatch.setattr("specwright.runtime.project.compile._default_compile", boom)
    r = run(project, "compile")
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert ("specs/parcel.md:1:1: error: internal compiler error: RuntimeError: kaput"
            " (please report this)") in r.stderr
    monkeypatch.undo()
    monkeypatch.setattr("specwright.compiler.testgen.render_test_module", boom)  # a renderer bug
    r = run(project, "compile", "--check")
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "specs/courier.md:1:1: error: internal compiler error: RuntimeError: kaput" in r.stderr


def test_duplicate_spec_names(project: Path) -> None:
    """The checker ties a spec's name to its file name; the project still refuses duplicates."""
    from specwright.compiler import compile_spec

    def same_name(text: str, source: str) -> Any:
        return compile_spec(text.replace("name: courier", "name: parcel"), "specs/parcel.md")

    result = compile_project(project, Settings(), compile_fn=same_name)
    assert not result.ok
    courier, parcel = result.outcomes
    assert courier.created and courier.name == "parcel"
    assert parcel.errors[0].message == (
        'spec name "parcel" is already used by specs/courier.md; names must be unique')
    assert parcel.errors[0].file == "specs/parcel.md"
    assert sorted(os.listdir(project / "generated")) == ["parcel"]
    write_spec(project, "parcel-copy", SPEC.format(name="parcel"))
    r = run(project, "compile")
    assert r.exit_code == 1 and "specs/parcel-copy.md:2:7: error: name" in r.stderr


def test_diff_command_choices(project: Path) -> None:
    assert "no generated revisions of parcel" in run(project, "diff", "parcel").stderr
    run(project, "compile")
    r = run(project, "diff", "specs/parcel.md")
    assert r.exit_code == 0 and r.stdout == "parcel: only r1 (v1); nothing to compare\n"
    edit(project / "specs" / "parcel.md", "1..14", "1..30")
    run(project, "compile")
    edit(project / "specs" / "parcel.md", "Explain the choice", "Explain your choice")
    run(project, "compile")
    r = run(project, "diff", "parcel")
    assert r.stdout.splitlines() == [
        "parcel: r2 (v1) → r3 (v1)",
        "  rule        rule 1: Explain the choice in one sentence. → Explain your choice in one "
        "sentence.",
        "no contract change, 1 rule change; files changed: prompt.j2, spec.json",
    ]
    r = run(project, "diff", "parcel", "--from", "1", "--to", "3")
    assert "input.days: maximum 14 → 30" in r.stdout
    r = run(project, "diff", "parcel", "--to", "9")
    assert r.exit_code == 1 and "parcel has no revision 9 (it has r1, r2, r3)" in r.stderr


def test_missing_project_dir_is_a_usage_error(tmp_path: Path) -> None:
    r = run(tmp_path / "nope", "compile")
    assert r.exit_code == 2 and "does not exist" in r.output and "Traceback" not in r.output


def test_api_for_hot_reload(project: Path) -> None:
    result = compile_project(project, Settings())
    assert result.ok and [o.name for o in result.outcomes] == ["courier", "parcel"]
    o = result.outcomes[1]
    assert (o.source, o.revision, o.major, o.created, o.diagnostics, o.changes) == (
        "specs/parcel.md", 1, 1, True, (), ())
    assert o.path == project / "generated" / "parcel" / "r1"
    again = compile_project(project, Settings(), write=False)
    assert [x.created for x in again.outcomes] == [False, False]
    (rev,) = read_revisions(project / "generated", "parcel")
    assert (rev.revision, rev.contract_major, rev.changes) == (1, 1, ())
    assert rev.integrity_problems() == []


def test_write_revision_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec_dir = tmp_path / "generated" / "x"
    write_revision(spec_dir, 1, {"a.txt": b"a"})
    with pytest.raises(FileExistsError):
        write_revision(spec_dir, 1, {"a.txt": b"b"})
    calls = []
    real = Path.write_bytes

    def failing(self: Path, data: bytes) -> int:
        calls.append(self)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing)
    with pytest.raises(OSError, match="disk full"):
        write_revision(spec_dir, 2, {"a.txt": b"a", "b.txt": b"b"})
    assert sorted(os.listdir(spec_dir)) == ["r1"]
    assert (spec_dir / "r1" / "a.txt").read_bytes() == b"a"


def test_parallel_compile_and_check_match_sequential(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from specwright.runtime.project.check import check_project

    monkeypatch.setattr("specwright.runtime.project.compile_all.PARALLEL_MIN", 2)
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        for name in ("one", "two", "three"):
            write_spec(root, name)
    assert compile_project(a, Settings(), jobs=1).ok
    result = compile_project(b, Settings(), jobs=2)
    assert result.ok and [o.name for o in result.outcomes] == ["one", "three", "two"]
    assert snapshot(a) == snapshot(b)
    edit(b / "specs" / "two.md", "1..14", "1..20")
    checked = check_project(b, Settings(), full=True, jobs=2)
    assert [o.ok for o in checked.outcomes] == [True, True, False]
    r = run(b, "compile", "--jobs", "2")
    assert r.exit_code == 0 and "two: r2 (v1) written, 1 compatible change" in r.stdout
