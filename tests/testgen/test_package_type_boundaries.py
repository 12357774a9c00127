"""The package-type spec's generated boundary tests reach the carrier's limits where they decide:
750/751 g on a large letter, a 90 vs 90.1 cm sum on a packet, 35.3 vs 35.31 cm on the longest
side, 2,000/2,001 g and 15,000/15,001 g, each with the other cells of its row met, and the
runtime picks the row the cells say. The sums and sorted sides come from derived values."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from specwright.runtime.engine.pipeline import execute
from specwright.runtime.testing.boundaries import boundary_inputs, check_boundaries
from specwright.runtime.testing.computed_boundaries import computed_value
from specwright.runtime.testing.suite import Prepared, SpecSuite

ROOT = Path(__file__).resolve().parents[2]
TABLE = "Decision: package_type"


@pytest.fixture(scope="module")
def suite() -> SpecSuite:
    spec_dir = ROOT / "generated" / "package-type"
    latest = max(spec_dir.glob("r*"), key=lambda p: int(p.name[1:]))
    return SpecSuite.load(latest)


@pytest.fixture(scope="module")
def cases(suite: SpecSuite) -> list[dict[str, Any]]:
    table = suite.table(TABLE)
    out = []
    for prepared in boundary_inputs(suite, [table]):
        values: dict[str, Any] = {c.name: computed_value(c, prepared) for c in table.computed_columns}
        values["weight_g"] = prepared.raw["weight_g"]
        values["decided"] = _decided(suite, prepared)
        out.append(values)
    return out


def _decided(suite: SpecSuite, prepared: Prepared) -> str:
    outcome = suite.evaluate(suite.table(TABLE), prepared)
    return str(getattr(outcome, "results", {}).get("package_type"))


def _letter(c: dict[str, Any]) -> bool:
    return c["longest_cm"] <= 35.3 and c["middle_cm"] <= 25 and c["shortest_cm"] <= 2.5


def _packet(c: dict[str, Any]) -> bool:
    return c["longest_cm"] <= 60 and c["total_cm"] <= 90


@pytest.mark.parametrize(("name", "at_stake", "on", "past", "inside", "outside"), [
    ("weight_g", _letter, 750, 751, "large_letter", None),
    ("total_cm", lambda c: c["longest_cm"] <= 60 and c["weight_g"] <= 2000 and not (
        _letter(c) and c["weight_g"] <= 750), 90.0, 90.1, "packet", None),
    ("longest_cm", lambda c: c["middle_cm"] <= 25 and c["shortest_cm"] <= 2.5 and
     c["weight_g"] <= 750, 35.3, 35.31, "large_letter", None),
    ("weight_g", lambda c: _packet(c) and not _letter(c), 2000, 2001, "packet",
     "heavy_and_large"),
    ("weight_g", lambda c: c["longest_cm"] <= 120 and not _packet(c), 15000, 15001,
     "heavy_and_large", "courier"),
])
def test_each_limit_is_tested_on_and_just_past_it_where_it_decides(
    cases: list[dict[str, Any]], name: str, at_stake: Any, on: float, past: float,
    inside: str, outside: str | None,
) -> None:
    here = [c for c in cases if at_stake(c)]
    on_it = [c for c in here if c[name] == on]
    past_it = [c for c in here if c[name] == past]
    assert on_it and past_it, (name, on, past)
    assert {c["decided"] for c in on_it} == {inside}
    assert inside not in {c["decided"] for c in past_it}
    if outside is not None:
        assert {c["decided"] for c in past_it} == {outside}


def test_the_generated_boundary_check_passes(suite: SpecSuite) -> None:
    check_boundaries(suite, TABLE)


def test_the_run_trace_shows_the_derived_values(suite: SpecSuite) -> None:
    class Runs:
        async def write(self, run: Any) -> None:
            pass

    data = {"parcel_id": "P-1", "length_cm": 30.1, "width_cm": 29.9, "height_cm": 30,
            "weight_g": 1200}

    async def run() -> Any:
        from specwright.runtime.testing.standin import StandInModel

        standin = StandInModel(suite.revision, {"packing_note": "Pack it snugly."})
        return await execute(suite.revision, data, model=lambda: standin, store=Runs())

    result = asyncio.run(run())
    assert result.ok, result.body
    assert result.body["package_type"] == "packet"
    entry = next(t for t in result.run.rule_trace if t["table"] == TABLE)
    assert entry["values"] == {"longest_cm": 30.1, "middle_cm": 30.0, "shortest_cm": 29.9,
                               "total_cm": 90.0}
    assert "total_cm" not in suite.input_schema.get("properties", {})  # never sent by callers
