"""The API-key auth of ``specwright.runtime.http.auth``, declared in ``/openapi.json``.

Two equivalent security schemes are always listed in ``components.securitySchemes``: ``bearer``
(``Authorization: Bearer <key>``) and ``apiKey`` (``X-API-Key: <key>``), the two ways
``specwright.runtime.http.auth.presented_token`` accepts a key. The spec endpoints, ``/reviews``,
``/metrics`` and ``/runs`` require one of them whenever the server requires keys
(``specwright.runtime.http.auth_gate``): the schema follows the gate as requests do (an open
loopback server's operations declare no security requirement). ``/healthz`` and ``/readyz``
are always open. Request handling is untouched: this only describes it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from specwright.runtime.http.auth_gate import AuthGate

SCHEMES: dict[str, dict[str, Any]] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (sw_...) sent as Authorization: Bearer <key>. "
                       "A caller key may call the spec endpoints and read /specs; "
                       "/reviews needs a reviewer (or admin) key; /runs, moving a label and "
                       "the impact preview need an admin key.",
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "The same API key sent as X-API-Key: <key> (instead of Authorization).",
    },
}
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]  # either one
PROTECTED = ("/specs", "/runs", "/reviews", "/metrics")  # path prefixes that call specwright.runtime.http.auth.require


def secured(schema: dict[str, Any], *, keys_required: bool) -> dict[str, Any]:
    """A copy of ``schema`` with the security schemes, applied when keys are required."""
    out = copy.deepcopy(schema)
    components = out.setdefault("components", {})
    components["securitySchemes"] = copy.deepcopy(SCHEMES)
    if not keys_required:
        return out
    for path, item in out.get("paths", {}).items():
        if path in PROTECTED or path.startswith(tuple(p + "/" for p in PROTECTED)):
            for operation in item.values():
                if isinstance(operation, dict):
                    operation["security"] = copy.deepcopy(SECURITY)
    return out


def install(app: FastAPI, gate: AuthGate) -> None:
    """Serve the secured schema from ``app.openapi()``. FastAPI still builds and caches the base
    schema (``app.openapi_schema``, reset when routes change); the secured copy is rebuilt only
    when the base schema or the "keys required" answer changes."""
    base_openapi: Callable[[], dict[str, Any]] = app.openapi
    last: list[Any] = [None, None, None]  # base schema, keys_required, secured schema

    def openapi() -> dict[str, Any]:
        base = base_openapi()
        try:
            required = gate.keys_required
        except RuntimeError:  # a damaged key file: every protected request is refused
            required = True
        if last[0] is not base or last[1] != required:
            last[:] = [base, required, secured(base, keys_required=required)]
        result: dict[str, Any] = last[2]
        return result

    app.openapi = openapi  # type: ignore[method-assign]
