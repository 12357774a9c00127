"""Loading revisions into the catalog: immutability, re-use on reload, broken directories."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rt_support import SHIPPING_INPUT, AppFactory, ScriptedStandIn, assert_error, logged, running

from specwright.runtime.engine.catalog import load_catalog
from specwright.runtime.errors import NotFound


def test_load_groups_revisions_by_major_and_resolves(project: Path) -> None:
    catalog = load_catalog(project / "generated")
    entry = catalog.specs["shipping"]
    assert [r.revision for r in entry.revisions] == [1, 2] and entry.majors == (1,)
    assert catalog.resolve("shipping", 1).revision == 2
    assert catalog.resolve("shipping", 1, 1).revision == 1
    rev = catalog.resolve("shipping", 1, 1)
    assert rev.input_model is not catalog.resolve("shipping", 1).input_model
    assert "note" in catalog.resolve("shipping", 1).input_model.model_fields
    assert "note" not in rev.input_model.model_fields
    with pytest.raises(NotFound, match="served specs: shipping, triage"):
        catalog.resolve("nope", 1)
    with pytest.raises(NotFound, match=r"its revisions: 1, 2"):
        catalog.resolve("shipping", 1, 3)
    with pytest.raises(AttributeError):
        catalog.specs = {}  # type: ignore[misc]


def test_reload_reuses_unchanged_revisions(project: Path) -> None:
    first = load_catalog(project / "generated")
    second = load_catalog(project / "generated", previous=first)
    assert second is not first
    assert second.specs["shipping"].revisions[0] is first.specs["shipping"].revisions[0]


def test_a_broken_revision_is_reported_and_the_others_are_served(project: Path) -> None:
    broken = project / "generated" / "shipping" / "r3"
    shutil.copytree(project / "generated" / "shipping" / "r2", broken)
    (broken / "models.py").write_text("raise ImportError('half written')\n")
    catalog = load_catalog(project / "generated")
    assert [r.revision for r in catalog.specs["shipping"].revisions] == [1, 2]
    assert len(catalog.load_errors) == 1 and "half written" in catalog.load_errors[0]


async def test_the_prompt_renders_in_a_sandbox(make_app: AppFactory, project: Path) -> None:
    prompt = project / "generated" / "shipping" / "r2" / "prompt.j2"
    prompt.write_text(
        "{% macro system() %}{{ ''.__class__.__mro__[1].__subclasses__() }}{% endmacro %}"
        "{% macro user(i, d) %}{{ i }}{% endmacro %}"
    )
    model = ScriptedStandIn([{"carrier": "ups", "reason": "x"}])
    app = make_app(model_factory=lambda rev: model)
    async with running(app) as c:
        r = await c.post("/specs/shipping/v1", json=SHIPPING_INPUT)
        assert_error(r, 500, "internal_error")
        run = await logged(app, r.headers["X-Specwright-Run-Id"])
        assert run.error is not None and run.error["details"]["exception"] == "SecurityError"
    assert model.requests == []


async def test_a_request_in_flight_keeps_its_revision_across_a_swap(
    make_app: AppFactory, project: Path
) -> None:
    import asyncio

    from rt_support import shipping_spec, write_revision

    from specwright.runtime.http.calls import sync_routes
    from specwright.runtime.http.state import get_state
    from specwright.runtime.models.base import Completion, ModelRequest

    release = asyncio.Event()
    asked = asyncio.Event()

    class Slow:
        name = "fake:slow"

        async def complete(self, request: ModelRequest) -> Completion:
            asked.set()
            await release.wait()
            return Completion(data={"carrier": "ups", "reason": "ok"}, model=self.name)

    app = make_app(model_factory=lambda rev: Slow())
    async with running(app) as c:
        first = asyncio.create_task(c.post("/specs/shipping/v1", json=SHIPPING_INPUT))
        await asyncio.wait_for(asked.wait(), 10)
        write_revision(project / "generated", shipping_spec(extra_input=True, breaking=True), 3, 2)
        state = get_state(app)
        state.catalog = load_catalog(project / "generated", previous=state.catalog)
        assert sync_routes(app, state.catalog)
        release.set()
        r = await asyncio.wait_for(first, 10)
        assert r.status_code == 200 and r.headers["X-Specwright-Revision"] == "2"
        r = await c.post("/specs/shipping/v2", json=SHIPPING_INPUT | {"customer_tier": "gold"})
        assert r.status_code == 200 and r.headers["X-Specwright-Revision"] == "3"
        assert "/specs/shipping/v2" in (await c.get("/openapi.json")).json()["paths"]
