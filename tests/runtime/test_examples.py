"""The example specs of the repository, compiled by the real compiler and served end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from rt_support import CARRIER_IN, ORDER_OK, AppFactory, assert_error, logged, running

from specwright.runtime.models.fake import ScriptedModel, no_sleep
from specwright.runtime.models.router import Router

pytestmark = pytest.mark.usefixtures("no_provider_keys")

HAZMAT_ABROAD = {"order_id": "A-1003", "weight_kg": 8.5, "destination_country": "DE",
                 "promised_days": 10, "declared_value": 300, "hazmat": True}


async def test_rules_only_spec_needs_no_model_and_no_key(
    make_app: AppFactory, example_project: Path
) -> None:
    app = make_app(example_project)  # the default model factory: no key in the environment
    async with running(app) as c:
        r = await c.post("/specs/order-validation/v1", json=ORDER_OK)
        assert r.status_code == 200, r.text
        assert r.json()["decision"] == "accept"
        assert "X-Specwright-Model" not in r.headers
        run = await logged(app, r.headers["X-Specwright-Run-Id"])
        assert run.attempts == () and run.model is None and run.rule_trace


async def test_model_backed_spec_through_the_router_and_a_scripted_model(
    make_app: AppFactory, example_project: Path
) -> None:
    fake = ScriptedModel([{"carrier": "ups", "reason": "UPS ground is cheapest in time."}])
    app = make_app(example_project, model_factory=lambda rev: Router.of([fake], sleep=no_sleep))
    async with running(app) as c:
        r = await c.post("/specs/carrier-selection/v1", json=CARRIER_IN)
        assert r.status_code == 200, r.text
        assert r.json() == {"carrier": "ups", "service": "ground", "insured": False,
                            "reason": "UPS ground is cheapest in time."}
        assert r.headers["X-Specwright-Model"] == "fake:scripted"
        run = await logged(app, r.headers["X-Specwright-Run-Id"])
        assert [a.purpose for a in run.attempts] == ["call"]
    assert set(fake.requests[0].output_schema["properties"]) == {"carrier", "reason"}


async def test_guardrail_still_violated_after_repair_is_422_with_attempts_logged(
    make_app: AppFactory, example_project: Path
) -> None:
    usps = {"carrier": "usps", "reason": "cheapest"}
    fake = ScriptedModel([usps, usps, usps])
    app = make_app(example_project, model_factory=lambda rev: Router.of([fake], sleep=no_sleep))
    async with running(app) as c:
        r = await c.post("/specs/carrier-selection/v1", json=HAZMAT_ABROAD)
        body = assert_error(r, 422, "guardrail_failed")
        assert "Hazmat never goes with USPS" in body["message"]
        run = await logged(app, r.headers["X-Specwright-Run-Id"])
        assert run.status == "guardrail_failed"
        assert [a.purpose for a in run.attempts] == ["call", "repair"]
    assert "Hazmat never goes with USPS" in fake.requests[1].messages[-1].content


async def test_no_key_is_503_naming_the_variable(
    make_app: AppFactory, example_project: Path
) -> None:
    app = make_app(example_project)
    async with running(app) as c:
        r = await c.post("/specs/carrier-selection/v1", json=CARRIER_IN)
        body = assert_error(r, 503, "model_not_configured")
        assert "ANTHROPIC_API_KEY" in body["message"] and "OPENAI_API_KEY" in body["message"]
        run = await logged(app, r.headers["X-Specwright-Run-Id"])
        assert run.status == "model_not_configured"


async def test_mock_mode_answers_offline_and_says_so(
    make_app: AppFactory, example_project: Path
) -> None:
    app = make_app(example_project, mock=True)
    async with running(app) as c:
        r = await c.post("/specs/carrier-selection/v1", json=HAZMAT_ABROAD)
        assert r.status_code == 200, r.text
        assert r.headers["X-Specwright-Mock"] == "true"
        assert r.json()["carrier"] == "dhl"  # the spec's example output for this input
        run = await logged(app, r.headers["X-Specwright-Run-Id"])
        assert run.mock is True


async def test_openapi_of_the_example_specs(make_app: AppFactory, example_project: Path) -> None:
    async with running(make_app(example_project, mock=True)) as c:
        doc = (await c.get("/openapi.json")).json()
    op = doc["paths"]["/specs/carrier-selection/v1"]["post"]
    examples = op["requestBody"]["content"]["application/json"]["examples"]
    assert [e["summary"] for e in examples.values()][:3] == [
        "Small domestic parcel", "Hawaii, four days", "Hazmat abroad"]
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    props = doc["components"]["schemas"][ref]["properties"]
    assert props["weight_kg"]["description"] == "Packed weight in kilograms"
    assert "/specs/order-validation/v1" in doc["paths"]
