"""Request bodies: the server accepts what the published OpenAPI schema accepts, and refuses the rest.

Regression for schemathesis' "schema-violating request accepted" on ``POST /specs/{name}/impact``
(``bench/schemathesis_run.py --max-examples 150 --seed 21``): ``{"label": null, "max_changed":
false}`` was answered 200, because Pydantic's lax mode read ``false`` as the integer 0 (and
``"5"`` as 5, and a unix timestamp as a date-time), none of which the schema admits. Each body
below is first checked against the published schema, so the test cannot drift from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rt_support import AppFactory, running

from specwright.runtime.config import Settings
from specwright.runtime.testing.schema_validation import validator_for

REPO = Path(__file__).resolve().parents[2]
IMPACT = "/specs/triage/impact"
MOVE = "/specs/triage/labels/stable"

VIOLATING_IMPACT = [
    {"label": None, "max_changed": False},  # the case schemathesis found
    {"max_changed": True},
    {"revision": True},
    {"revision": "1"},
    {"limit": "100"},
    {"limit": 10.5},
    {"since": 1_700_000_000},
    {"since": "1700000000"},
    {"since": "2026-01-01"},
    {"revision": 0},  # its minimum was published as "ge", unknown to JSON Schema
    {"max_changed": -1},
]
CONFORMING_IMPACT = [
    {},
    {"label": None, "max_changed": 0},
    {"limit": 100.0},  # a whole float is an integer in JSON Schema
    {"since": "2026-01-01T00:00:00Z"},
    {"since": "24h", "revision": 1},
]


def _body_validator(openapi: dict[str, Any], path: str) -> Any:
    body = openapi["paths"][path.replace("triage", "{name}").replace("stable", "{label}")]
    schema = body["post"]["requestBody"]["content"]["application/json"]["schema"]
    return validator_for({**schema, "components": openapi["components"]})


@pytest.mark.parametrize("body", VIOLATING_IMPACT, ids=repr)
async def test_impact_refuses_what_its_schema_refuses(make_app: AppFactory, body: Any) -> None:
    async with running(make_app()) as c:
        openapi = (await c.get("/openapi.json")).json()
        assert not _body_validator(openapi, IMPACT).is_valid(body), "not a violating body"
        r = await c.post(IMPACT, json=body)
        assert r.status_code == 422, r.text
        assert r.json()["type"] == "invalid_input"


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node).union(*(_keys(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_keys(v) for v in node))
    return set()


async def test_the_openapi_document_has_no_pydantic_only_bounds(make_app: AppFactory) -> None:
    """A bound on an optional field once came out as Pydantic's "ge" instead of "minimum"."""
    async with running(make_app()) as c:
        openapi = (await c.get("/openapi.json")).json()
    schemas = [openapi["components"]["schemas"], *openapi["paths"].values()]
    assert not {"ge", "gt", "le", "lt", "max_length", "min_length"} & _keys(schemas)


@pytest.mark.parametrize("body", CONFORMING_IMPACT, ids=repr)
async def test_impact_accepts_what_its_schema_accepts(make_app: AppFactory, body: Any) -> None:
    async with running(make_app()) as c:
        openapi = (await c.get("/openapi.json")).json()
        assert _body_validator(openapi, IMPACT).is_valid(body)
        r = await c.post(IMPACT, json=body)
        assert r.status_code == 200, r.text


@pytest.mark.parametrize("revision", [True, "1"], ids=repr)
async def test_label_move_refuses_a_revision_that_is_not_an_integer(
    make_app: AppFactory, revision: Any
) -> None:
    async with running(make_app()) as c:
        openapi = (await c.get("/openapi.json")).json()
        body = {"revision": revision}
        assert not _body_validator(openapi, MOVE).is_valid(body)
        r = await c.post(MOVE, json=body)
        assert r.status_code == 422, r.text
        ok = {"revision": 1.0}
        assert _body_validator(openapi, MOVE).is_valid(ok)
        assert (await c.post(MOVE, json=ok)).status_code == 200


async def test_a_body_over_the_size_limit_is_a_413_before_it_is_read(
    make_app: AppFactory,
) -> None:
    """The other half of the report: schemathesis' multi-megabyte negative bodies get 413, which
    is a refusal, but not among schemathesis' default "rejected" statuses; bench/schemathesis.toml
    lists it (see test_bench_config_counts_413_as_a_refusal)."""
    app = make_app(settings=Settings(max_body_bytes=1_000))
    async with running(app) as c:
        r = await c.post(IMPACT, json={"label": "x" * 5_000})
        assert r.status_code == 413
        assert r.json()["type"] == "payload_too_large"


def test_bench_config_counts_413_as_a_refusal() -> None:
    """bench/schemathesis_run.py's config: schemathesis' own rejected statuses, plus 413."""
    from schemathesis.config import SchemathesisConfig
    from schemathesis.config._checks import NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES

    config = SchemathesisConfig.from_path(REPO / "bench" / "schemathesis.toml")
    statuses = config.projects.default.checks.negative_data_rejection.expected_statuses
    assert set(statuses) == {*NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES, "413"}
