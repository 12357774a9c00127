"""A POST to a spec route is answered before FastAPI's stack (``SpecwrightApp``): every answer
must be the one FastAPI's own routing and middleware give for the same request."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from rt_support import AppFactory, assert_error, no_model, running

import specwright.runtime.http.app
import specwright.runtime.http.calls

REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("ok", {"json": {"order_total": 120.5, "country": "US"}}),
    ("escalated", {"json": {"order_total": 2000, "country": "US"}}),
    ("invalid input", {"json": {"order_total": "lots"}}),
    ("not json", {"content": b"{nope", "headers": {"content-type": "application/json"}}),
    ("wrong type", {"content": b"a=1", "headers": {"content-type": "text/plain"}}),
    ("unknown pin", {"json": {"order_total": 1, "country": "US"}, "params": {"revision": 9}}),
    ("bad pin", {"json": {"order_total": 1, "country": "US"}, "headers": {
        "X-Specwright-Revision": "zero"}}),
    ("too large", {"content": b'{"a": "' + b"x" * 2_000_000 + b'"}',
                   "headers": {"content-type": "application/json"}}),
]


def _comparable(r: httpx.Response) -> tuple[int, Any, dict[str, str]]:
    # the run id, and the review case id that equals it, differ per run
    headers = {k: v for k, v in r.headers.items()
               if k not in ("x-specwright-run-id", "x-specwright-review")}
    return r.status_code, r.json(), headers


def _through_fastapi(app: FastAPI) -> Any:
    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        await FastAPI.__call__(app, scope, receive, send)  # routing, middleware, SpecRoute

    return asgi


@pytest.mark.parametrize(("case", "request_kw"), REQUESTS, ids=[c for c, _ in REQUESTS])
async def test_fast_path_answers_as_fastapi_does(
    make_app: AppFactory, case: str, request_kw: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[str] = []
    original = specwright.runtime.http.app.serve_spec_request

    async def counting(state: Any, route: Any, scope: Any, receive: Any, send: Any) -> None:
        served.append(route.path)
        await original(state, route, scope, receive, send)

    monkeypatch.setattr(specwright.runtime.http.app, "serve_spec_request", counting)
    app = make_app(model_factory=no_model)
    async with running(app) as fast:
        transport = httpx.ASGITransport(app=_through_fastapi(app))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as slow:
            a = await fast.post("/specs/triage/v1", **request_kw)
            b = await slow.post("/specs/triage/v1", **request_kw)
    assert served == ["/specs/triage/v1"]  # the first request took the fast path, not the second
    assert _comparable(a) == _comparable(b), case
    assert a.status_code != 500, a.text


async def test_a_bug_is_a_typed_500_and_logged(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any, **kw: Any) -> Any:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(specwright.runtime.http.calls, "execute", broken)
    app = make_app(model_factory=no_model)
    with caplog.at_level(logging.ERROR, logger="specwright.http"):
        async with running(app) as c:
            r = await c.post("/specs/triage/v1", json={"order_total": 1, "country": "US"})
    body = assert_error(r, 500, "internal_error")
    assert "a bug" not in json.dumps(body)  # no internals to the caller
    assert any("ZeroDivisionError" in (rec.exc_text or "") for rec in caplog.records)


async def test_other_methods_and_paths_still_go_through_fastapi(make_app: AppFactory) -> None:
    app = make_app(model_factory=no_model)
    async with running(app) as c:
        assert_error(await c.get("/specs/triage/v1"), 405, "method_not_allowed")
        assert_error(await c.post("/specs/triage/v9", json={}), 404, "not_found")
        assert (await c.get("/specs/triage")).status_code == 200
