"""schemathesis hooks for ``bench/schemathesis_run.py`` (loaded with SCHEMATHESIS_HOOKS).

``valid_request_not_refused``: a request schemathesis generated as valid for the schema must not
be refused for its form (400, 413, 415, or a 422 that is not a decision). A 422 whose ``type`` is
a decision outcome (``no_decision``, ``decision_conflict``, ``decision_error``,
``guardrail_failed``) is the spec's documented answer to that input, not a refusal of the
request; each is counted apart in the report.
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis

# The spec's answer to this input, or (resolution_invalid) the Output model of the case's own
# revision, which no request schema of /reviews/{id}/resolve can state.
# label_refused: the label's history or the revision's state decides it (nothing to roll back to
# yet, a revision that does not load), not the request's form.
DECISIONS = {"no_decision", "decision_conflict", "decision_error", "guardrail_failed",
             "resolution_invalid", "label_refused"}
REFUSALS = {400, 413, 415, 422}
TALLY = os.environ.get("SW_ST_TALLY")  # a JSON-lines file: one line per decision outcome


@schemathesis.check
def valid_request_not_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in REFUSALS:
        return None
    try:
        kind = json.loads(response.content).get("type")
    except (ValueError, AttributeError):
        kind = None
    if response.status_code == 422 and kind in DECISIONS:
        _tally(case, kind)
        return None
    if response.status_code == 422 and kind == "invalid_input" and _only_money_places(response):
        # Money has at most 2 decimal places (the field's description says so), which JSON
        # Schema cannot state for binary floats (multipleOf 0.01 rejects 20.6): counted apart,
        # and reported as such, not hidden.
        _tally(case, "money_more_than_2_decimals")
        return None
    raise AssertionError(
        f"a schema-valid request was refused: {response.status_code} {kind}: "
        f"{response.content[:300]!r}"
    )


def _tally(case: Any, kind: str) -> None:
    if TALLY:
        with open(TALLY, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"operation": case.operation.label, "type": kind}) + "\n")


def _only_money_places(response: Any) -> bool:
    try:
        details = json.loads(response.content).get("details") or []
    except ValueError:
        return False
    return bool(details) and all(d.get("type") == "decimal_max_places" for d in details)
