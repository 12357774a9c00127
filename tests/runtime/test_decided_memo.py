"""A revision remembers what a combination of table rows decides (``run_plan.Decided``), its
guardrail outcomes and the log texts it already encoded (``records.EncodedColumns``). A run
answered from those memos must be indistinguishable from one worked out afresh: the same answer,
the same record and the same log row, whatever the memos hold."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from specwright.compiler.evaluate import GuardrailResult, evaluate_guardrails, to_cel_values
from specwright.runtime.engine.catalog import LoadedRevision, load_catalog
from specwright.runtime.engine.pipeline import RunResult, execute
from specwright.runtime.engine.run_plan import build_plan, memo_key
from specwright.runtime.logstore.codec import RUN_COLUMNS, run_to_rows
from specwright.runtime.models.mock import MockModel
from specwright.runtime.records import RunRecord
from specwright.runtime.testing.input_strategies import valid_inputs

REPO = Path(__file__).resolve().parents[2]
CATALOG = load_catalog(REPO / "generated")
REVISIONS = sorted(CATALOG.routes().values(), key=lambda r: r.name)
_VARYING = {0, 4, 6}  # id, created_at, latency_ms: differ between any two runs


class Keep:
    """A log that keeps the last record written."""

    record: RunRecord | None = None

    async def write(self, run: RunRecord) -> None:
        self.record = run


def fresh(revision: LoadedRevision) -> LoadedRevision:
    """The revision with a plan of its own, its memos empty."""
    return dataclasses.replace(revision, plan=build_plan(revision.compiled))


def run(revision: LoadedRevision, data: Any) -> tuple[RunResult, RunRecord]:
    keep = Keep()
    mock = MockModel.from_spec(revision.compiled)
    result = asyncio.run(execute(revision, data, model=lambda: mock, store=keep))
    assert keep.record is not None and keep.record is result.run
    return result, keep.record


def comparable(record: RunRecord) -> tuple[Any, ...]:
    row, attempts = run_to_rows(record)
    row = tuple(v for i, v in enumerate(row) if i not in _VARYING)
    # An attempt's start time and latency differ between runs too.
    return row, [a[2:5] + a[7:] for a in attempts]


def same_run(memoized: LoadedRevision, data: Any) -> None:
    warm_result, warm_record = run(memoized, data)
    cold_result, cold_record = run(fresh(memoized), data)
    assert (warm_result.status_code, warm_result.body) == (
        cold_result.status_code, cold_result.body)
    assert comparable(warm_record) == comparable(cold_record)
    assert dataclasses.replace(warm_record, id="", created_at=0.0, latency_ms=0.0,
                               attempts=()) == dataclasses.replace(
        cold_record, id="", created_at=0.0, latency_ms=0.0, attempts=())
    # The texts the memos handed the log are exactly those of the record's values.
    encoded = warm_record.encoded
    assert encoded is not None
    for column in ("output", "rule_trace", "guardrails"):
        text = getattr(encoded, column)
        if text is not None:
            assert text == run_to_rows(dataclasses.replace(warm_record, encoded=None))[0][
                RUN_COLUMNS.index(column)]


@pytest.mark.parametrize("revision", REVISIONS, ids=lambda r: r.name)
def test_examples_answer_the_same_from_the_memos(revision: LoadedRevision) -> None:
    memoized = fresh(revision)
    for _ in range(2):  # the first pass fills the memos, the second reads them
        for example in revision.compiled.spec.examples:
            same_run(memoized, example.input)
    if not revision.model_decided:
        assert memoized.plan.memo, "a rules-only spec's examples should be remembered"
        assert any(d.output is not None for d in memoized.plan.memo.values())


@pytest.mark.parametrize(
    "revision", [r for r in REVISIONS if r.name in {"order-validation", "carrier-selection"}],
    ids=lambda r: r.name)
def test_generated_inputs_answer_the_same_from_the_memos(revision: LoadedRevision) -> None:
    memoized = fresh(revision)
    inputs = valid_inputs(dict(revision.input_schema), revision.compiled.spec.inputs)

    @settings(max_examples=120, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(data=inputs)
    def agree(data: Any) -> None:
        same_run(memoized, data)
        same_run(memoized, data)  # the second run of the same input reads the memos

    agree()


def test_a_caller_changing_an_answer_does_not_change_the_next() -> None:
    revision = fresh(CATALOG.resolve("order-validation", 1))
    example = revision.compiled.spec.examples[0]
    first, record = run(revision, example.input)
    expected = dict(first.body)
    first.body["decision"] = "tampered"
    assert record.output is not None
    record.output["decision"] = "tampered"
    record.rule_trace[0]["rows"].append(99)
    second, second_record = run(revision, example.input)
    assert second.body == expected
    assert 99 not in second_record.rule_trace[0]["rows"]
    same_run(revision, example.input)  # and its log row is still the one worked out afresh


def test_the_memos_stop_growing_at_their_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import specwright.runtime.engine.run_plan as run_plan

    monkeypatch.setattr(run_plan, "MEMO_LIMIT", 1)
    revision = fresh(CATALOG.resolve("order-validation", 1))
    for example in revision.compiled.spec.examples:
        same_run(revision, example.input)
    assert len(revision.plan.memo) == 1
    assert len(revision.plan.guardrail_results) <= 1
    assert len(revision.plan.guardrails_json) <= 1


def test_a_guardrail_value_of_1_is_not_taken_for_a_pass() -> None:
    revision = fresh(CATALOG.resolve("order-validation", 1))
    plan = revision.plan
    example = revision.compiled.spec.examples[0]
    data = revision.input_model.model_validate(example.input).model_dump(mode="json")
    values = plan.cel.input_values(data)
    scope = plan.cel.scope(values)
    out = plan.cel.output_values(dict(example.output))

    class One:
        """CEL handing back 1 for every guardrail: equal to True, and hashed like it."""

        def guardrail_values(self, scope: Any, output_values: Any) -> list[Any]:
            return [1] * len(plan.guardrails)

    passes = (True,) * len(plan.guardrails)
    remembered = (GuardrailResult("remembered", True, 0),)
    odd = dataclasses.replace(plan, cel=One(), guardrail_results={passes: remembered})  # type: ignore[arg-type]
    results = odd.check_guardrails(scope, values, out)
    assert results != remembered  # evaluated again, one by one, not looked up
    full_in = to_cel_values(revision.compiled.spec.inputs, data)
    full_out = to_cel_values(revision.compiled.spec.outputs, dict(example.output))
    assert results == evaluate_guardrails(revision.compiled.guardrails, full_in, full_out)


def test_only_exact_true_and_false_condition_values_are_a_memo_key() -> None:
    assert memo_key([True, False, False]) == (True, False, False)
    assert memo_key([]) == ()
    assert memo_key(None) is None  # some condition raised: evaluated one by one
    assert memo_key([1, False]) is None  # equal to True and hashed like it: never a key
    assert memo_key([True, None]) is None
    assert memo_key([True, "yes"]) is None


def test_a_condition_value_of_1_does_not_read_what_true_decided() -> None:
    revision = fresh(CATALOG.resolve("order-validation", 1))
    example = revision.compiled.spec.examples[0]
    same_run(revision, example.input)
    (key,) = revision.plan.memo
    real = revision.plan.cel

    class Ones:
        """The real conditions, with every True handed back as 1."""

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def condition_values(self, scope: Any) -> list[Any] | None:
            values = real.condition_values(scope)
            return None if values is None else [1 if v is True else v for v in values]

    remembered = revision.plan.memo[key]
    right = remembered.results["decision"]
    wrong = next(v for v in ("accept", "hold", "reject") if v != right)
    # What a run would answer if it read this entry: another decision, valid all the same.
    poisoned = {key: dataclasses.replace(
        remembered, results={**remembered.results, "decision": wrong}, output=None)}
    odd = dataclasses.replace(
        revision, plan=dataclasses.replace(revision.plan, cel=Ones(), memo=poisoned))  # type: ignore[arg-type]
    result, _ = run(odd, example.input)
    assert result.status_code == 200 and result.body["decision"] == right
    assert result.body == run(fresh(revision), example.input)[0].body
