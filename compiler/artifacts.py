"""CompiledSpec + revision + contract major -> every file of ``generated/<spec>/r<N>/``.

The files: ``input.schema.json``, ``output.schema.json``, ``models.py``, ``prompt.j2``,
``logic.json``, ``spec.json``, the generated pytest module ``test_<spec>.py`` (rendered by
``specwright.compiler.testgen``; it finds its revision through ``Path(__file__).parent``) and
``manifest.json``.

``render_content`` renders the artifacts that define a revision's behaviour (everything but the
manifest); ``render_revision`` adds ``manifest.json``. Same input, byte-identical output.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from specwright.compiler.ir import CompiledSpec
from specwright.compiler.manifest import MANIFEST, build_manifest, canonical_json
from specwright.compiler.names import identifier

INPUT_SCHEMA = "input.schema.json"
OUTPUT_SCHEMA = "output.schema.json"
MODELS = "models.py"
PROMPT = "prompt.j2"
LOGIC = "logic.json"
SPEC = "spec.json"
CONTENT_FILES = (INPUT_SCHEMA, LOGIC, MODELS, OUTPUT_SCHEMA, PROMPT, SPEC)  # + the test module
ALL_FILES = (*CONTENT_FILES, MANIFEST)


def test_module_file(spec_name: str) -> str:
    """``test_carrier_selection.py``: the generated pytest module (``specwright.compiler.testgen``)."""
    return f"test_{identifier(spec_name, 'spec')}.py"


def content_files(spec_name: str) -> tuple[str, ...]:
    """Every artifact of a revision of ``spec_name`` but the manifest, in name order."""
    return tuple(sorted((*CONTENT_FILES, test_module_file(spec_name))))


def logic_document(compiled: CompiledSpec) -> dict[str, Any]:
    """Every decision table row and guardrail, as CEL with its spec line, for review."""
    tables = []
    for table in compiled.tables:
        doc = table.model_dump(mode="json")
        if not doc.get("priority"):
            doc.pop("priority", None)
        tables.append(doc)
    guardrails = [{"label": g.label, "line": g.line, "cel": g.cel} for g in compiled.guardrails]
    logic: dict[str, Any] = {
        "spec": compiled.spec.name,
        "table_decided": list(compiled.table_decided),
        "tables": tables,
        "guardrails": guardrails,
    }
    if compiled.review is not None:
        logic["review_when"] = {"line": compiled.review.line, "cel": compiled.review.cel}
    if compiled.derived:  # absent for specs without derived values: their logic.json is as before
        logic["derived"] = [d.model_dump(mode="json") for d in compiled.derived]
    return logic


def spec_json(compiled: CompiledSpec) -> bytes:
    # A spec without ``review when`` serialises as before the key existed: its revisions stay
    # byte-identical (no new revision of every spec for a key it does not use).
    exclude: dict[str, Any] | None = (
        {"review": True, "spec": {"review": True}} if compiled.review is None else None
    )
    return (compiled.model_dump_json(indent=2, exclude=exclude) + "\n").encode("utf-8")


def render_content(compiled: CompiledSpec, major: int) -> dict[str, bytes]:
    """Every artifact except the manifest, in name order."""
    # The renderers are imported here, not at the top: the file names above are all that
    # ``specwright compile --check`` needs of this module when every spec is up to date, and the
    # renderers pull in the CEL scanner and the FEEL parser.
    from specwright.compiler.models_gen import models_source
    from specwright.compiler.prompt import prompt_source
    from specwright.compiler.schema import input_schema, output_schema
    from specwright.compiler.testgen import render_test_module

    files = {
        INPUT_SCHEMA: canonical_json(input_schema(compiled, major)),
        LOGIC: canonical_json(logic_document(compiled)),
        MODELS: models_source(compiled, major).encode("utf-8"),
        OUTPUT_SCHEMA: canonical_json(output_schema(compiled, major)),
        PROMPT: prompt_source(compiled, major).encode("utf-8"),
        SPEC: spec_json(compiled),
        test_module_file(compiled.spec.name): render_test_module(compiled).encode("utf-8"),
    }
    return dict(sorted(files.items()))


def render_revision(
    compiled: CompiledSpec,
    *,
    revision: int,
    major: int,
    source_sha256: str,
    previous_revision: int | None = None,
    changes: Iterable[Mapping[str, Any]] = (),
    content: Mapping[str, bytes] | None = None,
    compiler_version: str | None = None,
    compiler_fingerprint: str | None = None,
) -> dict[str, bytes]:
    """All files of the revision directory, the manifest included (``content`` if pre-rendered)."""
    files = dict(content) if content is not None else render_content(compiled, major)
    manifest = build_manifest(
        compiled,
        revision=revision,
        major=major,
        source_sha256=source_sha256,
        content=files,
        previous_revision=previous_revision,
        changes=changes,
        compiler_version=compiler_version,
        compiler_fingerprint=compiler_fingerprint,
    )
    files[MANIFEST] = canonical_json(manifest)
    return dict(sorted(files.items()))
