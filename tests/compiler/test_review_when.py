"""``review when`` in the front matter: read, checked like a guardrail, located, serialised."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specwright.compiler import compile_spec
from specwright.compiler.artifacts import logic_document, spec_json
from specwright.compiler.errors import SpecError

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "specs/order-validation.md"
TEXT = (ROOT / SOURCE).read_text(encoding="utf-8")
LINE = "review when: output.needs_review"


def with_review(value: str | None) -> str:
    """order-validation with its review line replaced (None: removed)."""
    assert LINE in TEXT
    return TEXT.replace(LINE + "\n", "" if value is None else value + "\n")


def messages(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        compile_spec(text, SOURCE)
    return [f"{d.line}:{d.col}: {d.message}" for d in info.value.diagnostics]


def test_the_condition_is_compiled_into_the_spec() -> None:
    compiled = compile_spec(TEXT, SOURCE)
    assert compiled.review is not None
    assert (compiled.review.cel, compiled.review.line) == ("output.needs_review", 5)
    assert json.loads(spec_json(compiled))["review"]["cel"] == "output.needs_review"
    assert logic_document(compiled)["review_when"] == {"line": 5, "cel": "output.needs_review"}


def test_a_spec_without_it_serialises_as_before() -> None:
    compiled = compile_spec(with_review(None), SOURCE)
    assert compiled.review is None
    doc = json.loads(spec_json(compiled))
    assert "review" not in doc and "review" not in doc["spec"]
    assert "review_when" not in logic_document(compiled)


def test_an_unknown_field_is_located_with_did_you_mean() -> None:
    found = messages(with_review("review when: output.needs_reveiw"))
    assert len(found) == 1
    assert found[0].startswith("5:21: review when:")  # at the field name
    assert 'did you mean "needs_review"' in found[0]


def test_a_wrongly_typed_literal_is_refused() -> None:
    found = messages(with_review('review when: output.decision == "refer"'))
    assert found and found[0].startswith("5:") and "refer" in found[0]


def test_a_condition_that_is_not_a_boolean_is_refused() -> None:
    found = messages(with_review("review when: input.fraud_score + 1"))
    assert found == [found[0]] and "not true or false" in found[0]
    assert found[0].startswith("5:")


def test_a_misspelt_key_names_the_right_one() -> None:
    found = messages(with_review("review_when: output.needs_review"))
    assert any('did you mean "review when"' in m for m in found)


def test_a_condition_must_be_text() -> None:
    found = messages(with_review("review when: true"))
    assert found and "review when must be a condition in CEL" in found[0]


def test_a_quoted_condition_is_located_inside_the_quotes() -> None:
    found = messages(with_review("review when: 'output.needs_reveiw'"))
    assert found[0].startswith("5:22: ")


def test_a_richer_condition_compiles() -> None:
    value = 'review when: output.decision == "hold" || input.fraud_score >= 50'
    compiled = compile_spec(with_review(value), SOURCE)
    assert compiled.review is not None and "fraud_score" in compiled.review.cel
