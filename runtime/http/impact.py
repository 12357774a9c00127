"""``POST /specs/{name}/impact``: the impact preview for the studio (``specwright impact``).

Replays logged inputs (or the inputs sent) through a candidate revision in a worker thread and
returns the typed report; admin role, since it reads the execution log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from specwright.runtime.engine.catalog import LoadedRevision
from specwright.runtime.engine.impact import (
    Case,
    case_of_run,
    compare,
    over_limit,
    parse_since,
    replay,
)
from specwright.runtime.errors import LogUnavailable, NotFound, PinConflict
from specwright.runtime.http.auth import require
from specwright.runtime.http.body_types import (
    IsoDateTime,
    NonNegativeWholeNumber,
    PositiveWholeNumber,
    WholeNumber,
)
from specwright.runtime.http.error_bodies import ErrorBody
from specwright.runtime.http.state import ServerState, get_state
from specwright.runtime.logstore.scan import scan_runs

router = APIRouter()

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body is not JSON"},
    413: {"model": ErrorBody, "description": "The body is larger than the server accepts"},
    401: {"model": ErrorBody, "description": "Missing or unknown API key"},
    403: {"model": ErrorBody, "description": "The impact preview needs an admin key"},
    404: {"model": ErrorBody, "description": "Unknown spec, revision or label"},
    409: {"model": ErrorBody, "description": "Both a revision and a label given"},
    422: {"model": ErrorBody, "description": "Invalid request"},
    503: {"model": ErrorBody, "description": "The execution log is unavailable"},
}


class ImpactRequest(BaseModel):
    # The schema's integers refuse true and "5", its date-time a unix timestamp (body_types.py).
    model_config = ConfigDict(extra="forbid")
    revision: PositiveWholeNumber | None = Field(None, description="Candidate (default: the latest)")
    label: str | None = Field(None, max_length=40, description="Candidate: this label's revision")
    since: Annotated[str, Field(pattern=r"^[0-9]{1,6}[smhdw]$")] | IsoDateTime = Field(
        "7d", description="Logged runs since: a duration back from now (30m, 24h, 7d, 2w) or a "
                          "date-time (UTC when it has no offset)")
    inputs: list[dict[str, Any]] | None = Field(
        None, max_length=10_000,
        description="Inputs to replay instead of the log; compared with the revision served now")
    limit: WholeNumber = Field(10_000, ge=1, le=100_000,
                               description="At most this many logged runs")
    max_changed: NonNegativeWholeNumber | None = Field(
        None, description="over_limit is true above this")


class TransitionOut(BaseModel):
    field: str = Field(description='An output field, or "status"')
    before: str
    after: str
    runs: int
    run_ids: list[str] = Field(description="The first of the runs that change this way")
    lines: list[int] = Field(description="Their positions in inputs (1-based), when sent")
    examples: list[Any] = Field(description="A few of their inputs")


class ImpactOut(BaseModel):
    spec: str
    candidate_revision: int
    baseline: str = Field(description='"log" (answers recorded) or "r<N>" (served now)')
    runs: int
    changed: int
    unchanged: int
    compared_fields: list[str] = Field(description="Table-decided fields (exact, no model)")
    not_replayed: list[str] = Field(description="Model-decided fields: not replayed")
    changed_by_field: dict[str, int]
    transitions: list[TransitionOut]
    over_limit: bool = Field(description="More runs change than max_changed")


def _candidate(state: ServerState, name: str, body: ImpactRequest) -> LoadedRevision:
    entry = state.catalog.specs.get(name)
    if entry is None or entry.latest is None:
        raise NotFound(f'unknown spec "{name}"')
    if body.label is not None and body.revision is not None:
        raise PinConflict("give the candidate as a revision or a label, not both")
    if body.label is not None:
        found = state.catalog.label_target(name, body.label)
        if found is None:
            raise NotFound(f'{name} has no label "{body.label}"')
        return found
    found = entry.latest if body.revision is None else entry.get(body.revision)
    if found is None:
        have = ", ".join(str(r.revision) for r in entry.revisions)
        raise NotFound(f"{name} has no revision {body.revision} (its revisions: {have})")
    return found


@router.post("/specs/{name}/impact", response_model=ImpactOut, responses=_ERRORS,
             tags=["labels"], summary="What a candidate revision would answer differently")
async def impact(body: ImpactRequest, request: Request,
                 name: str = Path(max_length=200)) -> ImpactOut:
    state = get_state(request.app)
    require(state.gate, request, "admin")
    candidate = _candidate(state, name, body)
    if body.inputs is not None:
        entry = state.catalog.specs[name]
        served = state.catalog.default_of(entry, candidate.major) or candidate
        inputs = body.inputs

        def run() -> Any:
            cases = [Case(input=x, before=replay(served, x), line=i)
                     for i, x in enumerate(inputs, 1)]
            return compare(candidate, cases, baseline=f"r{served.revision}",
                           recorded_model=False)
    else:
        if isinstance(body.since, dt.datetime):
            moment = body.since
            since = (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()
        else:
            since = parse_since(body.since, time.time())  # the pattern admits only durations
        if state.store is None:
            raise LogUnavailable("the execution log is not open (the app has not started)")
        runs = await scan_runs(state.store, name, since=since, limit=body.limit)

        def run() -> Any:
            return compare(candidate, (case_of_run(r) for r in runs), baseline="log")
    report = await asyncio.to_thread(run)
    return ImpactOut(**report.as_dict(), over_limit=over_limit(report, body.max_changed))
