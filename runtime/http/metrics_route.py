"""``GET /metrics``: Prometheus text format (``specwright.runtime.observe.metrics``).

Needs an admin key when the server has keys (Prometheus sends one with ``authorization``).
The open review cases are read from the log on each scrape, so every worker gives the same.
"""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Request
from fastapi.responses import Response

from specwright.runtime.errors import LogUnavailable
from specwright.runtime.http.auth import require
from specwright.runtime.http.error_bodies import ErrorBody
from specwright.runtime.http.state import get_state
from specwright.runtime.logstore.review_counts import open_cases
from specwright.runtime.observe.metrics import CONTENT_TYPE, OpenReviews, exposition

log = logging.getLogger("specwright.metrics")
router = APIRouter()


@router.get("/metrics", response_class=Response, tags=["operations"],
            summary="Prometheus metrics of the server (every worker's, added up)",
            responses={200: {"content": {"text/plain": {}},
                             "description": "Prometheus text exposition format 0.0.4"},
                       401: {"model": ErrorBody, "description": "Missing or unknown API key"},
                       403: {"model": ErrorBody, "description": "Not an admin key"}})
async def metrics(request: Request) -> Response:
    state = get_state(request.app)
    require(state.gate, request, "admin")
    extra = []
    if state.reviews is not None:
        try:
            found = await open_cases(state.reviews.log)
        except LogUnavailable as exc:  # the other metrics are still worth answering
            log.warning("/metrics without the open review cases: %s", exc.message)
        else:
            cases = {spec: (0, 0.0) for spec in state.catalog.specs}
            cases.update({spec: (c.count, c.oldest_at) for spec, c in found.items()})
            extra.append(OpenReviews(cases, time.time()))
    return Response(exposition(*extra), media_type=CONTENT_TYPE)
