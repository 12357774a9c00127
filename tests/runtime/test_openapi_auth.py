"""``/openapi.json`` declares the API-key auth truthfully: the schemes are always listed, and the
spec endpoints and ``/runs`` require them only while the server has an active key."""

from __future__ import annotations

from typing import Any

from rt_support import AppFactory, running

from specwright.runtime.config import Settings
from specwright.runtime.http.auth import KeyStore, keys_path
from specwright.runtime.http.state import get_state

EITHER = [{"bearer": []}, {"apiKey": []}]


def _security(schema: dict[str, Any]) -> dict[tuple[str, str], Any]:
    return {(path, method): op.get("security")
            for path, item in schema["paths"].items() for method, op in item.items()}


async def test_security_follows_the_key_file(make_app: AppFactory) -> None:
    app = make_app()
    async with running(app) as c:
        open_schema = (await c.get("/openapi.json")).json()
        schemes = open_schema["components"]["securitySchemes"]
        assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
        assert schemes["apiKey"] == {**schemes["apiKey"], "type": "apiKey", "in": "header",
                                     "name": "X-API-Key"}
        assert set(_security(open_schema).values()) == {None}  # no keys: the server is open

        state = get_state(app)
        _, token = KeyStore(keys_path(Settings(), state.root)).create("admin")
        schema = (await c.get("/openapi.json")).json()
        security = _security(schema)
        protected = {k: v for k, v in security.items() if k[0] not in ("/healthz", "/readyz")}
        assert {("/specs", "get"), ("/specs/{name}", "get"), ("/specs/shipping/v1", "post"),
                ("/runs", "get"), ("/runs/{run_id}", "get")} <= set(protected)
        assert all(v == EITHER for v in protected.values()), protected
        assert security[("/healthz", "get")] is None
        assert security[("/readyz", "get")] is None
        assert schema["components"]["securitySchemes"] == schemes

        # Request handling is unchanged: both ways of presenting the key work, none is refused.
        assert (await c.get("/specs")).status_code == 401
        assert (await c.get("/healthz")).status_code == 200
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await c.get("/specs", headers=bearer)).status_code == 200
        assert (await c.get("/runs", headers={"X-API-Key": token})).status_code == 200


def test_the_secured_schema_is_valid_openapi(make_app: AppFactory) -> None:
    import schemathesis

    app = make_app()
    KeyStore(keys_path(Settings(), get_state(app).root)).create("caller")
    schema = app.openapi()
    assert _security(schema)[("/specs", "get")] == EITHER
    loaded = schemathesis.openapi.from_dict(schema)
    operations = [result.ok() for result in loaded.get_all_operations()]  # raises if invalid
    assert {op.path for op in operations} >= {"/specs", "/runs", "/healthz"}
