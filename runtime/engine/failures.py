"""Run failures the pipeline adds to the exception tree, and how failures are reported.

``status_of`` maps a ``RuntimeFailure`` to the run status written to the log; ``error_body``
renders the JSON error body ``{"type", "message", "details"}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from specwright.compiler.errors import TableConflict, TableError, TableNoMatch
from specwright.runtime.errors import (
    DecisionConflict,
    DecisionError,
    GuardrailViolation,
    InputInvalid,
    LogUnavailable,
    ModelNotConfigured,
    NoDecision,
    OutputInvalid,
    ProviderError,
    RoutingExhausted,
    RuntimeFailure,
)
from specwright.runtime.records import RunStatus


def table_failure(exc: TableError) -> NoDecision:
    details = {"table": exc.table, "line": exc.line, "rows": list(exc.rows)}
    if isinstance(exc, TableNoMatch):
        return NoDecision(exc.message, details)
    if isinstance(exc, TableConflict):
        return DecisionConflict(exc.message, details)
    return DecisionError(exc.message, details)


LOG_UNAVAILABLE_MESSAGE = (
    "the execution log is unavailable; nothing was answered from it. Retry later; the server's "
    "log names the cause"
)


def public_failure(exc: RuntimeFailure) -> RuntimeFailure:
    """What a caller may see of ``exc``: an unavailable execution log (503) is reported without
    its cause, which names the database's user, host, port and name; the server logs the cause."""
    if exc.status == 503 and exc.type == "log_unavailable":
        return LogUnavailable(LOG_UNAVAILABLE_MESSAGE)
    return exc


def error_body(exc: RuntimeFailure) -> dict[str, Any]:
    return {"type": exc.type, "message": exc.message, "details": exc.details}


def validation_details(exc: ValidationError, prefix: Sequence[str | int]) -> list[dict[str, Any]]:
    return [
        {"loc": [*prefix, *err["loc"]], "msg": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def problems_of(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        path = ".".join(str(p) for p in err["loc"]) or "(output)"
        out.append(f"{path}: {err['msg']}")
    return out


def status_of(exc: RuntimeFailure) -> RunStatus:
    if isinstance(exc, InputInvalid):
        return "invalid_input"
    if isinstance(exc, NoDecision):  # DecisionConflict and DecisionError too
        return "no_decision"
    if isinstance(exc, GuardrailViolation):
        return "guardrail_failed"
    if isinstance(exc, ModelNotConfigured):
        return "model_not_configured"
    if isinstance(exc, RoutingExhausted | ProviderError | OutputInvalid):
        return "model_error"
    return "error"
