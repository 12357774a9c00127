"""CompiledSpec + revision + major -> the files of a revision directory."""

from __future__ import annotations

import json
import re
from typing import Any

from specwright.compiler.artifacts import ALL_FILES, content_files, render_content, render_revision
from specwright.compiler.ir import CompiledSpec
from specwright.compiler.manifest import content_sha256, content_sha256_of, sha256_hex, spec_sha256


def manifest_of(files: dict[str, bytes]) -> dict[str, Any]:
    return json.loads(files["manifest.json"])  # type: ignore[no-any-return]


def test_file_set_and_manifest(full: CompiledSpec) -> None:
    files = render_revision(full, revision=3, major=2, source_sha256=spec_sha256("text"),
                            previous_revision=2,
                            changes=[{"kind": "breaking", "path": "input.x", "message": "m"}],
                            compiler_version="9.9", compiler_fingerprint="f" * 64)
    assert tuple(files) == tuple(sorted((*ALL_FILES, "test_carrier_selection.py")))
    m = manifest_of(files)
    assert list(m) == ["name", "source", "revision", "contract_major", "previous_revision",
                       "compiler_version", "compiler_fingerprint", "spec_sha256",
                       "content_sha256", "artifacts", "route", "table_decided", "model_decided",
                       "changes"]
    assert (m["name"], m["revision"], m["contract_major"], m["previous_revision"]) == (
        "carrier-selection", 3, 2, 2)
    assert m["spec_sha256"] == sha256_hex(b"text") and m["compiler_version"] == "9.9"
    assert m["compiler_fingerprint"] == "f" * 64
    assert m["artifacts"] == {n: sha256_hex(files[n]) for n in content_files("carrier-selection")}
    assert m["content_sha256"] == content_sha256_of(m["artifacts"]) == content_sha256(files)
    assert m["route"] == {"strategy": "fallback", "models": [{"ref": "openai:gpt-4.1-mini"}]}
    assert m["table_decided"] == ["service"]
    assert m["model_decided"] == ["carrier", "insured", "reason", "refund", "eta"]
    assert m["changes"] == [{"kind": "breaking", "path": "input.x", "message": "m"}]


def test_compiler_version_defaults_to_the_package(full: CompiledSpec) -> None:
    from specwright.compiler import __version__

    files = render_revision(full, revision=1, major=1, source_sha256="0")
    assert manifest_of(files)["compiler_version"] == __version__


def test_content_does_not_embed_the_revision(full: CompiledSpec) -> None:
    a = render_revision(full, revision=1, major=1, source_sha256="a")
    b = render_revision(full, revision=7, major=1, source_sha256="b", previous_revision=6)
    assert {k: v for k, v in a.items() if k != "manifest.json"} == {
        k: v for k, v in b.items() if k != "manifest.json"}
    assert manifest_of(a)["content_sha256"] == manifest_of(b)["content_sha256"]
    assert render_content(full, 2) != render_content(full, 1)  # the major is in the titles


def test_byte_identical_and_no_timestamps(full: CompiledSpec) -> None:
    a = render_revision(full, revision=1, major=1, source_sha256="a")
    assert a == render_revision(full, revision=1, major=1, source_sha256="a")
    for data in a.values():
        text = data.decode("utf-8")
        assert not re.search(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(?!Z\")", text.replace(
            "2024-05-01T10:00:00Z", "").replace("2024-05-01T14:30:00Z", ""))
        assert text.endswith("\n")


def test_test_module_is_an_artifact(full: CompiledSpec) -> None:
    from specwright.compiler.testgen import render_test_module

    content = render_content(full, 1)
    assert content["test_carrier_selection.py"] == render_test_module(full).encode()
    assert content_files("carrier-selection") == tuple(content)


def test_spec_json_round_trips(full: CompiledSpec) -> None:
    data = render_content(full, 1)["spec.json"]
    assert CompiledSpec.model_validate_json(data) == full
    # a spec without ``review when`` has no review key at all (its bytes as before the key)
    assert full.review is None
    without = {"review": True, "spec": {"review": True}}
    assert data == (full.model_dump_json(indent=2, exclude=without) + "\n").encode()


def test_logic_json(full: CompiledSpec) -> None:
    logic = json.loads(render_content(full, 1)["logic.json"])
    assert logic["spec"] == "carrier-selection" and logic["table_decided"] == ["service"]
    (table,) = logic["tables"]
    assert (table["name"], table["line"], table["hit_policy"]) == ("Decision: service", 40, "first")
    assert table["rows"][0] == {"number": 1, "line": 42, "cells": ["<= 1"],
                                "condition": "input.promised_days <= 1",
                                "results": {"service": "overnight"}}
    assert table["cel"] == "[input.promised_days <= 1, true]" and "priority" not in table
    assert logic["guardrails"] == [{"label": "Hazmat never goes with USPS", "line": 50,
                                    "cel": '!(input.hazmat && output.carrier == "usps")'}]
