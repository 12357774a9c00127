"""``/reviews``: the review queue over HTTP (reviewer and admin keys).

``GET /reviews`` lists cases (filter by spec, state, age, the table or row line that fired),
``GET /reviews/{id}`` shows one with every event (claims, the resolution, webhook deliveries),
``POST /reviews/{id}/claim`` and ``POST /reviews/{id}/resolve``; ``GET /specs/{name}/stats``:
per table row, how often reviewers overrode the decision (``engine/stats.py``). A resolution's webhook is
delivered in the background; its attempts appear on the case as they happen.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from specwright.runtime.engine.review_service import ReviewService
from specwright.runtime.engine.stats import SpecStats, spec_stats
from specwright.runtime.errors import LogUnavailable
from specwright.runtime.http.auth import require
from specwright.runtime.http.error_bodies import ErrorBody
from specwright.runtime.http.runs import Moment, epoch
from specwright.runtime.http.state import get_state
from specwright.runtime.logstore.reviews import CaseQuery, CaseState, ReviewCase

log = logging.getLogger("specwright.http")
router = APIRouter()

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body is not JSON"},
    413: {"model": ErrorBody, "description": "The body is larger than the server accepts"},
    401: {"model": ErrorBody, "description": "Missing or unknown API key"},
    403: {"model": ErrorBody, "description": "Not a reviewer or admin key"},
    404: {"model": ErrorBody, "description": "Unknown case"},
    422: {"model": ErrorBody, "description": "Invalid filter, or an output that fails the "
          "spec's Output model or guardrails"},
    503: {"model": ErrorBody, "description": "Execution log unavailable"},
}


class ReviewEventOut(BaseModel):
    id: str
    kind: str = Field(description="claim, resolve or delivery (one webhook attempt)")
    actor: str | None = Field(description="The reviewer's key name; null for deliveries")
    at: float = Field(description="Unix epoch seconds")
    data: dict[str, Any]


class ResolutionOut(BaseModel):
    output: dict[str, Any] = Field(description="The final output the reviewer decided")
    note: str
    reviewer: str | None
    at: float
    overridden: bool = Field(description="The final output differs from the run's answer")
    changed: list[str] = Field(description="Output fields the reviewer changed")


class ReviewCaseOut(BaseModel):
    id: str = Field(description="The case id: the escalated run's id")
    run_id: str
    spec: str
    revision: int
    major: int
    created_at: float
    age_s: float = Field(description="Seconds since the run opened the case")
    state: CaseState
    claimed_by: str | None = None
    input: dict[str, Any] | None
    output: dict[str, Any] | None = Field(description="What the run answered (never changed)")
    rule_trace: list[dict[str, Any]]
    resolution: ResolutionOut | None = None
    events: list[ReviewEventOut] = []


class ReviewPageOut(BaseModel):
    cases: list[ReviewCaseOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page")


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    output: dict[str, Any] = Field(description="The final output; checked like an answer")
    note: str = Field(default="", max_length=5000)


def resolution_out(case: ReviewCase) -> ResolutionOut | None:
    event = case.resolution
    if event is None:
        return None
    return ResolutionOut(output=event.data.get("output") or {}, note=event.data.get("note", ""),
                         reviewer=event.actor, at=event.at,
                         overridden=bool(event.data.get("overridden")),
                         changed=list(event.data.get("changed") or []))


def case_out(case: ReviewCase) -> ReviewCaseOut:
    claim = case.claim
    return ReviewCaseOut(
        id=case.id, run_id=case.id, spec=case.spec, revision=case.revision, major=case.major,
        created_at=case.created_at, age_s=max(0.0, time.time() - case.created_at),
        state=case.state, claimed_by=claim.actor if claim else None, input=case.input,
        output=case.output, rule_trace=list(case.rule_trace), resolution=resolution_out(case),
        events=[ReviewEventOut(id=e.id, kind=e.kind, actor=e.actor, at=e.at, data=e.data)
                for e in case.events],
    )


def _service(request: Request) -> tuple[ReviewService, str]:
    state = get_state(request.app)
    key = require(state.gate, request, "reviewer")
    if state.reviews is None:
        raise LogUnavailable("the execution log is not open")
    return state.reviews, key.name if key is not None else "local"


@router.get("/reviews", response_model=ReviewPageOut, responses=_ERRORS, tags=["reviews"],
            summary="Review cases, newest first")
async def list_reviews(
    request: Request,
    spec: str | None = Query(None, max_length=200),
    state: CaseState | None = Query(None),  # noqa: B008 - a Literal alias: immutable
    older_than_s: float | None = Query(None, ge=0, description="Opened at least this long ago"),
    since: Moment | None = Query(None, description="Opened at or after; epoch seconds or ISO 8601"),  # noqa: B008
    table: str | None = Query(None, max_length=200, description='e.g. "Decision: decision"'),
    row_line: int | None = Query(None, ge=1, description="Spec line of the row that fired"),
    limit: int = Query(50, ge=1, le=1000),
    cursor: str | None = Query(None, max_length=26),
) -> ReviewPageOut:
    service, _ = _service(request)
    query = CaseQuery(spec=spec, state=state, older_than_s=older_than_s,
                      since=epoch(since), table=table, row_line=row_line,
                      limit=limit, cursor=cursor or None)
    cases, next_cursor = await service.log.cases(query)
    return ReviewPageOut(cases=[case_out(c) for c in cases], next_cursor=next_cursor)


@router.get("/reviews/{case_id}", response_model=ReviewCaseOut, responses=_ERRORS,
            tags=["reviews"], summary="One case with its events")
async def get_review(request: Request, case_id: str = Path(max_length=64)) -> ReviewCaseOut:
    service, _ = _service(request)
    return case_out(await service.get(case_id))


@router.post("/reviews/{case_id}/claim", response_model=ReviewCaseOut,
             responses={**_ERRORS, 409: {"model": ErrorBody, "description": "Already resolved"}},
             tags=["reviews"], summary="Take a case")
async def claim_review(request: Request, case_id: str = Path(max_length=64)) -> ReviewCaseOut:
    service, actor = _service(request)
    return case_out(await service.claim(case_id, actor))


@router.post("/reviews/{case_id}/resolve", response_model=ReviewCaseOut,
             responses={**_ERRORS, 409: {"model": ErrorBody, "description": "Already resolved"}},
             tags=["reviews"], summary="Decide a case's final output")
async def resolve_review(request: Request, body: ResolveIn,
                         case_id: str = Path(max_length=64)) -> ReviewCaseOut:
    service, actor = _service(request)
    case = await service.resolve(case_id, body.output, body.note, actor)
    webhooks = get_state(request.app).webhooks
    if webhooks is not None and service.webhook(case) is not None:
        webhooks.nudge()  # the delivery is queued in the log: deliver it now
    return case_out(case)


@router.get("/specs/{name}/stats", response_model=SpecStats, responses=_ERRORS,
            tags=["reviews"], summary="Runs, latency, row hits and reviewer overrides of a spec")
async def get_stats(request: Request, name: str = Path(max_length=200),
                    since: Moment | None = Query(None, description="epoch seconds or ISO 8601"),  # noqa: B008
                    ) -> SpecStats:
    service, _ = _service(request)
    return await spec_stats(service.log, name, epoch(since))
