"""``GET /metrics``: Prometheus text format (``specwright.runtime.observe.metrics``).

Needs an admin key when the server has keys (Prometheus sends one with ``authorization``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from specwright.runtime.http.auth import require
from specwright.runtime.http.error_bodies import ErrorBody
from specwright.runtime.http.state import get_state
from specwright.runtime.observe.metrics import CONTENT_TYPE, exposition

router = APIRouter()


@router.get("/metrics", response_class=Response, tags=["operations"],
            summary="Prometheus metrics of the server (every worker's, added up)",
            responses={200: {"content": {"text/plain": {}},
                             "description": "Prometheus text exposition format 0.0.4"},
                       401: {"model": ErrorBody, "description": "Missing or unknown API key"},
                       403: {"model": ErrorBody, "description": "Not an admin key"}})
async def metrics(request: Request) -> Response:
    require(get_state(request.app).gate, request, "admin")
    return Response(exposition(), media_type=CONTENT_TYPE)
