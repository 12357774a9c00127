"""``specwright impact --live``: model-decided fields are asked of the model only after the
expected cost is shown and confirmed; without --live they are reported as not replayed."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from specwright.runtime.cli import main
from specwright.runtime.config import Settings
from specwright.runtime.engine.catalog import load_catalog
from specwright.runtime.engine.impact import expected_cost
from specwright.runtime.engine.model_factory import DefaultModels
from specwright.runtime.engine.pipeline import execute
from specwright.runtime.logstore import open_store
from specwright.runtime.project.compile_all import compile_project

REPO = Path(__file__).resolve().parents[2]
CARRIER = {"order_id": "A-1", "weight_kg": 1.2, "destination_country": "US",
           "destination_region": "OR", "promised_days": 5, "declared_value": 40}


@pytest.fixture
def carrier(tmp_path: Path, settings: Settings) -> Path:
    """carrier-selection with 12 runs logged, answered by the offline mock model."""
    root = tmp_path / "p"
    (root / "specs").mkdir(parents=True)
    shutil.copy(REPO / "specs" / "carrier-selection.md", root / "specs")
    assert compile_project(root, settings).ok
    revision = load_catalog(root / "generated").resolve("carrier-selection", 1)

    async def log_runs() -> None:
        models = DefaultModels(settings, mock=True)
        store = open_store(settings, root)
        await store.start()
        try:
            for i in range(12):
                x: dict[str, Any] = {**CARRIER, "weight_kg": 0.5 + i * 3}
                result = await execute(revision, x, model=lambda: models(revision), store=store)
                assert result.ok, result.body
        finally:
            await store.close()
            await models.aclose()

    asyncio.run(log_runs())
    return root


def test_model_fields_are_not_replayed_without_live(carrier: Path) -> None:
    result = CliRunner().invoke(main, ["impact", "carrier-selection", "--json",
                                       "--project", str(carrier)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["runs"] == 12 and report["changed"] == 0
    assert "carrier" in report["not_replayed"] and "carrier" not in report["compared_fields"]


def test_live_shows_the_cost_and_asks_first(carrier: Path) -> None:
    declined = CliRunner().invoke(main, ["impact", "carrier-selection", "--live",
                                         "--project", str(carrier)], input="n\n")
    assert declined.exit_code == 1
    assert "--live: 12 runs ask the model: expected cost" in declined.output
    assert "Run them?" in declined.output and "would change" not in declined.output
    live = CliRunner().invoke(main, ["impact", "carrier-selection", "--live", "--mock",
                                     "--json", "--project", str(carrier)])
    assert live.exit_code == 0, live.output
    report = json.loads(live.stdout)
    assert report["not_replayed"] == [] and "carrier" in report["compared_fields"]
    assert report["runs"] == 12 and report["changed"] == 0  # the same mock answers again


def test_expected_cost_from_logged_tokens() -> None:
    def price(i: int, o: int) -> float:
        return i * 1e-6 + o * 4e-6

    assert expected_cost([(100, 10), (300, 30), (0, 0)], 10, price) == pytest.approx(
        10 * (200e-6 + 20 * 4e-6))
    assert expected_cost([(0, 0)], 10, price) is None  # nothing recorded: unknown
    assert expected_cost([(100, 10)], 10, lambda i, o: None) is None  # no price: unknown
