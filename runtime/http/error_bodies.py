"""One error shape for every HTTP error: ``{"type", "message", "details"}``.

FastAPI's own validation and HTTP errors, Specwright's ``RuntimeFailure`` tree and unexpected
exceptions all render to the same JSON body with a stable ``type``. Request bodies are parsed
here too, so a bad body (wrong content type, invalid UTF-8 or JSON, too deep) is a clear 4xx.
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from pydantic_core import from_json
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from specwright.compiler.errors import SpecwrightError
from specwright.runtime.errors import NotFound, RuntimeFailure

log = logging.getLogger("specwright.http")

MAX_JSON_DEPTH = 64


class BadRequest(RuntimeFailure):
    status, type = 400, "bad_request"


class InvalidJson(RuntimeFailure):
    status, type = 400, "invalid_json"


class UnsupportedMediaType(RuntimeFailure):
    status, type = 415, "unsupported_media_type"


class MethodNotAllowed(RuntimeFailure):
    status, type = 405, "method_not_allowed"


class ErrorBody(BaseModel):
    """Every error response: a stable ``type`` to branch on, a message for people, details."""

    type: str = Field(description="stable error type, e.g. invalid_input, not_found")
    message: str = Field(description="what went wrong and how to fix it")
    details: Any = Field(None, description="structured details, e.g. field errors")


def error_response(exc: RuntimeFailure, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"type": exc.type, "message": exc.message, "details": exc.details}
    return JSONResponse(body, status_code=exc.status, headers=headers)


def parse_json_body(body: bytes, content_type: str | None) -> Any:
    """Parse a request body as JSON; raise a typed 4xx for anything that is not plain JSON."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "application/json" and not (media.startswith("application/") and
                                             media.endswith("+json")):
        shown = media or "none"
        raise UnsupportedMediaType(
            f"the body must be JSON: send Content-Type: application/json (got {shown})"
        )
    # Fast path: the Rust parser Pydantic ships (several times faster than ``json.loads`` with
    # the hooks below), then one walk for what it accepts and a body may not hold: non-finite
    # numbers, huge integers, deep nesting. It refuses everything else ``_parse_carefully``
    # refuses (and lone surrogates); whatever it refuses or the walk flags is parsed again
    # carefully, which raises the error that says what is wrong.
    try:
        value = from_json(body, allow_inf_nan=False, cache_strings="keys")
    except ValueError:  # refused: the careful parse raises the error that says why
        return _parse_carefully(body)
    return value if _plain(value) else _parse_carefully(body)


def _parse_carefully(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidJson(f"the body is not valid UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(
            text, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_bounded_int
        )
    except json.JSONDecodeError as exc:
        raise InvalidJson(
            f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise InvalidJson(f"the body is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except ValueError as exc:  # NaN/Infinity, huge numbers
        raise InvalidJson(f"the body is not valid JSON: {exc}") from None
    if _depth_exceeds(value, MAX_JSON_DEPTH):
        raise InvalidJson(f"the body is nested more than {MAX_JSON_DEPTH} levels deep")
    # A lone UTF-16 surrogate escape (\ud800 without its pair) decodes to a code point that is
    # not a character: it cannot be stored, logged or sent to a model. The regex keeps the
    # common case (no such escape in the text) to one scan of the body.
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise InvalidJson(
            "the body holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without its "
            "pair): it is not a character; send the text as UTF-8 or as a complete escape pair"
        )
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# No field of any spec can hold more digits than a double's range; longer integers are refused
# before Python's own int-conversion limit produces a message about sys.set_int_max_str_digits.
MAX_INT_DIGITS = 400


def _bounded_int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS:
        raise ValueError(f"an integer with {len(text)} digits is too large")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


_INT_LIMIT = 10**MAX_INT_DIGITS  # the careful parse counts a minus sign as a digit
_NEGATIVE_INT_LIMIT = -(10 ** (MAX_INT_DIGITS - 1))


def _plain(value: Any) -> bool:
    """No container nested deeper than MAX_JSON_DEPTH, every float finite, every integer
    shorter than MAX_INT_DIGITS digits: what ``_parse_carefully`` would accept."""
    stack: list[tuple[Any, int]] = [([value], 0)]  # the body as the only item of a list
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return False
        for child in item.values() if type(item) is dict else item:
            kind = type(child)  # exact types: the parser makes no subclasses
            if kind is str or kind is bool or child is None:
                continue
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is float:
                if not math.isfinite(child):
                    return False
            elif not _NEGATIVE_INT_LIMIT < child < _INT_LIMIT:
                return False
    return True


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def failure_response(exc: RuntimeFailure) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return error_response(exc, headers)


def internal_error_response() -> JSONResponse:
    body = {"type": "internal_error", "message": "internal error", "details": None}
    return JSONResponse(body, status_code=500)


async def _runtime_failure(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RuntimeFailure)
    return failure_response(exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")),
         "type": str(err.get("type", ""))}
        for err in exc.errors()
    ]
    where = ", ".join(".".join(str(p) for p in d["loc"]) for d in details)
    body = {"type": "invalid_input", "message": f"invalid request: {where}", "details": details}
    return JSONResponse(body, status_code=422)


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    failure: RuntimeFailure
    if exc.status_code == 404:
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
