"""The run plan hands CEL only the fields some table or guardrail reads, converted once; results
must equal ``specwright.compiler.evaluate`` on every field."""

from __future__ import annotations

from pathlib import Path

import pytest

from specwright.compiler.evaluate import evaluate_guardrails, evaluate_table, to_cel_values
from specwright.runtime.engine.catalog import LoadedRevision, load_catalog

REPO = Path(__file__).resolve().parents[2]
CATALOG = load_catalog(REPO / "generated")
REVISIONS = sorted(CATALOG.routes().values(), key=lambda r: r.name)


@pytest.mark.parametrize("revision", REVISIONS, ids=lambda r: r.name)
def test_pruned_scope_gives_the_full_results(revision: LoadedRevision) -> None:
    spec, plan = revision.compiled.spec, revision.plan
    assert spec.examples, f"{revision.name} has no examples to check"
    for example in spec.examples:
        data = revision.input_model.model_validate(example.input).model_dump(
            mode="json", by_alias=True
        )
        full = to_cel_values(spec.inputs, data)
        pruned = to_cel_values(plan.cel.input_fields, data)
        assert set(pruned) <= set(full)
        scope = plan.cel.scope(pruned)
        flags = plan.cel.table_flags(scope)
        for i, table in enumerate(revision.compiled.tables):
            expected = evaluate_table(table, full, required=plan.required)
            assert plan.table_outcome(i, table, flags, pruned, "") == expected
        output = {**example.output}
        full_out = to_cel_values(spec.outputs, output)
        pruned_out = to_cel_values(plan.cel.output_fields, output)
        assert plan.check_guardrails(scope, pruned, pruned_out) == evaluate_guardrails(
            revision.compiled.guardrails, full, full_out
        )


def test_fields_nothing_reads_are_not_handed_to_cel() -> None:
    plan = CATALOG.resolve("order-validation", 1).plan
    names = {f.name for f in plan.cel.input_fields}
    assert "order_id" not in names and "customer_note" not in names
    assert {"payment_status", "fraud_score", "order_total"} <= names
