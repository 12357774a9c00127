"""Start-up failures as the server sees them: a ``SpecwrightError`` (an execution log that
cannot be opened) is its one-line message; a bug keeps its traceback for the server log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.types import Message

from specwright.runtime.errors import LogUnavailable
from specwright.runtime.http.error_bodies import CatchAll


def failing_app(error: BaseException) -> CatchAll:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        raise error
        yield  # pragma: no cover

    return CatchAll(FastAPI(lifespan=lifespan))


async def start_up(app: CatchAll) -> list[Message]:
    sent: list[Message] = []
    incoming = [{"type": "lifespan.startup"}]

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: dict[str, Any] = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    try:
        await app(scope, receive, send)
    except (KeyError, ZeroDivisionError) as exc:  # the bugs below, after their message
        sent.append({"type": "raised", "error": exc})
    return sent


async def test_a_specwright_error_is_its_message() -> None:
    sent = await start_up(failing_app(LogUnavailable(
        "cannot open the execution log at postgresql://u:***@db/x:\n  connection refused")))
    assert sent == [{"type": "lifespan.startup.failed",
                     "message": "cannot open the execution log at postgresql://u:***@db/x: "
                                "connection refused"}]


@pytest.mark.parametrize("error", [KeyError("oops"), ZeroDivisionError()])
async def test_a_bug_keeps_its_traceback(error: Exception) -> None:
    sent = await start_up(failing_app(error))
    assert [m["type"] for m in sent] == ["lifespan.startup.failed", "raised"]
    assert sent[0]["message"].startswith("Traceback (most recent call last):")
    assert sent[1]["error"] is error
