"""Request-body size limit, enforced before the application reads the body.

A declared ``Content-Length`` over the limit is refused at once (413) without reading a byte.
Otherwise the body is read here, counting bytes as they stream in, and refused as soon as the
count passes the limit (chunked uploads have no length to check). A body within the limit is
replayed to the application unchanged, so memory per request is bounded by the limit.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def too_large_body(limit: int) -> dict[str, object]:
    return {
        "type": "payload_too_large",
        "message": f"the request body is larger than the limit of {limit} bytes",
        "details": {"max_body_bytes": limit},
    }


class BodyLimit:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == 0 or (declared is None and not _has_body(scope)):
            await self.app(scope, receive, send)
            return
        body = await receive_body(scope, receive, self.limit)
        if body is None:
            await refuse(self.limit, scope, receive, send)
        elif isinstance(body, bytes):
            message: Message = {"type": "http.request", "body": body, "more_body": False}
            await self.app(scope, _replay([message], receive), send)
        else:  # disconnected while sending: the app sees the disconnect
            await self.app(scope, _replay([body], receive), send)


async def receive_body(scope: Scope, receive: Receive, limit: int) -> bytes | Message | None:
    """The whole request body; None when it is, or is declared, larger than ``limit`` (nothing
    is read past the limit); the message that ended it when the client left first."""
    declared = _content_length(scope)
    if declared is not None and declared > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return message
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def refuse(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer 413 and close the connection (the rest of the body is not read)."""
    response = JSONResponse(too_large_body(limit), status_code=413, headers={"Connection": "close"})
    await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _has_body(scope: Scope) -> bool:
    if scope.get("method") in ("POST", "PUT", "PATCH", "DELETE"):
        return True
    return any(key == b"transfer-encoding" for key, _ in scope.get("headers", ()))


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replaying_receive() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replaying_receive
