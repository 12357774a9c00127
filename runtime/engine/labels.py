"""Moving labels: promote, rollback, history; and loading the revisions labels point at.

The CLI (``specwright promote``) and the server (``POST /specs/{name}/labels/{label}``) both
come here, so a move means the same wherever it is made:

* the target must exist (a directory under ``generated/`` or a revision stored in the log
  database) and load (``load_revision``); otherwise ``LabelRefused`` names why;
* the target's files are stored in the log database, so every replica can load it;
* the move is recorded (who, when, from, to, why) in the same transaction that moves it.

Rollback undoes the last promotion not already undone; with nothing to undo it steps back to
the revision before the one served. Replicas without a revision's directory materialise it
from the database into ``<data_dir>/revisions/<spec>/<content hash>/r<N>/`` (content-addressed,
verified against the manifest's hashes) and load it from there.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from specwright.compiler.manifest import MANIFEST, content_sha256_of, sha256_hex
from specwright.runtime.engine.catalog import DEFAULT_LABEL, LoadedRevision, load_revision
from specwright.runtime.errors import LabelRefused, RevisionLoadError
from specwright.runtime.logstore.labels import LabelDB, LabelMove, StoredRevision

LABEL_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_IGNORED = frozenset({"__pycache__", ".pytest_cache"})


@dataclass(frozen=True, slots=True)
class Places:
    """Where revisions live on this machine."""

    generated_dir: Path
    cache_dir: Path  # materialised revisions from the database


def check_label_name(label: str) -> str:
    if not LABEL_NAME.fullmatch(label):
        raise LabelRefused(
            f"label {label[:60]!r} is not a label name: use lower-case letters, digits, - and _, "
            "starting with a letter (production, staging, canary-2)"
        )
    return label


def revisions_on_disk(places: Places, spec: str) -> list[int]:
    spec_dir = places.generated_dir / spec
    if not spec_dir.is_dir():
        return []
    return sorted(int(p.name[1:]) for p in spec_dir.iterdir()
                  if re.fullmatch(r"r[1-9][0-9]*", p.name) and p.is_dir())


def known_revisions(db: LabelDB, places: Places, spec: str) -> list[int]:
    """Every revision of ``spec`` this machine or the database has, ascending."""
    return sorted(set(revisions_on_disk(places, spec)) | set(db.stored_revisions(spec)))


def stored_from_dir(spec: str, rev_dir: Path) -> StoredRevision:
    files = {p.name: p.read_bytes() for p in sorted(rev_dir.iterdir())
             if p.is_file() and p.name not in _IGNORED}
    manifest = json.loads(files[MANIFEST])
    return StoredRevision(spec, int(manifest["revision"]), int(manifest.get("contract_major", 1)),
                          str(manifest["content_sha256"]), files)


def verify(stored: StoredRevision) -> list[str]:
    """What is wrong with stored files against their manifest (empty: intact)."""
    try:
        manifest = json.loads(stored.files[MANIFEST])
        hashes = manifest["artifacts"]
    except (KeyError, ValueError, TypeError):
        return ["manifest.json is missing or unreadable"]
    problems = [f"{name} is missing" for name in sorted(set(hashes) - set(stored.files))]
    problems += [f"{name} differs from its hash" for name in sorted(set(hashes) & set(stored.files))
                 if sha256_hex(stored.files[name]) != hashes[name]]
    if content_sha256_of(hashes) != stored.content_sha256:
        problems.append("content_sha256 does not match the artifacts")
    return problems


def materialise(stored: StoredRevision, cache_dir: Path) -> Path:
    """The stored revision as a directory (written once, atomically; verified first)."""
    problems = verify(stored)
    if problems:
        raise RevisionLoadError("stored revision is damaged: " + "; ".join(problems))
    parent = cache_dir / stored.spec / stored.content_sha256[:32]
    final = parent / f"r{stored.revision}"
    if final.is_dir():
        return final
    parent.mkdir(parents=True, exist_ok=True)
    tmp = parent / f".r{stored.revision}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        for name, data in stored.files.items():
            (tmp / name).write_bytes(data)
        os.rename(tmp, final)
    except FileExistsError:  # another process of this machine got there first: same content
        shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if not final.is_dir():
            raise RevisionLoadError(f"cannot write {final}: {exc}") from None
    return final


def load_target(db: LabelDB, places: Places, spec: str, revision: int,
                *, store: bool = True) -> LoadedRevision:
    """Load ``spec`` r``revision`` from ``generated/`` or the database; store it in the database
    when it came from disk (``store``). ``LabelRefused`` says why it cannot be served."""
    rev_dir = places.generated_dir / spec / f"r{revision}"
    try:
        if rev_dir.is_dir():
            loaded = load_revision(rev_dir)
            if store:
                db.put_revision(stored_from_dir(spec, rev_dir))
        else:
            stored = db.get_revision(spec, revision)
            if stored is None:
                have = ", ".join(map(str, known_revisions(db, places, spec))) or "none"
                raise LabelRefused(
                    f"{spec} has no revision {revision} (its revisions: {have}); compile the "
                    "spec first, or pick one of these",
                    details={"spec": spec, "revision": revision},
                )
            loaded = load_revision(materialise(stored, places.cache_dir))
    except RevisionLoadError as exc:
        raise LabelRefused(f"{spec} r{revision} does not load: {exc}; it cannot be served",
                           details={"spec": spec, "revision": revision}) from None
    if loaded.name != spec:
        raise LabelRefused(f"r{revision} under {spec} is the spec {loaded.name!r}")
    return loaded


def current(db: LabelDB, places: Places, spec: str, label: str) -> tuple[bool, int | None, int | None]:
    """(the label exists, its revision or None for the latest, the revision it serves now)."""
    labels = db.labels(spec).get(spec, {})
    exists = label in labels
    target = labels.get(label)
    if target is not None:
        return exists, target, target
    known = known_revisions(db, places, spec)
    return exists, None, known[-1] if known else None


def promote(db: LabelDB, places: Places, spec: str, revision: int | None, *, label: str,
            actor: str, reason: str) -> tuple[LabelMove, LoadedRevision | None]:
    """Point ``label`` at ``revision`` (None: follow the latest revision)."""
    check_label_name(label)
    exists, _, served = current(db, places, spec, label)
    if revision is None:
        if served is None:
            raise LabelRefused(f"{spec} has no revision yet: compile it first")
        loaded = None
    else:
        loaded = load_target(db, places, spec, revision)
    expected = (exists, db.labels(spec).get(spec, {}).get(label))
    move = db.move(spec, label, revision, kind="promote", served_before=served, actor=actor,
                   reason=reason, expected=expected)
    return move, loaded


def rollback_target(db: LabelDB, places: Places, spec: str, label: str) -> int | None:
    """Where ``rollback`` moves ``label``: undo the last promotion not yet undone (None: it
    followed the latest revision then); with none, the revision before the one served."""
    stack: list[int | None] = []
    for m in db.history(spec, label):
        if m.kind == "promote":
            stack = stack or [m.from_revision if m.from_revision is not None
                              else m.served_before]
            stack.append(m.to_revision)
        elif len(stack) >= 2:
            stack.pop()
        else:
            stack = [m.to_revision]
    if len(stack) >= 2:
        return stack[-2]
    _, _, served = current(db, places, spec, label)
    earlier = [r for r in known_revisions(db, places, spec) if served is None or r < served]
    if not earlier:
        where = f"r{served}" if served is not None else "no revision"
        raise LabelRefused(f'label "{label}" of {spec} serves {where}: there is no earlier '
                           "revision to roll back to")
    return earlier[-1]


def rollback(db: LabelDB, places: Places, spec: str, *, label: str, actor: str,
             reason: str) -> tuple[LabelMove, LoadedRevision | None]:
    check_label_name(label)
    exists, target_now, served = current(db, places, spec, label)
    target = rollback_target(db, places, spec, label)
    loaded = None if target is None else load_target(db, places, spec, target)
    move = db.move(spec, label, target, kind="rollback", served_before=served, actor=actor,
                   reason=reason or "rollback", expected=(exists, target_now))
    return move, loaded


__all__ = ["DEFAULT_LABEL", "Places", "promote", "rollback", "load_target", "materialise"]
