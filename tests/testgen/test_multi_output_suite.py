"""The generated suite of a spec using every newer table form (``tests/data/scorecard.md``: a
collect-sum table, an output-order table with two outputs, a computed result): it passes, has
its table tests, and catches a computed value that breaks its output's constraint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tg_support import make_project, revision_dir, run_pytest, tamper

from specwright.runtime import testing

DATA = Path(__file__).resolve().parents[1] / "data"
SPEC = "scorecard"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path, {SPEC: (DATA / "scorecard.md").read_text(encoding="utf-8")})


def test_the_generated_suite_passes_with_a_test_per_table(project: Path) -> None:
    rev = revision_dir(project, SPEC)
    module = (rev / "test_scorecard.py").read_text(encoding="utf-8")
    for table in ("Decision: points", "Decision: routing, review_level", "Decision: bonus"):
        assert f'testing.check_boundaries(SUITE, "{table}")' in module
    # a sum and a computed result must always have a value; output-order lists may be empty
    assert 'testing.check_tables_total(SUITE, "Decision: points")' in module
    assert 'testing.check_tables_total(SUITE, "Decision: routing, review_level")' not in module
    done = run_pytest(project, rev)
    assert done.returncode == 0, done.stdout[-3000:]


def test_a_computed_value_out_of_bounds_is_caught_at_test_time(project: Path) -> None:
    rev = revision_dir(project, SPEC)

    def negative(data: dict[str, Any]) -> None:  # a bonus below its ">= 0"
        bonus = next(t for t in data["tables"] if t["name"] == "Decision: bonus")
        bonus["rows"][0]["computed"]["bonus"] = "0 - input.income"

    tamper(rev, negative)
    with pytest.raises(testing.SpecCheckFailed) as failed:
        testing.check_tables_total(testing.SpecSuite.load(rev), "Decision: bonus")
    assert "row 1 (line 54): = 0 - input.income: bonus = " in str(failed.value)
    assert "must be >= 0" in str(failed.value)
