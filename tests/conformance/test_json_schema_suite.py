"""``validator_for`` against the official JSON-Schema-Test-Suite, draft 2020-12.

Every case of every required (non-optional) file runs through ``validator_for`` and must get the
suite's verdict. Remote ``$ref``s (``http://localhost:1234/...``) resolve from the suite's own
``remotes/`` directory through a ``referencing`` registry; nothing is fetched. The few cases where
our validator differs are named in ``DIVERGENCES`` with the reason, and the test asserts that they
still differ in exactly that way (so a fixed upstream shows up here, to delete the entry).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from specwright.runtime.testing.schema_validation import validator_for

SUITE = (Path(__file__).resolve().parents[2].parent / "shared" / "data" / "conformance"
         / "json-schema-test-suite")
TESTS = SUITE / "tests" / "draft2020-12"
REMOTES = SUITE / "remotes"
REMOTE_BASE = "http://localhost:1234/"


@dataclass(frozen=True)
class Divergence:
    """Cases of ``file`` (whose group description equals ``group``, any group when None, and whose
    test description contains ``test``) where ours answers ``ours`` instead of the suite."""

    file: str
    group: str | None
    test: str
    ours: Literal["opposite verdict", "re.error"]
    reason: str


DIVERGENCES = (
    Divergence(
        "format.json", None, "is only an annotation by default", "opposite verdict",
        "validator_for asserts format on purpose (the suite's default is annotation only): the "
        "generated models refuse a malformed date or date-time, so the schema check must too"),
    Divergence(
        "pattern.json", "pattern with Unicode property escape requires unicode mode", "",
        "re.error",
        "Python's re has no \\p{...} classes (stock jsonschema raises the same); the compiler "
        "refuses a spec pattern re cannot compile, so no generated schema holds one"),
    Divergence(
        "patternProperties.json", "patternProperties with Unicode property escape", "",
        "re.error", "as pattern.json: Python's re has no \\p{...} classes"),
    Divergence(
        "vocabulary.json",
        "schema that uses custom metaschema with with no validation vocabulary",
        "but it still validates",
        "opposite verdict",
        "jsonschema does not implement $vocabulary (a metaschema cannot switch validation off); "
        "generated schemas use the standard 2020-12 metaschema"),
)


@dataclass(frozen=True)
class Case:
    file: str
    group: str
    test: str
    schema: Any
    data: Any
    valid: bool

    @property
    def id(self) -> str:
        return f"{self.file}: {self.group}: {self.test}"


def _cases() -> list[Case]:
    if not TESTS.is_dir():
        return []
    return [Case(path.name, group["description"], test["description"], group["schema"],
                 test["data"], test["valid"])
            for path in sorted(TESTS.glob("*.json"))
            for group in json.loads(path.read_text(encoding="utf-8"))
            for test in group["tests"]]


def _divergence(case: Case) -> Divergence | None:
    for d in DIVERGENCES:
        if (d.file == case.file and d.group in (None, case.group) and d.test in case.test):
            return d
    return None


def _registry() -> Registry[Any]:
    """The suite's remotes, each at the URI its tests name (``remotes/x/y.json`` is served as
    ``http://localhost:1234/x/y.json`` by the suite's reference harness)."""
    resources = [
        (REMOTE_BASE + path.relative_to(REMOTES).as_posix(),
         Resource.from_contents(json.loads(path.read_text(encoding="utf-8")),
                                default_specification=DRAFT202012))
        for path in sorted(REMOTES.rglob("*.json"))
    ]
    return Registry().with_resources(resources)


CASES = _cases()


@pytest.fixture(scope="module")
def registry() -> Registry[Any]:
    assert REMOTES.is_dir(), f"the suite copy has no remotes/ at {REMOTES}"
    return _registry()


def test_the_suite_is_all_there() -> None:
    """Guards the parametrisation below: a missing or truncated copy fails here, rather than
    passing by having few cases."""
    assert TESTS.is_dir(), f"the JSON-Schema-Test-Suite is not at {TESTS} (../shared/data)"
    files = {c.file for c in CASES}
    assert {"multipleOf.json", "ref.json", "refRemote.json", "dynamicRef.json",
            "unevaluatedProperties.json", "format.json"} <= files
    assert len(CASES) > 1200


def test_every_divergence_names_cases_and_multiple_of_has_none() -> None:
    for d in DIVERGENCES:
        assert any(_divergence(c) == d for c in CASES), f"{d} matches no case: delete it"
    assert not any(_divergence(c) for c in CASES if c.file == "multipleOf.json")
    assert sum(c.file == "multipleOf.json" for c in CASES) >= 10


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, registry: Registry[Any]) -> None:
    divergence = _divergence(case)
    validator = validator_for(case.schema, registry)
    if divergence is None:
        assert validator.is_valid(case.data) is case.valid
    elif divergence.ours == "re.error":
        with pytest.raises(re.error):
            validator.is_valid(case.data)
    else:
        assert validator.is_valid(case.data) is (not case.valid), divergence.reason


def test_float_overflow_optional_case_is_exact() -> None:
    """The suite's optional float-overflow case, inline: 1e308 is a multiple of 0.5. A decimal
    remainder in a 28-digit context overflowed here and called it "not a multiple"."""
    schema = {"type": "integer", "multipleOf": 0.5}
    assert validator_for(schema).is_valid(1e308)
    assert not validator_for({"type": "integer", "multipleOf": 0.123456789}).is_valid(1e308)
    assert not validator_for({"multipleOf": 0.01}).is_valid(float("inf"))
