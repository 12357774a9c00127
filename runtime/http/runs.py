"""``GET /runs`` and ``GET /runs/{id}``: the execution log over HTTP (admin keys only)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, BeforeValidator, Field, TypeAdapter, ValidationError

from specwright.compiler.frontmatter import KEBAB_RE
from specwright.runtime.errors import InvalidQuery, LogUnavailable, NotFound
from specwright.runtime.http.auth import require
from specwright.runtime.http.error_bodies import ErrorBody
from specwright.runtime.http.state import get_state
from specwright.runtime.logstore.base import MAX_REVISION, LogStore, RunQuery
from specwright.runtime.logstore.ulid import ULID_RE, is_run_id
from specwright.runtime.records import RunRecord, RunStatus

router = APIRouter()
# Filters are checked against what the log can hold before they reach the database: a revision
# is a 32-bit integer column in PostgreSQL (MAX_REVISION), and a spec name is kebab-case (no NUL
# byte, which PostgreSQL text cannot hold): anything else is a 422, never a database error.
SPEC_NAME_PATTERN = KEBAB_RE.pattern
GET_RUN_OPERATION = "get_run"  # the target of the spec routes' OpenAPI link to their logged run

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or unknown API key"},
    403: {"model": ErrorBody, "description": "Not an admin key"},
    429: {"model": ErrorBody, "description": "The API key's request limit (see Retry-After)"},
    422: {"model": ErrorBody, "description": "Invalid filter"},
    503: {"model": ErrorBody, "description": "Execution log unavailable"},
}


class AttemptOut(BaseModel):
    provider: str
    model: str
    purpose: str
    started_at: float
    latency_ms: float
    status: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = Field(None, description="Prompt tokens read from the provider's "
                                      "prompt cache (part of input_tokens)")
    cache_write_tokens: int | None = Field(None, description="Prompt tokens written to the "
                                           "provider's prompt cache (Anthropic)")
    cost_usd: float | None = None
    error_class: str | None = None
    error: str | None = None
    answer: str | None = Field(None, description="The model's raw answer (capped, sensitive "
                               "values redacted)")
    guardrails: list[dict[str, Any]] | None = Field(
        None, description="Guardrail results of this attempt's answer")
    batch_id: str | None = Field(None, description="The provider batch that served this "
                                 "attempt (specwright run --batch-api; priced at the batch "
                                 "rate); absent for a live call")


class RunOut(BaseModel):
    id: str
    spec: str
    revision: int
    major: int
    created_at: float = Field(description="Unix epoch seconds")
    status: RunStatus
    latency_ms: float
    input: dict[str, Any] | None = Field(description="Sensitive fields redacted")
    output: dict[str, Any] | None = Field(description="Sensitive fields redacted")
    error: dict[str, Any] | None = None
    model: str | None = None
    mock: bool = False
    rule_trace: list[dict[str, Any]] = []
    guardrails: list[dict[str, Any]] = []
    attempts: list[AttemptOut] = []
    input_tokens: int
    output_tokens: int
    cost_usd: float | None = Field(description="Summed over attempts; null when a price is unknown")
    key_id: str | None = Field(None, description="The API key that made the run (its id)")
    cached_from: str | None = Field(None, description="Answered from the answer cache: the run "
                                    "whose recorded answer it returned (no model was called)")
    review: RunReviewOut | None = Field(
        default=None, description="GET /runs/{id} only: the review case an escalated run opened")


class RunReviewOut(BaseModel):
    """The review case an escalated run opened, and its resolution once there is one."""

    case_id: str
    state: str = Field(description="open, claimed or resolved")
    resolution: dict[str, Any] | None = Field(
        default=None, description="output, note, reviewer, at, overridden, changed")


class RunPageOut(BaseModel):
    runs: list[RunOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page")


def run_out(run: RunRecord) -> RunOut:
    data = {f.name: getattr(run, f.name) for f in dataclasses.fields(run)}
    data["attempts"] = [AttemptOut(**dataclasses.asdict(a)) for a in run.attempts]
    data["rule_trace"] = list(run.rule_trace)
    data["guardrails"] = list(run.guardrails)
    return RunOut(**data, input_tokens=run.input_tokens, output_tokens=run.output_tokens,
                  cost_usd=run.cost_usd)


# A time filter as the schema states it exactly: epoch seconds within +-1e11 (year 5138), or an
# RFC 3339 / ISO 8601 date-time (UTC when it has no offset). Anything else is a 422 from the
# request's validation, so what the schema calls valid is never refused further on.
def _not_a_number(value: Any) -> Any:
    """The date-time branch takes no number (pydantic would read one as epoch seconds, past the
    number branch's bounds)."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return value
    if isinstance(value, str | int | float):
        raise ValueError("epoch seconds must be between -1e11 and 1e11")
    return value


Moment = (Annotated[float, Field(ge=-1e11, le=1e11, allow_inf_nan=False)]
          | Annotated[dt.datetime, BeforeValidator(_not_a_number)])


def epoch(value: float | dt.datetime | None) -> float | None:
    if value is None or isinstance(value, float | int):
        return value
    when = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return when.timestamp()


_MOMENT: TypeAdapter[float | dt.datetime] = TypeAdapter(Moment)


def parse_time(value: str | None, name: str) -> float | None:
    """A time given as text (a query string, a CLI option), read exactly as ``Moment`` is."""
    if value is None or value == "":
        return None
    try:
        return epoch(_MOMENT.validate_python(value))
    except ValidationError:
        raise InvalidQuery(
            f"{name} must be epoch seconds (within 1e11) or an ISO 8601 time like "
            f"2025-01-31T12:00:00Z, not {value[:40]!r}"
        ) from None


def _store(request: Request) -> LogStore:
    state = get_state(request.app)
    require(state.gate, request, "admin")
    if state.store is None:
        raise LogUnavailable("the execution log is not open")
    return state.store


@router.get("/runs", response_model=RunPageOut, responses=_ERRORS, tags=["execution log"],
            summary="Logged runs, newest first")
async def list_runs(
    request: Request,
    spec: str | None = Query(None, max_length=200, pattern=SPEC_NAME_PATTERN,
                             description="A spec name (kebab-case)"),
    revision: int | None = Query(None, ge=1, le=MAX_REVISION),
    status: RunStatus | None = Query(None),  # noqa: B008 - a Literal alias: immutable
    since: Moment | None = Query(None, description="Inclusive; epoch seconds or ISO 8601"),  # noqa: B008
    until: Moment | None = Query(None, description="Exclusive; epoch seconds or ISO 8601"),  # noqa: B008
    limit: int = Query(50, ge=1, le=1000),
    cursor: str | None = Query(None, pattern=f"^{ULID_RE.pattern}$",
                               description="next_cursor of the last page"),
) -> RunPageOut:
    store = _store(request)
    start, end = epoch(since), epoch(until)
    if start is not None and end is not None and start > end:
        return RunPageOut(runs=[], next_cursor=None)  # an empty interval holds no runs
    query = RunQuery(spec=spec, revision=revision, status=status,
                     since=start, until=end, limit=limit, cursor=cursor or None)
    page = await store.query(query)
    return RunPageOut(runs=[run_out(r) for r in page.runs], next_cursor=page.next_cursor)


@router.get("/runs/{run_id}", response_model=RunOut,
            responses={**_ERRORS, 404: {"model": ErrorBody, "description": "Unknown run id"}},
            tags=["execution log"], summary="One logged run with its attempts",
            operation_id=GET_RUN_OPERATION)
async def get_run(request: Request, run_id: str = Path(max_length=64)) -> RunOut:
    store = _store(request)
    run = await store.get(run_id) if is_run_id(run_id) else None
    if run is None:
        raise NotFound(f"no run {run_id!r} in the execution log")
    out = run_out(run)
    reviews = get_state(request.app).reviews
    if run.status == "escalated" and reviews is not None:
        case = await reviews.log.case(run.id)
        if case is not None:
            event = case.resolution
            resolution = None if event is None else {
                **event.data, "reviewer": event.actor, "at": event.at}
            out.review = RunReviewOut(case_id=case.id, state=case.state, resolution=resolution)
    return out
