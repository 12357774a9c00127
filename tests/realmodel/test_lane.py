"""The pipeline against a real model: what it does with real answers, not how wise they are.

Every example of every model-backed spec ends in a 200 whose guardrails all passed, or a 422
that names the guardrail; every attempt has its tokens and a cost of 0 (a local deployment);
a rejected answer is re-asked (a repair) and logged; replaying the recorded attempts reaches the
same verdict; at temperature 0 with a fixed seed the outputs are the ones pinned in
``pinned.json`` (re-pin with ``SPECWRIGHT_REPIN_REAL_MODEL=1`` after a deliberate change).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from rm_support import ROUTE, Lane, Runs

from specwright.runtime.config import load_settings
from specwright.runtime.engine.pipeline import execute
from specwright.runtime.models.cassette import Cassette, attempt_replayer
from specwright.runtime.models.registry import build_route

pytestmark = pytest.mark.real_model

PINNED = Path(__file__).with_name("pinned.json")


def test_every_example_ends_in_200_or_a_422_naming_a_guardrail(lane: Lane) -> None:
    assert len(lane.runs) >= 16  # every example of the five model-backed specs
    for run in lane.runs:
        where = f"{run.spec}: {run.title}"
        record, body = run.result.run, run.result.body
        labels = {g.label for g in run.suite.compiled.guardrails}
        if run.result.status_code == 200:
            assert record.status in ("ok", "escalated"), where
            assert record.guardrails and all(g["passed"] for g in record.guardrails), where
        else:
            assert run.result.status_code == 422, (where, body)
            assert body["type"] == "guardrail_failed", (where, body)
            named = [d["label"] for d in body["details"]]
            assert named and set(named) <= labels, (where, body)


def test_every_attempt_logs_its_tokens_and_a_cost_of_zero(lane: Lane) -> None:
    for run in lane.runs:
        attempts = run.result.run.attempts
        assert attempts, run.title
        for a in attempts:
            assert a.provider == "local" and a.model == "smollm2"
            assert (a.input_tokens or 0) > 0 and (a.output_tokens or 0) > 0, a
            assert a.cost_usd == 0.0
            assert a.error_class in (None, "GuardrailViolation", "OutputInvalid",
                                     "UnparseableOutput"), a


def test_a_rejected_answer_is_repaired_and_the_repair_is_logged(lane: Lane) -> None:
    repaired = [r for r in lane.runs if any(a.purpose == "repair" for a in r.result.run.attempts)]
    assert repaired, "no run re-asked the model"
    for run in repaired:
        purposes = [a.purpose for a in run.result.run.attempts]
        assert purposes[0] == "call" and purposes[1] == "repair"
        assert run.result.run.attempts[0].error  # the problems that caused the repair
    # the repair request carries the previous answer and the problems (recorded in the cassette)
    entries = [e for f in lane.cassettes.glob("*.json")
               for e in Cassette.open(f).entries(json.loads(f.read_text())["spec"]).values()]
    repairs = [e for e in entries if e["messages"][-2]["role"] == "assistant"]
    assert repairs and all("not accepted" in e["messages"][-1]["content"] for e in repairs)


def test_replaying_the_recorded_attempts_reaches_the_same_verdict(lane: Lane) -> None:
    settings = load_settings(lane.project)

    async def replay() -> list[tuple[int, Any]]:
        out = []
        for run in lane.runs:
            wrap = attempt_replayer(lane.cassettes / f"{run.spec}.json")
            router = build_route(ROUTE, settings, wrap=wrap)
            example = run.suite.example(run.title)
            result = await execute(run.suite.revision, dict(example.input),
                                   model=lambda r=router: r, store=Runs())
            out.append((result.status_code, result.body))
        return out

    replayed = asyncio.run(replay())
    for run, (status, body) in zip(lane.runs, replayed, strict=True):
        assert (status, body) == (run.result.status_code, run.result.body), run.title


def _outcomes(lane: Lane) -> dict[str, Any]:
    return {f"{r.spec}: {r.title}": {"status": r.result.status_code, "body": r.result.body,
                                     "attempts": [a.purpose for a in r.result.run.attempts]}
            for r in lane.runs}


def test_outputs_are_pinned_at_temperature_zero_with_a_seed(lane: Lane) -> None:
    got = _outcomes(lane)
    if os.environ.get("SPECWRIGHT_REPIN_REAL_MODEL") == "1":
        PINNED.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n", "utf-8")
        pytest.skip(f"re-pinned {PINNED.name}: review and commit it")
    pinned = json.loads(PINNED.read_text("utf-8"))
    assert set(got) == set(pinned), sorted(set(got) ^ set(pinned))
    changed = [k for k in sorted(pinned) if got[k] != pinned[k]]
    assert not changed, {k: {"pinned": pinned[k], "now": got[k]} for k in changed}
