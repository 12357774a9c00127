"""``POST /specs/{name}/v{major}``: one typed route per spec and contract major.

Each route is declared with the latest revision's real ``Input`` model as its body and ``Output``
model as its response model, so ``/openapi.json`` and ``/docs`` show the real schemas, field
descriptions and the spec's examples. Requests are not handled by FastAPI's own body validation:
``SpecRoute`` parses the body itself and hands it to the pipeline, which validates it with the
``Input`` of the revision actually served (the latest of the major, or the pinned one) and logs
the run even when the input is invalid.

Requests do not go through FastAPI's routing, middleware and request machinery either: a POST to
a spec route's exact path is answered by ``serve_spec_request`` straight from the ASGI call
(``specwright.runtime.http.app.SpecwrightApp``), found with one dict lookup (``app.state.spec_index``). It does
what those layers would do for it: the body size limit (413), the error bodies, a typed 500. The
``SpecRoute`` objects stay in ``app.router.routes``: they make the OpenAPI document, and answer
the requests the fast path leaves to the router (served under a root path).

Hot reload replaces a route object in ``app.router.routes`` when its latest revision changes and
appends one when a new major appears, and rebuilds the index; ``app.openapi_schema`` is reset so
the schema follows.
"""

from __future__ import annotations

import inspect
import logging
from typing import Annotated, Any

from fastapi import Body, FastAPI, Header, Query, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.types import Receive, Scope, Send

from specwright.runtime.engine.catalog import Catalog, LoadedRevision, route_path
from specwright.runtime.engine.json_input import parse_json_body
from specwright.runtime.engine.labels import LABEL_NAME
from specwright.runtime.engine.pipeline import RunResult, execute
from specwright.runtime.errors import BadRequest, LogUnavailable, PinConflict, RuntimeFailure
from specwright.runtime.http.auth import require
from specwright.runtime.http.error_bodies import (
    ErrorBody,
    failure_response,
    internal_error_response,
)
from specwright.runtime.http.limits import receive_body, refuse
from specwright.runtime.http.state import ServerState, get_state
from specwright.runtime.jsontext import dumps_bytes
from specwright.runtime.observe import tracing
from specwright.runtime.observe.metrics import observe_not_logged
from specwright.runtime.records import RunRecord

log = logging.getLogger("specwright.http")
LABEL_PATTERN = f"^({LABEL_NAME.pattern})?$"  # what the OpenAPI document declares: empty is none

REVISION_HEADER = "X-Specwright-Revision"
LABEL_HEADER = "X-Specwright-Label"

_RUN_HEADERS = {
    "X-Specwright-Run-Id": "Run id (ULID): GET /runs/{id} returns the logged run",
    "X-Specwright-Revision": "Revision that answered",
    "X-Specwright-Status": "Run status: ok, or escalated (the run opened a review case)",
    "X-Specwright-Review": "Review case id (GET /reviews/{id}); only when the run opened one",
    "X-Specwright-Model": "provider:model that answered; absent when decision tables decided all",
    "X-Specwright-Cost-USD": "Model cost of the run in USD, or 'unknown' when a price is unknown",
    "X-Specwright-Mock": "'true' when the server runs with --mock",
    "X-Specwright-Cache": "'hit' when the answer was served from the answer cache (no model "
    "call), 'miss' when the spec is cached but this input was not; absent otherwise",
}

_ERRORS: dict[int, str] = {
    400: "Invalid JSON body",
    401: "Missing or unknown API key (only when keys are configured)",
    429: "The API key sent more requests than its limit, or the spec's or key's daily budget "
    "is used up (budget_exceeded, names the budget; see Retry-After)",
    404: "Unknown spec, contract major or revision",
    409: "The query parameter revision and the X-Specwright-Revision header pin different "
    "revisions",
    413: "Body larger than max_body_bytes",
    415: "Body is not application/json",
    422: "Invalid input (every field error, with its path), a violated guardrail, "
    "or a decision table that cannot decide this input",
    500: "Internal error (the run is logged)",
    502: "Every model of the route failed, or its answer did not fit the output contract",
    503: "No model configured (names the variable to set), or the execution log is unavailable",
}


def run_headers(run: RunRecord, *, mock: bool, cache: str | None = None
                ) -> list[tuple[bytes, bytes]]:
    """The answer's headers, raw (lower-case names, as Starlette writes them)."""
    headers = [
        (b"content-type", b"application/json"),
        (b"x-specwright-run-id", run.id.encode("latin-1")),
        (b"x-specwright-revision", str(run.revision).encode()),
        (b"x-specwright-status", run.status.encode("latin-1")),
    ]
    if run.status == "escalated":  # the case id is the run id
        headers.append((b"x-specwright-review", run.id.encode("latin-1")))
    if run.model:
        headers.append((b"x-specwright-model", run.model.encode("latin-1")))
    cost = run.cost_usd
    headers.append((b"x-specwright-cost-usd", b"unknown" if cost is None else b"%.6f" % cost))
    if mock or run.mock:
        headers.append((b"x-specwright-mock", b"true"))
    if cache is not None:
        headers.append((b"x-specwright-cache", cache.encode("latin-1")))
    return headers


class RunResponse(Response):
    """A run's answer: the JSON body and ``run_headers``, given raw (Starlette's
    ``Response.__init__`` would build the same list from a dict on every request)."""

    def __init__(self, body: bytes, status_code: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = status_code
        self.body = body
        self.background = None
        self.raw_headers = [*headers, (b"content-length", str(len(body)).encode())]


def _ident(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-") if part)


def public_model(cls: type[BaseModel], fallback: str) -> type[BaseModel]:
    """A subclass named after the model's title (``CarrierSelectionInputV1``), so that every
    spec and major gets its own OpenAPI component instead of a clash of ``Input`` classes."""
    title = cls.model_config.get("title")
    name = title if isinstance(title, str) and title.isidentifier() else fallback
    return type(name, (cls,), {"__module__": cls.__module__, "__doc__": cls.__doc__})


def _traceparent(scope: Scope) -> str | None:
    """The caller's W3C trace context, read only while tracing is on."""
    for key, value in scope["headers"]:
        if key == b"traceparent":
            return str(value.decode("latin-1"))
    return None


def _headers(scope: Scope) -> tuple[str | None, str | None, str | None]:
    """The request's Content-Type, revision pin and label headers (the first of each, as
    ``Request.headers.get`` would give), read in one pass over the raw headers."""
    content_type = pin = label = None
    for key, value in scope["headers"]:
        if key == b"content-type" and content_type is None:
            content_type = value.decode("latin-1")
        elif key == b"x-specwright-revision" and pin is None:
            pin = value.decode("latin-1")
        elif key == b"x-specwright-label" and label is None:
            label = value.decode("latin-1").strip()
    return content_type, pin, label


def _label(request: Request, header: str | None, pin: int | None) -> str | None:
    """The label asked for (``?label=`` or the header); a pin and a label together conflict."""
    query = request.query_params.get("label") if request.scope.get("query_string") else None
    query = query or None  # an empty label asks for none
    header = header or None
    if query is not None and header is not None and query != header:
        raise PinConflict(f"the query parameter label and the {LABEL_HEADER} header differ: "
                          "ask for one label")
    label = header if header is not None else query
    if label is not None and pin is not None:
        raise PinConflict(f"ask for a revision or a label, not both ({LABEL_HEADER}: "
                          f"{label[:40]})")
    if label is not None and not LABEL_NAME.fullmatch(label):
        raise BadRequest(f"{label[:40]!r} is not a label name: lower-case letters, digits, - and"
                         " _ (production, staging...)")
    return label


def _pin(request: Request, header: str | None) -> int | None:
    # Most requests have no query string: do not build (parse) query_params for them.
    query = request.query_params.get("revision") if request.scope.get("query_string") else None
    values = []
    for where, raw in (("query parameter revision", query), (f"header {REVISION_HEADER}", header)):
        if raw is None:
            continue
        try:
            value = int(raw.strip())
        except ValueError:
            value = 0
        if value < 1:
            raise BadRequest(f"{where} must be a revision number (1, 2, ...), not {raw[:40]!r}")
        values.append(value)
    if len(set(values)) > 1:
        raise PinConflict(f"the query parameter revision and the {REVISION_HEADER} header "
                          "differ: pin one revision")
    return values[0] if values else None


class SpecRoute(APIRoute):
    def __init__(self, revision: LoadedRevision) -> None:
        self.spec_name = revision.name
        self.major = revision.major
        self.revision = revision
        spec = revision.compiled.spec
        ident = _ident(revision.name)
        input_cls = public_model(revision.input_model, f"{ident}V{revision.major}Input")
        output_cls = public_model(revision.output_model, f"{ident}V{revision.major}Output")
        examples: dict[str, Any] = {
            f"example{i}": {"summary": ex.title, "value": ex.input}
            for i, ex in enumerate(spec.examples, 1)
        }

        async def endpoint(**_: Any) -> Any:  # pragma: no cover - SpecRoute handles requests
            raise AssertionError("handled by SpecRoute.get_route_handler")

        body_info = Body(openapi_examples=examples) if examples else Body()
        endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter(
                    "body", inspect.Parameter.KEYWORD_ONLY,
                    annotation=Annotated[input_cls, body_info],
                ),
                inspect.Parameter(
                    "revision", inspect.Parameter.KEYWORD_ONLY, default=None,
                    annotation=Annotated[int, Query(
                        ge=1, description="Pin an earlier revision of this major (default: "
                        "the latest)")],
                ),
                inspect.Parameter(
                    "x_specwright_revision", inspect.Parameter.KEYWORD_ONLY, default=None,
                    annotation=Annotated[int, Header(
                        alias=REVISION_HEADER, ge=1,
                        description="Pin a revision (same as ?revision=)")],
                ),
                inspect.Parameter(
                    "label", inspect.Parameter.KEYWORD_ONLY, default=None,
                    annotation=Annotated[str, Query(
                        pattern=LABEL_PATTERN,
                        description="Run the revision this label points at (default: the "
                        "production label's revision when it is of this major, else the latest)")],
                ),
                inspect.Parameter(
                    "x_specwright_label", inspect.Parameter.KEYWORD_ONLY, default=None,
                    annotation=Annotated[str, Header(
                        alias=LABEL_HEADER, pattern=LABEL_PATTERN,
                        description="Same as ?label= (empty: no label)")],
                ),
            ]
        )
        decided = ", ".join(revision.table_decided) or "none"
        asked = ", ".join(revision.model_decided) or "none (no model is called)"
        description = (
            f"{spec.description.strip()}\n\n"
            f"Decided by decision tables: {decided}. Decided by the model: {asked}.\n\n"
            f"Latest revision: {revision.revision}. Pin an earlier revision of v{revision.major} "
            f"with `?revision=N` or the `{REVISION_HEADER}` header."
        ).strip()
        headers = {h: {"description": d, "schema": {"type": "string"}}
                   for h, d in _RUN_HEADERS.items()}
        responses: dict[int | str, dict[str, Any]] = {
            200: {"description": "The decision: exactly the Output model", "headers": headers,
                  # every answer is logged: an OpenAPI link to the logged run
                  "links": {"LoggedRun": {
                      "operationId": "get_run",
                      "parameters": {"run_id": "$response.header.X-Specwright-Run-Id"},
                      "description": "The logged run (GET /runs/{run_id}, admin key)"}}},
        }
        for code, text in _ERRORS.items():
            responses[code] = {"model": ErrorBody, "description": text}
        super().__init__(
            route_path(revision.name, revision.major),
            endpoint,
            methods=["POST"],
            response_model=output_cls,
            responses=responses,
            summary=spec.title,
            description=description,
            operation_id=f"{revision.name.replace('-', '_')}_v{revision.major}",
            name=f"{revision.name}_v{revision.major}",
            tags=[revision.name],
        )

    def get_route_handler(self) -> Any:
        name, major = self.spec_name, self.major

        async def handle(request: Request) -> Response:
            state = get_state(request.app)
            return await answer(state, name, major, request, await request.body())

        return handle


async def answer(
    state: ServerState, name: str, major: int, request: Request, body: bytes
) -> Response:
    """Run one request to ``POST /specs/{name}/v{major}``; a refusal raises ``RuntimeFailure``."""
    key = require(state.gate, request, "caller")
    content_type, pin_header, label_header = _headers(request.scope)
    pin = _pin(request, pin_header)
    label = (_label(request, label_header, pin)
             if label_header is not None or request.scope.get("query_string") else None)
    revision = state.catalog.resolve(name, major, pin, label)
    raw = parse_json_body(body, content_type)
    store = state.store
    if store is None:
        raise LogUnavailable("the execution log is not open (the app has not started)")
    result: RunResult = await execute(
        revision,
        raw,
        model=lambda: state.model_for(revision),
        store=store,
        deadline_s=state.settings.routing.deadline_s,
        key_id=None if key is None else key.id,
        trace_parent=None if tracing.ACTIVE is None else _traceparent(request.scope),
        controls=state.controls,
    )
    if not result.logged:  # the runs logged are counted by the log's listener (app.py)
        observe_not_logged(name)
    return RunResponse(
        dumps_bytes(result.body), result.status_code,
        run_headers(result.run, mock=state.mock, cache=result.cache),
    )


async def serve_spec_request(
    state: ServerState, route: SpecRoute, scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer a POST to ``route`` straight from the ASGI call (see the module docstring)."""
    limit = state.settings.max_body_bytes
    body = await receive_body(scope, receive, limit)
    if body is None:
        await refuse(limit, scope, receive, send)
        return
    if not isinstance(body, bytes):
        return  # the caller left before sending the whole body: nobody to answer
    response: Response
    try:
        response = await answer(state, route.spec_name, route.major, Request(scope), body)
    except RuntimeFailure as exc:
        response = failure_response(exc)
    except Exception:
        log.exception("unhandled error on POST %s", scope.get("path"))
        response = internal_error_response()
    await response(scope, receive, send)


def sync_routes(app: FastAPI, catalog: Catalog) -> bool:
    """Make the app's spec routes match ``catalog``; True when the OpenAPI schema changed."""
    index = {
        (r.spec_name, r.major): i
        for i, r in enumerate(app.router.routes)
        if isinstance(r, SpecRoute)
    }
    changed = False
    for key, revision in catalog.routes().items():
        i = index.get(key)
        if i is None:
            app.router.routes.append(SpecRoute(revision))
        elif getattr(app.router.routes[i], "revision", None) is not revision:
            app.router.routes[i] = SpecRoute(revision)
        else:
            continue
        changed = True
    # The fast path's index: spec routes by exact path (``/specs/order-validation/v1``).
    app.state.spec_index = {r.path: r for r in app.router.routes if isinstance(r, SpecRoute)}
    if changed:
        app.openapi_schema = None
        mark = getattr(app.router, "_mark_routes_changed", None)
        if callable(mark):
            mark()
    return changed
