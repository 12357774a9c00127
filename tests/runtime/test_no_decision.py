"""A decision table that cannot decide a valid input: 422, logged with status ``no_decision``."""

from __future__ import annotations

from pathlib import Path

from rt_support import AppFactory, logged, no_model, running, triage_spec, write_revision

from specwright.runtime.engine.failures import status_of
from specwright.runtime.errors import DecisionConflict, DecisionError, NoDecision
from specwright.runtime.logstore.base import RUN_STATUSES, RunQuery
from specwright.runtime.records import RunStatus


def _gap_project(root: Path) -> Path:
    """triage without its catch-all row: a US order of 1000 or less matches no row."""
    compiled = triage_spec()
    table = compiled.tables[0]
    gap = table.model_copy(update={"rows": table.rows[:2],
                                 "cel": table.cel.replace(", true]", "]")})
    write_revision(root / "generated", compiled.model_copy(update={"tables": (gap,)}), 1, 1)
    (root / "specs").mkdir(parents=True, exist_ok=True)
    return root


async def test_an_undecided_input_is_logged_as_no_decision(
    tmp_path: Path, make_app: AppFactory
) -> None:
    app = make_app(root=_gap_project(tmp_path / "gap"), model_factory=no_model)
    async with running(app) as c:
        r = await c.post("/specs/triage/v1", json={"order_total": 10, "country": "US"})
        assert r.status_code == 422, r.text
        assert r.json()["type"] == "no_decision"
        run = await logged(app, r.headers["X-Specwright-Run-Id"])
        assert run.status == "no_decision"
        assert run.error is not None and run.error["type"] == "no_decision"
        listed = (await c.get("/runs", params={"status": "no_decision"})).json()
        assert [x["id"] for x in listed["runs"]] == [run.id]
        ok = await c.post("/specs/triage/v1", json={"order_total": 10, "country": "FR"})
        assert ok.status_code == 200 and ok.json() == {"action": "review"}
        assert (await c.get("/runs", params={"status": "no_decision"})).json()["runs"][0][
            "id"] == run.id


def test_every_table_failure_maps_to_no_decision() -> None:
    for exc in (NoDecision("gap"), DecisionConflict("conflict"), DecisionError("cel")):
        status: RunStatus = status_of(exc)
        assert status == "no_decision"
    assert "no_decision" in RUN_STATUSES
    assert RunQuery(status="no_decision").status == "no_decision"
