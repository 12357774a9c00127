"""Canonical JSON, hashes and ``manifest.json`` of a revision directory.

``content_sha256`` covers every artifact except the manifest: it is the sha256 of the lines
``<name> <sha256 of the file>\\n`` in name order, so it can be recomputed from the manifest's
``artifacts`` table alone. No artifact embeds the revision number, hence identical compiled
content gives an identical content hash (that is how an unchanged spec is recognised).

``compiler_fingerprint`` (a hash of the compiler's source files, computed by the caller: the
compiler does no I/O) lets ``specwright compile --check`` trust a manifest without recompiling
only when the very same compiler code produced it.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from specwright.compiler.ir import CompiledSpec

MANIFEST = "manifest.json"


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def canonical_json(obj: Any) -> bytes:
    """The one JSON format of every artifact: 2-space indent, insertion order, UTF-8, final newline."""
    text = json.dumps(obj, indent=2, sort_keys=False, ensure_ascii=False, default=_json_default)
    return (text + "\n").encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def spec_sha256(text: str) -> str:
    """Hash of the spec source text (UTF-8)."""
    return sha256_hex(text.encode("utf-8"))


def artifact_hashes(artifacts: Mapping[str, bytes]) -> dict[str, str]:
    """``{name: sha256}`` for every artifact but the manifest, in name order."""
    return {name: sha256_hex(artifacts[name]) for name in sorted(artifacts) if name != MANIFEST}


def content_sha256_of(hashes: Mapping[str, str]) -> str:
    """The content hash from an artifact hash table (as stored in a manifest)."""
    lines = "".join(f"{name} {hashes[name]}\n" for name in sorted(hashes) if name != MANIFEST)
    return sha256_hex(lines.encode("utf-8"))


def content_sha256(artifacts: Mapping[str, bytes]) -> str:
    return content_sha256_of(artifact_hashes(artifacts))


def route_document(compiled: CompiledSpec) -> dict[str, Any]:
    route = compiled.spec.route
    models: list[dict[str, Any]] = []
    for m in route.models:
        entry: dict[str, Any] = {"ref": m.ref}
        if m.weight is not None:
            entry["weight"] = m.weight
        models.append(entry)
    return {"strategy": route.strategy, "models": models}


def build_manifest(
    compiled: CompiledSpec,
    *,
    revision: int,
    major: int,
    source_sha256: str,
    content: Mapping[str, bytes],
    previous_revision: int | None,
    changes: Iterable[Mapping[str, Any]],
    compiler_version: str | None = None,
    compiler_fingerprint: str | None = None,
) -> dict[str, Any]:
    """The ``manifest.json`` document for a revision whose other files are ``content``."""
    if compiler_version is None:
        from specwright.compiler import __version__ as compiler_version
    hashes = artifact_hashes(content)
    return {
        "name": compiled.spec.name,
        "source": compiled.spec.source,
        "revision": revision,
        "contract_major": major,
        "previous_revision": previous_revision,
        "compiler_version": compiler_version,
        "compiler_fingerprint": compiler_fingerprint,
        "spec_sha256": source_sha256,
        "content_sha256": content_sha256_of(hashes),
        "artifacts": hashes,
        "route": route_document(compiled),
        "table_decided": list(compiled.table_decided),
        "model_decided": list(compiled.model_decided),
        "changes": [dict(c) for c in changes],
    }
