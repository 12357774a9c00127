"""``GET /specs/{name}/labels``, ``POST /specs/{name}/labels/{label}``, ``GET /specs/{name}/history``.

A move goes through ``specwright.runtime.engine.labels`` (the same checks and records as
``specwright promote`` / ``rollback``) on the label thread of the server, and is applied here at
once; other replicas follow within ``label_follow.POLL_S``.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from specwright.runtime.engine.catalog import DEFAULT_LABEL
from specwright.runtime.engine.labels import LABEL_NAME, promote, rollback
from specwright.runtime.errors import LogUnavailable, NotFound
from specwright.runtime.http.auth import require
from specwright.runtime.http.body_types import WholeNumber
from specwright.runtime.http.error_bodies import ErrorBody
from specwright.runtime.http.label_follow import LabelFollower, actor_of
from specwright.runtime.http.state import ServerState, get_state
from specwright.runtime.logstore.labels import LabelDB, LabelMove

router = APIRouter()

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body is not JSON"},
    413: {"model": ErrorBody, "description": "The body is larger than the server accepts"},
    401: {"model": ErrorBody, "description": "Missing or unknown API key"},
    403: {"model": ErrorBody, "description": "Moving a label needs an admin key"},
    404: {"model": ErrorBody, "description": "Unknown spec"},
    409: {"model": ErrorBody, "description": "The label moved meanwhile; read it and try again"},
    422: {"model": ErrorBody, "description": "Invalid request, or the label cannot point there "
          "(no such revision, it does not load, nothing to roll back to): the message says why"},
    503: {"model": ErrorBody, "description": "The log database (where labels live) is unavailable"},
}


class LabelOut(BaseModel):
    label: str
    revision: int | None = Field(description="The revision the label points at; null: it follows "
                                 "the latest revision (nobody moved it yet)")
    serving: int | None = Field(description="The revision the label resolves to now")
    major: int | None = Field(description="The contract major of that revision")


class LabelsOut(BaseModel):
    spec: str
    labels: list[LabelOut] = Field(description=f'Always includes "{DEFAULT_LABEL}"')


class MoveOut(BaseModel):
    id: int
    spec: str
    label: str
    kind: Literal["promote", "rollback"]
    from_revision: int | None = Field(description="null: the label followed the latest revision")
    to_revision: int | None = Field(description="null: the label follows the latest revision")
    served_before: int | None = Field(description="The revision callers got before the move")
    actor: str = Field(description="The API key id (or open-server), or the OS user of the CLI")
    reason: str
    moved_at: float = Field(description="Unix epoch seconds")


class HistoryOut(BaseModel):
    spec: str
    moves: list[MoveOut] = Field(description="Oldest first; append-only")


class _Move(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field("", max_length=2000, description="Why (recorded in the history)")


class PromoteRevision(_Move):
    """Point the label at this revision."""

    # A strict integer: true and "5" are refused, as the schema says (body_types.py)
    revision: WholeNumber = Field(ge=1, le=2**31 - 1, description="Revision to point the label at")


class FollowLatest(_Move):
    """Let the label follow the latest revision again."""

    latest: Literal[True] = Field(description="Follow the latest revision again")


class RollBack(_Move):
    """Move the label back to its previous target."""

    rollback: Literal[True] = Field(description="Move back to the label's previous target")


# Exactly one action a request: the schema says so (each shape forbids the others' keys).
MoveRequest = PromoteRevision | FollowLatest | RollBack


class MoveResult(BaseModel):
    move: MoveOut
    serving: int | None = Field(description="The revision the label resolves to now, here")


def _move_out(m: LabelMove) -> MoveOut:
    return MoveOut(id=m.id, spec=m.spec, label=m.label, kind=m.kind,
                   from_revision=m.from_revision, to_revision=m.to_revision,
                   served_before=m.served_before, actor=m.actor, reason=m.reason,
                   moved_at=m.moved_at)


def _follower(state: ServerState) -> LabelFollower:
    if not isinstance(state.labels, LabelFollower):
        raise LogUnavailable("the label database is not open (the app has not started)")
    return state.labels


def _known(state: ServerState, name: str) -> None:
    if name not in state.catalog.specs:
        known = ", ".join(state.catalog.specs) or "none"
        raise NotFound(f'unknown spec "{name}" (served specs: {known})')


@router.get("/specs/{name}/labels", response_model=LabelsOut, responses=_ERRORS, tags=["labels"],
            summary="The spec's labels and the revisions they serve")
async def get_labels(request: Request, name: str = Path(max_length=200)) -> LabelsOut:
    state = get_state(request.app)
    require(state.gate, request, "caller")
    _known(state, name)
    catalog = state.catalog
    names = sorted({DEFAULT_LABEL, *catalog.labels.get(name, {})})
    out = []
    for label in names:
        rev = catalog.label_target(name, label)
        out.append(LabelOut(label=label, revision=catalog.labels.get(name, {}).get(label),
                            serving=rev.revision if rev else None,
                            major=rev.major if rev else None))
    return LabelsOut(spec=name, labels=out)


@router.post("/specs/{name}/labels/{label}", response_model=MoveResult, responses=_ERRORS,
             tags=["labels"], summary="Promote a revision to a label, or roll the label back")
async def move_label(body: MoveRequest, request: Request, name: str = Path(max_length=200),
                     label: str = Path(max_length=40, pattern=LABEL_NAME.pattern)) -> MoveResult:
    state = get_state(request.app)
    key = require(state.gate, request, "admin")
    _known(state, name)
    follower = _follower(state)
    actor = actor_of(key)

    def act(db: LabelDB) -> LabelMove:
        if isinstance(body, RollBack):
            return rollback(db, follower.places, name, label=label, actor=actor,
                            reason=body.reason)[0]
        revision = body.revision if isinstance(body, PromoteRevision) else None
        return promote(db, follower.places, name, revision, label=label, actor=actor,
                       reason=body.reason)[0]

    move = await follower.run(act)
    await follower.refresh(force=True)  # served here at once; replicas follow by polling
    rev = state.catalog.label_target(name, label)
    return MoveResult(move=_move_out(move), serving=rev.revision if rev else None)


@router.get("/specs/{name}/history", response_model=HistoryOut, responses=_ERRORS,
            tags=["labels"], summary="Every move of the spec's labels: who, when, from, to, why")
async def get_history(request: Request, name: str = Path(max_length=200)) -> HistoryOut:
    state = get_state(request.app)
    require(state.gate, request, "caller")
    _known(state, name)
    moves = await _follower(state).run(lambda db: db.history(name))
    return HistoryOut(spec=name, moves=[_move_out(m) for m in moves])
