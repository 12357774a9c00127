"""The execution pipeline: one run of one spec revision, from raw JSON to a logged answer.

1. Validate the input with the revision's ``Input`` model. Invalid: 422 with every field error;
   nothing reaches a model.
2. Evaluate the decision tables (``specwright.compiler.evaluate``, the one implementation the compiler's
   checks and generated tests use too).
3. If every output field is table-decided, the answer is complete: no model is built or called.
   Otherwise render the prompt and call the route's ``Model`` once. The request carries the
   model-decided part of the Output schema and a ``check`` callback that validates the *merged*
   output (table-decided + model-decided) and evaluates the guardrails, so the router can re-ask
   with precise problems before it falls back.
4. Check the guardrails on the final output. A violated guardrail is never a success (422).
5. Build the ``RunRecord`` (sensitive fields redacted) and ``await store.write`` *before* the
   caller gets an answer: a 200 the caller saw is always in the log.

Status ``escalated``: the answer meets the spec's ``review when`` (or, when the spec declares
none, an ``one of`` output field's value is ``escalate`` or ``escalated``): the run opens a review
case whose id is the run's id (``specwright.runtime.reviews``). It is still a 200 with the usual
answer; the logged status and the ``X-Specwright-Review`` header differ.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import ValidationError

from specwright.compiler.evaluate import (
    GuardrailResult,
    TableError,
)
from specwright.runtime.engine.attempt_answers import last_guardrails, redact_answers
from specwright.runtime.engine.bounded import bounded_details, bounded_input, count_note
from specwright.runtime.engine.catalog import LoadedRevision
from specwright.runtime.engine.cost_controls import CacheState, CostControls
from specwright.runtime.engine.failures import (
    error_body,
    problems_of,
    public_failure,
    status_of,
    table_failure,
    validation_details,
)
from specwright.runtime.engine.prompting import build_request
from specwright.runtime.engine.redaction import redact
from specwright.runtime.engine.run_plan import Decided
from specwright.runtime.engine.sensitive import scrub_echoes, sensitive_values
from specwright.runtime.errors import (
    BudgetExceeded,
    GuardrailViolation,
    InputInvalid,
    InternalError,
    LogUnavailable,
    ModelsExhausted,
    OutputInvalid,
    RoutingExhausted,
    RuntimeFailure,
)
from specwright.runtime.logstore.ulid import new_run_id
from specwright.runtime.models.base import CheckResult, Model, Problem
from specwright.runtime.observe import tracing
from specwright.runtime.observe.tracing import RunMarks
from specwright.runtime.records import Attempt, EncodedColumns, RunRecord, RunStatus

log = logging.getLogger("specwright.pipeline")

ModelSource = Callable[[], Model]  # called only when the revision needs a model


class RunWriter(Protocol):
    async def write(self, run: RunRecord) -> None: ...


@dataclass(frozen=True, slots=True)
class RunResult:
    run: RunRecord
    status_code: int
    body: Any  # the Output JSON on 200, else the error body {type, message, details}
    cache: str | None = None  # X-Specwright-Cache: "hit" or "miss" when the revision is cached
    logged: bool = True  # False: the log could not take the run (answered 503, not counted)

    @property
    def ok(self) -> bool:
        return self.status_code == 200


@dataclass(slots=True)
class _State:
    """What a run has gathered so far; becomes the RunRecord whatever happens."""

    input: Any = None
    output: dict[str, Any] | None = None
    model: str | None = None
    mock: bool = False
    trace: list[dict[str, Any]] = field(default_factory=list)
    guardrails: list[dict[str, Any]] = field(default_factory=list)
    attempts: tuple[Attempt, ...] = ()
    encoded: EncodedColumns | None = None  # JSON texts the plan remembered (records.py)
    marks: RunMarks | None = None  # step times, only when the run is traced (observe/tracing.py)
    cache: CacheState = field(default_factory=CacheState)  # the answer cache (cost_controls.py)


def is_escalated(revision: LoadedRevision, input_json: Any, output: dict[str, Any]) -> bool:
    """The run opens a review case (``review_rule.py``): its id is the run's id."""
    return revision.plan.review.applies(input_json, output)


async def execute(
    revision: LoadedRevision,
    raw_input: Any,
    *,
    model: ModelSource,
    store: RunWriter,
    deadline_s: float | None = None,
    run_id: str | None = None,
    key_id: str | None = None,
    trace_parent: str | None = None,
    controls: CostControls | None = None,
) -> RunResult:
    """Run ``raw_input`` (parsed JSON) through ``revision``; the run is logged before returning.
    ``trace_parent``: the caller's W3C ``traceparent``, read only when tracing is on.
    ``controls``: the answer cache and budgets; a run a budget refuses raises ``BudgetExceeded``
    (429) and is not logged: it never ran. A run admitted holds its budgets until it ends,
    however it ends (cancelled included)."""
    state = _State(input=raw_input)
    try:
        return await _execute(revision, raw_input, model, store, deadline_s, run_id, key_id,
                              trace_parent, controls, state)
    finally:
        if controls is not None:
            controls.release(state.cache)


async def _execute(
    revision: LoadedRevision,
    raw_input: Any,
    model: ModelSource,
    store: RunWriter,
    deadline_s: float | None,
    run_id: str | None,
    key_id: str | None,
    trace_parent: str | None,
    controls: CostControls | None,
    state: _State,
) -> RunResult:
    created = time.time()
    t0 = time.perf_counter()
    run_id = run_id or new_run_id(created)
    tracer = tracing.ACTIVE
    if tracer is not None:  # None when the run is not sampled: it notes nothing more
        state.marks = tracer.begin(trace_parent)
    logged_error: dict[str, Any] | None = None
    try:
        deadline = None if deadline_s is None else time.monotonic() + deadline_s
        output = await _decide(revision, raw_input, model, state, deadline, run_id,
                               controls, key_id)
        status: RunStatus = "escalated" if is_escalated(revision, state.input, output) else "ok"
        code, body = 200, output
    except BudgetExceeded:
        raise
    except RuntimeFailure as exc:
        status, code, body = status_of(exc), exc.status, error_body(exc)
        logged_error = body
        if status == "invalid_input":
            state.input = bounded_input(state.input)  # what one bad request may write to the log
        state.attempts = state.attempts or tuple(getattr(exc, "attempts", ()) or ())
    except Exception as exc:  # a bug: logged with its class, answered as a typed 500
        log.exception("run %s of %s r%s failed", run_id, revision.name, revision.revision)
        status, code = "error", 500
        body = error_body(
            InternalError(f"internal error; the run is logged as {run_id}", details=None)
        )
        logged_error = {**body, "details": {"exception": type(exc).__name__,
                                            "message": str(exc)[:2000]}}
    spec, plan = revision.compiled.spec, revision.plan
    if plan.input_sensitive and state.output is not None:
        # A sensitive input value the model echoed into the output is not logged.
        scrubbed = scrub_echoes(state.output, sensitive_values(spec.inputs, state.input))
        if scrubbed is not state.output:
            state.output = scrubbed
            if state.encoded is not None:
                state.encoded = state.encoded._replace(output=None)
    record = RunRecord(
        id=run_id,
        spec=revision.name,
        revision=revision.revision,
        major=revision.major,
        created_at=created,
        status=status,
        latency_ms=(time.perf_counter() - t0) * 1000.0,
        input=_as_object(redact(spec.inputs, state.input) if plan.input_sensitive
                         else state.input),
        output=state.output if state.output is None or not plan.output_sensitive
        else redact(spec.outputs, state.output),
        error=logged_error,
        model=state.model,
        mock=state.mock,
        rule_trace=tuple(state.trace),
        guardrails=tuple(state.guardrails),
        attempts=redact_answers(state.attempts, spec.outputs, plan.output_sensitive),
        encoded=state.encoded,
        key_id=key_id,
        cached_from=None if state.cache.hit is None else state.cache.hit.run_id,
    )
    marks = state.marks
    written = time.time_ns() if marks is not None else 0
    try:
        await store.write(record)
        if tracer is not None and marks is not None:
            end = time.time_ns()
            marks.steps.append(("log.write", written, end))
            tracer.record(record, marks, end)
    except RuntimeFailure as exc:
        # The cause (which may name the database's user, host and port) goes to the server's
        # log; the caller learns only that the log is unavailable (public_failure).
        log.error("run %s not logged: %s", run_id, exc.message)
        return RunResult(record, exc.status, error_body(public_failure(exc)), logged=False)
    except Exception as exc:  # noqa: BLE001 - whatever broke, the run was not acknowledged
        log.error("run %s not logged: %s: %s", run_id, type(exc).__name__, exc)
        return RunResult(record, 503, error_body(LogUnavailable("the execution log is unavailable")),
                         logged=False)
    if controls is not None and (record.attempts or state.cache.ttl_s is not None):
        await controls.after_logged(revision, record, state.input, state.output, state.cache)
    return RunResult(record, code, body, state.cache.header)


def _as_object(value: Any) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    return {"_raw": value}  # a body that is not a JSON object, logged as sent


async def _decide(
    revision: LoadedRevision,
    raw_input: Any,
    model_source: ModelSource,
    state: _State,
    deadline: float | None,
    run_id: str,
    controls: CostControls | None = None,
    key_id: str | None = None,
) -> dict[str, Any]:
    """Steps 1 to 4 of the module docstring; ``state`` gathers what the log needs."""
    plan, marks = revision.plan, state.marks
    input_json = _validated_input(revision, raw_input)  # 1. validate
    state.input = input_json
    if marks is not None:
        mark = _step(marks, "validate", marks.start)
    cel_input = plan.cel.input_values(input_json)  # to_cel_values over the fields read
    scope = plan.cel.scope(cel_input)  # input converted into CEL once, for tables and guardrails
    try:
        tables = plan.decide_tables(scope, cel_input, state.trace)  # 2. the decision tables
    except TableError as exc:
        raise table_failure(exc) from None
    if marks is not None:
        mark = _step(marks, "tables", mark)
    checker = _Checker(revision, tables.results, scope, cel_input)
    merged = tables.results
    hit = None
    if revision.compiled.model_decided and controls is not None:  # the answer cache, budgets
        hit = await controls.before_model(revision, input_json, key_id, state.cache)
    if hit is not None:  # the recorded answer of an earlier run: no model call
        state.model = hit.model
        merged = checker.merge(json.loads(hit.output))
        state.output = merged
    elif revision.compiled.model_decided:  # 3. the model, only for what the tables leave
        merged = await _ask_model(revision, input_json, checker, model_source, state, deadline,
                                  run_id)
        state.output = merged
        if marks is not None:  # each model attempt is a span of its own
            mark = time.time_ns()
    output_json, results = _checked_output(revision, merged, tables.memo, checker, scope,
                                           cel_input)  # 4. the output contract and guardrails
    if marks is not None:
        _step(marks, "guardrails", mark)
    state.output = output_json
    state.guardrails = [_guardrail_record(r) for r in results]
    state.encoded = _encoded(revision, tables.memo, state.guardrails)
    failed = [r for r in results if not r.passed]
    if failed:
        raise GuardrailViolation(
            f"guardrail failed: {'; '.join(r.label for r in failed)}",
            details=[
                {"label": r.label, "line": r.line} | ({"error": r.error} if r.error else {})
                for r in failed
            ],
        )
    return output_json


def _step(marks: RunMarks, name: str, start: int) -> int:
    end = time.time_ns()
    marks.steps.append((name, start, end))
    return end


def _validated_input(revision: LoadedRevision, raw_input: Any) -> dict[str, Any]:
    """The input as the Input model reads it (JSON); else 422 with every field error."""
    try:
        validated = revision.input_model.model_validate(raw_input)
    except ValidationError as exc:
        total = exc.error_count()
        details = bounded_details(validation_details(exc, ("body",)))  # at most 50 (bounded.py)
        names = ", ".join(".".join(str(p) for p in d["loc"][1:]) or "body" for d in details)
        raise InputInvalid(
            f"the request body does not match the {revision.name} v{revision.major} input: "
            f"{total} error(s) ({names}){count_note(total)}",
            details=details,
        ) from None
    result: dict[str, Any] = validated.model_dump(mode="json", by_alias=True)
    return result


class _Checker:
    """The router's ``check`` callback: an answer merged with what the tables decided, validated
    against the Output model, its guardrails evaluated. Remembers the last output it checked, so
    the final check reuses it when the accepted answer is that output (evaluated once)."""

    def __init__(self, revision: LoadedRevision, decided: dict[str, Any], scope: Any,
                 cel_input: dict[str, Any]) -> None:
        self.revision, self.decided, self.scope, self.cel_input = revision, decided, scope, cel_input
        self.last: tuple[dict[str, Any], dict[str, Any], tuple[GuardrailResult, ...]] | None = None

    def merge(self, answer: dict[str, Any]) -> dict[str, Any]:
        model_decided = self.revision.compiled.model_decided
        merged = {k: v for k, v in answer.items() if k in model_decided}
        merged.update(self.decided)
        return merged

    def __call__(self, answer: dict[str, Any]) -> list[str]:
        merged = self.merge(answer)
        try:
            out = self.revision.output_model.model_validate(merged)
        except ValidationError as exc:
            return problems_of(exc)
        out_json = out.model_dump(mode="json", by_alias=True)
        plan = self.revision.plan
        results = plan.check_guardrails(self.scope, self.cel_input, plan.cel.output_values(out_json))
        self.last = (merged, out_json, results)
        return CheckResult([
            Problem(
                f'guardrail violated: "{r.label}" (spec line {r.line})'
                + (f": {r.error}" if r.error else ""),
                guardrail=r.label,
            )
            for r in results
            if not r.passed
        ], [_guardrail_record(r) for r in results])  # kept on the attempt, for the log


async def _ask_model(
    revision: LoadedRevision,
    input_json: dict[str, Any],
    checker: _Checker,
    model_source: ModelSource,
    state: _State,
    deadline: float | None,
    run_id: str,
) -> dict[str, Any]:
    """The route's answer for the model-decided fields, merged with the tables' results."""
    chosen = model_source()  # may raise ModelNotConfigured: 503 naming the variable
    request = build_request(
        revision, input_json, checker.decided, check=checker, deadline=deadline, run_id=run_id
    )
    try:
        completion = await chosen.complete(request)
    except RoutingExhausted as exc:
        state.attempts = tuple(getattr(exc, "attempts", ()) or ())
        if isinstance(exc, ModelsExhausted) and exc.guardrail_only:
            # the log says which model answered last and what its answer's guardrails said
            last = state.attempts[-1] if state.attempts else None
            state.model = f"{last.provider}:{last.model}" if last else None
            state.guardrails = last_guardrails(state.attempts)
            violated = exc.guardrail_labels
            line_of = {g.label: g.line for g in revision.compiled.guardrails}
            raise GuardrailViolation(
                f"guardrail failed after every repair: {'; '.join(violated)}",
                details=[{"label": label, "line": line_of.get(label)} for label in violated],
            ) from None
        raise
    state.attempts = tuple(completion.attempts)
    state.model = completion.model
    state.mock = completion.mock
    return checker.merge(completion.data)


def _checked_output(
    revision: LoadedRevision,
    merged: dict[str, Any],
    memo: Decided | None,
    checker: _Checker,
    scope: Any,
    cel_input: dict[str, Any],
) -> tuple[dict[str, Any], tuple[GuardrailResult, ...]]:
    """The final output as JSON and its guardrail results, each computed at most once a run."""
    plan, model_decided = revision.plan, revision.compiled.model_decided
    if memo is not None and memo.output is not None:
        # Rules-only: the tables decided everything, and these rows' output validated before.
        return dict(memo.output.value), plan.check_guardrails(scope, cel_input,
                                                              memo.output.cel_values)
    if checker.last is not None and _same(checker.last[0], merged):  # checked, unchanged
        return checker.last[1], checker.last[2]
    try:
        final = revision.output_model.model_validate(merged)
    except ValidationError as exc:
        if model_decided:
            raise OutputInvalid(
                "the model's answer does not fit the output contract",
                details=problems_of(exc),
            ) from None
        raise InternalError(
            "the decision tables produced an output that does not fit the output contract",
            details=problems_of(exc),
        ) from None
    output_json: dict[str, Any] = final.model_dump(mode="json", by_alias=True)
    output_values = plan.cel.output_values(output_json)
    if memo is not None and not model_decided:
        memo.remember_output(output_json, output_values)
    return output_json, plan.check_guardrails(scope, cel_input, output_values)


def _encoded(
    revision: LoadedRevision, memo: Decided | None, guardrails: list[dict[str, Any]]
) -> EncodedColumns:
    """The JSON texts of this run's log columns that the plan remembers."""
    plan = revision.plan
    output = None
    if memo is not None and memo.output is not None and not plan.output_sensitive:
        output = memo.output.text  # the output logged is the output answered
    return EncodedColumns(
        output=output,
        rule_trace=None if memo is None else memo.trace_json,
        guardrails=plan.guardrail_json(guardrails),
    )


def _guardrail_record(result: GuardrailResult) -> dict[str, Any]:
    record = {"label": result.label, "passed": result.passed, "line": result.line}
    if result.error:
        record["error"] = result.error
    return record


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal as JSON (``True`` and ``1`` differ here, unlike ``==``)."""
    return a is b or json.dumps(a, sort_keys=True, default=repr) == json.dumps(
        b, sort_keys=True, default=repr
    )
