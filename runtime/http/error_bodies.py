"""One error shape for every HTTP error: ``{"type", "message", "details"}``.

FastAPI's own validation and HTTP errors, Specwright's ``RuntimeFailure`` tree and unexpected
exceptions all render to the same JSON body with a stable ``type`` (request bodies are parsed in
``specwright.runtime.engine.json_input``, shared with batch runs).
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from specwright.compiler.errors import SpecwrightError
from specwright.runtime.engine.bounded import MAX_ERRORS_LISTED, bounded_details, count_note
from specwright.runtime.engine.failures import public_failure
from specwright.runtime.errors import (
    BudgetExceeded,
    KeyRateLimited,
    MethodNotAllowed,
    NotFound,
    RuntimeFailure,
)

log = logging.getLogger("specwright.http")

class ErrorBody(BaseModel):
    """Every error response: a stable ``type`` to branch on, a message for people, details."""

    type: str = Field(description="stable error type, e.g. invalid_input, not_found")
    message: str = Field(description="what went wrong and how to fix it")
    details: Any = Field(None, description="structured details, e.g. field errors")


def error_response(exc: RuntimeFailure, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"type": exc.type, "message": exc.message, "details": exc.details}
    return JSONResponse(body, status_code=exc.status, headers=headers)


def failure_response(exc: RuntimeFailure) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    if isinstance(exc, KeyRateLimited | BudgetExceeded):
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after_s)))}
    if exc.status == 503 and exc.type == "log_unavailable":
        log.error("execution log unavailable: %s", exc.message)
        exc = public_failure(exc)
    return error_response(exc, headers)


def internal_error_response() -> JSONResponse:
    body = {"type": "internal_error", "message": "internal error", "details": None}
    return JSONResponse(body, status_code=500)


async def _runtime_failure(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RuntimeFailure)
    return failure_response(exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    details = bounded_details([
        {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")),
         "type": str(err.get("type", ""))}
        for err in errors[:MAX_ERRORS_LISTED]
    ])
    where = ", ".join(".".join(str(p) for p in d["loc"]) for d in details)
    body = {"type": "invalid_input", "message": f"invalid request: {where}{count_note(len(errors))}",
            "details": details}
    return JSONResponse(body, status_code=422)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    failure: RuntimeFailure
    if exc.status_code == 404:
        redirect = _slash_redirect(request)
        if redirect is not None:
            return redirect
        failure = _spec_not_found(request) or NotFound(
            f"no such endpoint: {request.method} {request.url.path}"
        )
    elif exc.status_code == 405:
        failure = MethodNotAllowed(f"{request.method} is not allowed on {request.url.path}")
    else:
        failure = RuntimeFailure(str(exc.detail))
        failure.status = exc.status_code
        failure.type = "http_error"
    return error_response(failure, dict(exc.headers or {}))


def _slash_redirect(request: Request) -> Response | None:
    """``GET /runs/`` -> 307 to ``/runs``, the path only: Starlette's own redirect
    (``redirect_slashes``, switched off in ``create_app``) builds an absolute URL from the Host
    header, which a caller controls."""
    path = request.scope.get("path", "")
    if len(path) < 2 or not path.endswith("/"):
        return None
    target = "/" + path.strip("/")  # one leading slash: never //host, another site
    probe = {**request.scope, "path": target}
    if not any(route.matches(probe)[0] is not Match.NONE for route in request.app.router.routes):
        return None
    query = request.scope.get("query_string", b"").decode("latin-1")
    location = request.scope.get("root_path", "") + target + (f"?{query}" if query else "")
    return Response(status_code=307, headers={"location": quote(location, safe="/?=&%:+,;@")})


_SPEC_PATH = re.compile(r"/specs/([^/]+)/v([0-9]{1,6})")


def _spec_not_found(request: Request) -> NotFound | None:
    """For ``/specs/{name}/v{N}`` with no route: say what is served instead."""
    from specwright.runtime.http.state import get_state

    m = _SPEC_PATH.fullmatch(request.url.path)
    if m is None:
        return None
    try:
        get_state(request.app).catalog.resolve(m.group(1), int(m.group(2)))
    except NotFound as exc:
        return exc
    except RuntimeError:
        return None
    return None


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RuntimeFailure, _runtime_failure)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)


class CatchAll:
    """ASGI middleware: an unexpected exception becomes a typed 500 body, never a traceback.

    The traceback goes to the server log. (Starlette's own ServerErrorMiddleware would answer
    plain text and re-raise.) At start-up and shut-down, a ``SpecwrightError`` (an execution
    log that cannot be opened, say) is reported as its one-line message: Starlette sends the
    server the whole traceback as the failure's text, which is for bugs, not for a database
    that is down.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            return  # the caller left: nobody to answer
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await internal_error_response()(scope, receive, send)

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        held: Message | None = None  # the router's ``*.failed`` message, sent once we know why

        async def holding_send(message: Message) -> None:
            nonlocal held
            if message["type"] in ("lifespan.startup.failed", "lifespan.shutdown.failed"):
                held = message
                return
            await send(message)

        try:
            await self.app(scope, receive, holding_send)
        except SpecwrightError as exc:
            if held is None:
                raise
            await send({"type": held["type"], "message": " ".join(str(exc).split())})
            return
        except BaseException:
            if held is not None:
                await send(held)  # a bug: the server logs the traceback
            raise
        if held is not None:
            await send(held)
