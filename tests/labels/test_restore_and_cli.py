"""Restoring a spec's earlier text gives the earlier revision back; promote, rollback and
history from the command line, recorded with who, when, from, to and why."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

from click.testing import CliRunner
from labels_support import compile_tiny

from specwright.runtime.cli import main
from specwright.runtime.config import Settings


def test_restoring_earlier_text_gives_the_earlier_revision_back(tmp_path: Path,
                                                                settings: Settings) -> None:
    root = tmp_path / "p"
    assert compile_tiny(root, "first", settings) == 1
    assert compile_tiny(root, "second", settings) == 2
    assert compile_tiny(root, "first", settings) == 1  # was: r3
    assert compile_tiny(root, "third", settings, breaking=True) == 3  # a new major, v2
    assert compile_tiny(root, "first", settings) == 1  # was: r4 and even a new major v3
    assert sorted(p.name for p in (root / "generated" / "tiny").iterdir()) == ["r1", "r2", "r3"]
    check = CliRunner().invoke(main, ["compile", "--check", "--project", str(root)])
    assert check.exit_code == 0, check.output
    again = CliRunner().invoke(main, ["compile", "--project", str(root)])
    assert again.exit_code == 0, again.output
    assert "tiny: r1 again (an earlier revision had this text; r3 is the latest)" in again.output


def test_incident_rollback_moves_the_served_revision_back(tmp_path: Path,
                                                          settings: Settings) -> None:
    root = tmp_path / "p"
    compile_tiny(root, "first", settings)
    compile_tiny(root, "second", settings)  # the bad change, served as the latest
    runner = CliRunner()
    run = runner.invoke(main, ["rollback", "tiny", "--reason", "r2 labels wrong",
                               "--project", str(root)])
    assert run.exit_code == 0, run.output
    assert "production: latest [served r2] -> r1" in run.output
    labels = runner.invoke(main, ["history", "tiny", "--project", str(root)])
    assert labels.exit_code == 0, labels.output
    assert f"rollback by {getpass.getuser()}  (r2 labels wrong)" in labels.output
    assert "now: production -> r1" in labels.output
    # nothing was recompiled or edited
    assert sorted(p.name for p in (root / "generated" / "tiny").iterdir()) == ["r1", "r2"]


def test_promote_rollback_history(tmp_path: Path, settings: Settings) -> None:
    root = tmp_path / "p"
    for label in ("first", "second", "third"):
        compile_tiny(root, label, settings)
    runner = CliRunner()

    def cli(*args: str) -> str:
        result = runner.invoke(main, [*args, "--project", str(root)])
        assert result.exit_code == 0, result.output
        return result.output

    cli("promote", "tiny", "2", "--reason", "reviewed")
    cli("promote", "tiny", "1", "--label", "staging")
    cli("promote", "tiny", "3", "--reason", "new labels")
    assert "production: r3 -> r2" in cli("rollback", "tiny")
    assert "production: r2 -> latest [served r2]" not in cli("history", "tiny")
    out = cli("history", "tiny", "--label", "production")
    lines = [line for line in out.splitlines() if not line.startswith("now:")]
    assert len(lines) == 3
    assert "production: latest [served r3] -> r2  promote by" in lines[0] and "(reviewed)" in lines[0]
    assert "production: r2 -> r3  promote" in lines[1] and "(new labels)" in lines[1]
    assert "production: r3 -> r2  rollback" in lines[2]
    assert "now: production -> r2" in out and "now: staging -> r1" in out
    # Rollbacks undo promotions in turn: the second undoes the first promotion (r3 was served).
    assert "production: r2 -> r3  rollback" in cli("rollback", "tiny")
    # With no promotion left to undo, a rollback steps back to the revision before.
    assert "production: r3 -> r2  rollback" in cli("rollback", "tiny")
    # "latest" makes the label follow the latest revision again; a rollback undoes that too.
    assert "production: r2 -> latest  promote" in cli("promote", "tiny", "latest")
    cli("promote", "tiny", "1")
    assert "production: r1 -> latest  rollback" in cli("rollback", "tiny")
    assert "now: production -> latest" in cli("history", "tiny")


def test_a_label_never_points_at_a_missing_or_broken_revision(tmp_path: Path,
                                                             settings: Settings) -> None:
    root = tmp_path / "p"
    compile_tiny(root, "first", settings)
    compile_tiny(root, "second", settings)
    runner = CliRunner()
    missing = runner.invoke(main, ["promote", "tiny", "9", "--project", str(root)])
    assert missing.exit_code != 0
    assert "tiny has no revision 9 (its revisions: 1, 2)" in missing.output
    (root / "generated" / "tiny" / "r1" / "models.py").write_text("raise SystemError('x')\n")
    broken = runner.invoke(main, ["promote", "tiny", "1", "--project", str(root)])
    assert broken.exit_code != 0
    assert "tiny r1 does not load: models.py: SystemError" in broken.output
    bad_name = runner.invoke(main, ["promote", "tiny", "2", "--label", "Prod!",
                                    "--project", str(root)])
    assert bad_name.exit_code != 0 and "is not a label name" in bad_name.output
    history = runner.invoke(main, ["history", "tiny", "--project", str(root)])
    assert "no label was ever moved" in history.output


def test_the_stored_revision_matches_its_directory(tmp_path: Path, settings: Settings) -> None:
    from specwright.runtime.logstore.labels import open_label_db

    root = tmp_path / "p"
    compile_tiny(root, "first", settings)
    result = CliRunner().invoke(main, ["promote", "tiny", "1", "--project", str(root)])
    assert result.exit_code == 0, result.output
    db = open_label_db(settings, root)
    assert db is not None
    try:
        stored = db.get_revision("tiny", 1)
    finally:
        db.close()
    assert stored is not None
    manifest = json.loads((root / "generated" / "tiny" / "r1" / "manifest.json").read_text())
    assert stored.content_sha256 == manifest["content_sha256"]
    assert set(stored.files) == {*manifest["artifacts"], "manifest.json"}
