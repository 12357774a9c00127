"""``serve --mock`` demonstrates every spec: each example of each spec in specs/ answers 200,
and the mock's invented values satisfy the spec's guardrails."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from rt_support import running

from specwright.compiler import compile_spec
from specwright.runtime.config import Settings
from specwright.runtime.http.app import create_app
from specwright.runtime.models.mock import MockModel, generate
from specwright.runtime.testing.input_strategies import valid_inputs

pytestmark = pytest.mark.usefixtures("no_provider_keys")

REPO = Path(__file__).resolve().parents[2]
SPECS = sorted((REPO / "specs").glob("*.md"))


def _examples() -> list[tuple[str, str, dict[str, object], dict[str, object]]]:
    out = []
    for path in SPECS:
        compiled = compile_spec(path.read_text(encoding="utf-8"), f"specs/{path.name}")
        for ex in compiled.spec.examples:
            out.append((compiled.spec.name, ex.title, dict(ex.input), dict(ex.output)))
    return out


EXAMPLES = _examples()


async def test_every_example_of_every_spec_answers_200_under_mock(example_project: Path) -> None:
    assert len(EXAMPLES) >= len(SPECS)
    failures = []
    async with running(create_app(Settings(), example_project, mock=True)) as c:
        for name, title, inp, expected in EXAMPLES:
            r = await c.post(f"/specs/{name}/v1", json=inp)
            if r.status_code != 200:
                failures.append(f"{name} / {title}: {r.status_code} {r.text[:300]}")
                continue
            body = r.json()
            wrong = {k: (body.get(k), v) for k, v in expected.items() if body.get(k) != v}
            if wrong:
                failures.append(f"{name} / {title}: {wrong}")
            text = json.dumps(body)
            if "-0.0" in text:
                failures.append(f"{name} / {title}: negative zero in {text}")
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------ random valid inputs

@pytest.fixture(scope="module")
def mock_client(compiled_examples: Path) -> Iterator[TestClient]:
    app = create_app(Settings(), compiled_examples, mock=True)
    with TestClient(app, client=("127.0.0.1", 50000)) as client:  # a loopback caller: no key
        yield client


def _input_schema(root: Path, name: str) -> dict[str, Any]:
    latest = max((root / "generated" / name).glob("r*"), key=lambda p: int(p.name[1:]))
    schema: dict[str, Any] = json.loads((latest / "input.schema.json").read_text())
    return schema


@pytest.mark.parametrize("name", sorted({e[0] for e in EXAMPLES}))
def test_random_valid_inputs_get_guardrail_satisfying_mock_answers(
    name: str, mock_client: TestClient, compiled_examples: Path
) -> None:
    schema = _input_schema(compiled_examples, name)
    spec_path = REPO / "specs" / f"{name}.md"
    fields = compile_spec(spec_path.read_text(encoding="utf-8"), f"specs/{name}.md").spec.inputs
    seen: list[str] = []

    @settings(max_examples=40, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                     HealthCheck.function_scoped_fixture])
    @given(valid_inputs(schema, fields))
    def run(body: dict[str, Any]) -> None:
        r = mock_client.post(f"/specs/{name}/v1", json=body)
        assert r.status_code != 500, r.text
        kind = r.json().get("type") if r.status_code != 200 else "ok"
        seen.append(str(kind))
        if kind == "guardrail_failed":
            assert _unsatisfiable(name, body), (body, r.text)

    run()
    assert "ok" in seen, seen


def _unsatisfiable(name: str, body: dict[str, Any]) -> bool:
    """Inputs no answer can serve: inventory-routing with no location in stock (its first
    guardrail asks for a location that has stock)."""
    if name == "inventory-routing":
        return not any(loc.get("stock", 0) > 0 for loc in body.get("locations", []))
    return False


# ------------------------------------------------------------------ the two bugs, directly

def test_an_example_matches_with_nested_defaults_filled_in() -> None:
    path = REPO / "specs" / "inventory-routing.md"
    compiled = compile_spec(path.read_text(encoding="utf-8"), "specs/inventory-routing.md")
    mock = MockModel.from_spec(compiled)
    example = compiled.spec.examples[1]  # its locations leave ships_same_day to its default
    served = {**example.input, "priority": "standard", "allow_split": True,
              "locations": [{**loc, "ships_same_day": False}
                            for loc in example.input["locations"]]}
    assert mock.example_for(served) == example.output


def test_a_zero_amount_is_not_negative() -> None:
    value = generate({"type": "number", "minimum": 0, "multipleOf": 0.01}, {})
    assert value == 0.0 and math.copysign(1.0, value) == 1.0
    assert generate({"type": "number", "minimum": 0.5, "multipleOf": 0.01}, {}) == 0.5
    assert generate({"type": "integer", "minimum": 1, "multipleOf": 2}, {}) == 2
