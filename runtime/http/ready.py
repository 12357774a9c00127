"""``GET /readyz``: can this server answer runs right now?

``/healthz`` says the process is alive; a load balancer that only asks it keeps sending traffic to
a server whose execution log is down, where every run answers 503 (a run is never answered
before it is logged). ``/readyz`` asks the log itself: a one-row read within ``READY_TIMEOUT_S``.
200 when it answers, else 503, with no detail a caller could use against the database (the
server's log names the cause). Open, like ``/healthz``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from specwright.runtime.errors import NotReady
from specwright.runtime.http.error_bodies import ErrorBody, error_response
from specwright.runtime.http.state import get_state
from specwright.runtime.logstore.base import LogStore, RunQuery

router = APIRouter()
log = logging.getLogger("specwright.server")
READY_TIMEOUT_S = 2.0


class Ready(BaseModel):
    status: Literal["ready"]
    log: str  # the log's backend: sqlite or postgres


async def log_ready(store: LogStore | None) -> str | None:
    """None when the log answers; else why not (for the server's log only)."""
    if store is None:
        return "the execution log is not open"
    try:
        await asyncio.wait_for(store.query(RunQuery(limit=1)), READY_TIMEOUT_S)
    except TimeoutError:
        return f"the execution log did not answer within {READY_TIMEOUT_S:g} s"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; logged by the caller
        return f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"
    return None


@router.get("/readyz", response_model=Ready, tags=["service"], summary="Readiness",
            responses={503: {"model": ErrorBody, "description": "The execution log is unavailable"}})
async def readyz(request: Request) -> Ready | JSONResponse:
    state = get_state(request.app)
    problem = await log_ready(state.store)
    if problem is not None:
        log.warning("not ready: %s", problem)
        return error_response(NotReady("not ready: the execution log is unavailable"))
    assert state.store is not None
    return Ready(status="ready", log=state.store.backend)
