"""Bad input against the real server process: every case is a clear 4xx, never a 5xx.

One ``specwright serve`` (every example spec; model-backed ones call the fake model server) for
the module; schemathesis drives every operation of it with valid and invalid data. ``tests/runtime/test_http_api.py`` checks the parser's cases in-process; here they go
through uvicorn's own HTTP parsing too, with the documented default body limit (1 MiB), chunked
bodies, bodies exactly at the limit, lone surrogates, NUL characters, huge numbers in every
numeric field of every spec, bad revision pins, and over-long request lines and headers.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rel_support import ORDER_OK, Server, make_project, tracebacks
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from specwright.runtime.engine.catalog import load_catalog
from specwright.runtime.fakeserver import FakeServerThread

SPECS = ("order-validation", "carrier-selection", "returns-evaluation", "product-moderation",
         "inventory-routing", "address-exception")
LIMIT = 1_048_576  # the documented default max_body_bytes
URL = "/specs/order-validation/v1"
JSON = {"content-type": "application/json"}
MAX_EXAMPLES = 6  # per operation and generation mode
POSITIVE = [not_a_server_error, status_code_conformance, content_type_conformance,
            response_schema_conformance]
NEGATIVE = [not_a_server_error, content_type_conformance]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    with FakeServerThread() as fake:
        project = make_project(tmp_path_factory.mktemp("bad-input"), fake.url, specs=SPECS)
        server = Server(project)
        try:
            server.wait_ready()
            yield server, project
        finally:
            server.stop()
        problems = tracebacks(server.output())
        assert not problems, server.output()[-5000:]


@pytest.fixture
def client(served: tuple[Server, Path]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[0].url, timeout=30) as c:
        yield c


def error_of(r: httpx.Response, status: int, type_: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text[:500])
    body = r.json()
    assert set(body) == {"type", "message", "details"}, body
    if type_ is not None:
        assert body["type"] == type_, body
    assert body["message"] and "Traceback" not in body["message"]
    return dict(body)


def nested(depth: int) -> bytes:
    """An object whose ``deep`` field nests lists so that the body is ``depth`` levels deep."""
    return b'{"deep": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


ORDER = json.dumps(ORDER_OK).encode()
CASES: list[tuple[str, bytes, dict[str, str], int, str]] = [
    ("empty body", b"", JSON, 400, "invalid_json"),
    ("truncated JSON", ORDER[:-5], JSON, 400, "invalid_json"),
    ("invalid UTF-8", ORDER.replace(b"A-1001", b"A-\xff\xfe"), JSON, 400, "invalid_json"),
    ("UTF-16", ORDER.decode().encode("utf-16"), JSON, 400, "invalid_json"),
    ("NaN", ORDER.replace(b"120.0", b"NaN"), JSON, 400, "invalid_json"),
    ("-Infinity", ORDER.replace(b"120.0", b"-Infinity"), JSON, 400, "invalid_json"),
    ("1e400", ORDER.replace(b"120.0", b"1e400"), JSON, 400, "invalid_json"),
    ("a 5,000-digit integer", ORDER.replace(b"120.0", b"9" * 5000), JSON, 400, "invalid_json"),
    ("100,000 nested arrays", b"[" * 100_000 + b"]" * 100_000, JSON, 400, "invalid_json"),
    ("65 levels deep", nested(65), JSON, 400, "invalid_json"),
    ("64 levels deep: parsed, then refused by the Input model", nested(64), JSON, 422,
     "invalid_input"),
    ("text/plain", ORDER, {"content-type": "text/plain"}, 415, "unsupported_media_type"),
    ("form encoded", b"order_id=A-1", {"content-type": "application/x-www-form-urlencoded"}, 415,
     "unsupported_media_type"),
    ("multipart", b"--x\r\n\r\n--x--", {"content-type": "multipart/form-data; boundary=x"}, 415,
     "unsupported_media_type"),
    ("no content type", ORDER, {}, 415, "unsupported_media_type"),
    ("null", b"null", JSON, 422, "invalid_input"),
    ("a list", b"[1, 2]", JSON, 422, "invalid_input"),
    ("a string", b'"order"', JSON, 422, "invalid_input"),
    ("a number", b"42", JSON, 422, "invalid_input"),
    ("an unknown field", ORDER.replace(b"{", b'{"extra": 1, ', 1), JSON, 422, "invalid_input"),
]


@pytest.mark.parametrize(("content", "headers", "status", "type_"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_bodies(client: httpx.Client, content: bytes, headers: dict[str, str], status: int,
                    type_: str) -> None:
    error_of(client.post(URL, content=content, headers=headers), status, type_)


def test_good_bodies_in_unusual_but_valid_shapes(client: httpx.Client) -> None:
    for ctype in ("application/json; charset=utf-8", "application/vnd.specwright+json"):
        assert client.post(URL, content=ORDER, headers={"content-type": ctype}).status_code == 200
    padded = ORDER + b" " * (LIMIT - len(ORDER))  # exactly at the limit
    assert len(padded) == LIMIT
    assert client.post(URL, content=padded, headers=JSON).status_code == 200


def test_bodies_over_the_documented_limit_are_413(client: httpx.Client) -> None:
    over = ORDER + b" " * (LIMIT + 1 - len(ORDER))
    body = error_of(client.post(URL, content=over, headers=JSON), 413, "payload_too_large")
    assert body["details"] == {"max_body_bytes": LIMIT}

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield ORDER
        for _ in range(17):
            yield b" " * 65_536

    error_of(client.post(URL, content=chunks(), headers=JSON), 413, "payload_too_large")


def raw_status(server: Server, request: bytes) -> str:
    """Send raw bytes on a fresh connection; the status line of the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        try:
            sock.sendall(request)
        except OSError:  # the server answered and closed before reading everything
            pass
        head = sock.recv(65_536).decode("latin-1")
    return head.split("\r\n", 1)[0]


def test_a_declared_huge_length_is_refused_before_any_body(served: tuple[Server, Path]) -> None:
    request = (f"POST {URL} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
               f"content-length: {10**12}\r\n\r\n{{").encode()
    assert raw_status(served[0], request).startswith("HTTP/1.1 413")


def test_over_long_request_lines_and_headers_never_fail_the_server(
    served: tuple[Server, Path]
) -> None:
    body = b"\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(ORDER)
    for size, expected in ((100_000, ("200", "4")), (2_000_000, ("4",))):
        line = f"POST {URL}?x={'a' * size} HTTP/1.1\r\nhost: x".encode() + body + ORDER
        header = f"POST {URL} HTTP/1.1\r\nhost: x\r\nx-junk: {'b' * size}".encode()
        for request in (line, header + body + ORDER):
            status = raw_status(served[0], request)
            assert status.split(" ")[1].startswith(expected), (size, status)


@pytest.mark.parametrize("where", ["a valid input", "an unknown field name"])
def test_lone_surrogates_are_a_4xx(client: httpx.Client, where: str) -> None:
    if where == "a valid input":
        content = ORDER.replace(b'"A-1001"', b'"A-\\ud800"')
    else:
        content = ORDER.replace(b"{", b'{"x\\udfff": 1, ', 1)
    r = client.post(URL, content=content, headers=JSON)
    assert 400 <= r.status_code < 500, r.text


def test_nul_characters_are_data_on_sqlite(client: httpx.Client) -> None:
    content = ORDER.replace(b'"A-1001"', b'"A-\\u0000-1"')
    assert client.post(URL, content=content, headers=JSON).status_code == 200


BIG_VALUES: list[Any] = [2**63, 2**64, -(2**64), 10**300, 1e308, -1e308, 5e-324, 0.1 + 0.2, -0.0]


def numeric_cases(project: Path) -> list[tuple[str, dict[str, Any], str]]:
    """(spec, base input, field) for every top-level numeric input field of every spec."""
    catalog = load_catalog(project / "generated")
    out = []
    for name in SPECS:
        rev = catalog.resolve(name, 1)
        base = dict(rev.compiled.spec.examples[0].input)
        for field, schema in rev.input_schema["properties"].items():
            kinds = {schema.get("type"), *(s.get("type") for s in schema.get("anyOf", ()))}
            if kinds & {"number", "integer"}:
                out.append((name, base, field))
    return out


def test_huge_and_tiny_numbers_in_every_numeric_field(
    client: httpx.Client, served: tuple[Server, Path]
) -> None:
    cases = numeric_cases(served[1])
    assert len(cases) >= 12
    seen: dict[int, int] = {}
    for name, base, field in cases:
        for value in BIG_VALUES:
            r = client.post(f"/specs/{name}/v1", json={**base, field: value})
            seen[r.status_code] = seen.get(r.status_code, 0) + 1
            assert r.status_code < 500, (name, field, value, r.text[:300])
            if r.status_code != 200:
                assert r.json()["type"] in ("invalid_input", "guardrail_failed", "no_decision",
                                            "decision_error", "decision_conflict"), r.text
    assert seen.get(200) and seen.get(422), seen


@pytest.mark.parametrize(("query", "headers", "status"), [
    ("?revision=abc", {}, 400), ("?revision=0", {}, 400), ("?revision=-1", {}, 400),
    ("?revision=" + "9" * 40, {}, 404), ("?revision=1", {"X-Specwright-Revision": "2"}, 409),
    ("", {"X-Specwright-Revision": "1.5"}, 400), ("", {"X-Specwright-Revision": "7"}, 404),
])
def test_bad_revision_pins(client: httpx.Client, query: str, headers: dict[str, str],
                           status: int) -> None:
    r = client.post(URL + query, json=ORDER_OK, headers=headers)
    error_of(r, status)


def test_wrong_methods_paths_and_log_queries(client: httpx.Client) -> None:
    error_of(client.get(URL), 405, "method_not_allowed")
    error_of(client.put(URL, json=ORDER_OK), 405, "method_not_allowed")
    error_of(client.post("/specs/nope/v1", json={}), 404, "not_found")
    error_of(client.post("/specs/order-validation/v9", json=ORDER_OK), 404, "not_found")
    error_of(client.post("/specs/order-validation/v" + "9" * 30, json=ORDER_OK), 404)
    for params in ({"limit": "0"}, {"limit": "abc"}, {"since": "yesterday"},
                   {"cursor": "not-a-run-id"}, {"status": "great"}, {"since": "9e999"}):
        r = client.get("/runs", params=params)
        assert r.status_code == 422, (params, r.text)
    assert client.get("/runs/not-a-run-id").status_code in (404, 422)


async def test_nul_characters_are_data_on_postgres(tmp_path: Path, pg_url: str) -> None:
    from specwright.runtime.config import load_settings
    from specwright.runtime.http.app import create_app

    project = make_project(tmp_path / "proj", "http://127.0.0.1:9", specs=("order-validation",))
    app = create_app(load_settings(project, {"SPECWRIGHT_DATABASE_URL": pg_url}), project)
    content = ORDER.replace(b'"A-1001"', b'"A-\\u0000-1"')
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.post(URL, content=content, headers=JSON)
    assert r.status_code == 200, r.text


def test_schemathesis_over_every_operation(served: tuple[Server, Path]) -> None:
    """Generated valid *and* invalid requests to every operation: never a 5xx, and every
    answer as ``/openapi.json`` declares it (``tests/runtime/test_schemathesis.py`` runs valid
    data in-process with mock models; this is the live stack, negative mode included)."""
    live = served[0]
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json", timeout=10)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    paths = {op.path for op in operations}
    assert {f"/specs/{name}/v1" for name in SPECS} <= paths and "/runs" in paths
    calls = 0
    for operation in operations:
        calls += fuzz(operation, GenerationMode.POSITIVE, POSITIVE, live.url)
        calls += fuzz(operation, GenerationMode.NEGATIVE, NEGATIVE, live.url)
    assert calls >= len(operations) * MAX_EXAMPLES


def fuzz(operation: Any, mode: GenerationMode, checks: list[Any], base_url: str) -> int:
    """Run ``MAX_EXAMPLES`` generated cases of one operation; how many were sent."""
    calls = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        nonlocal calls
        calls += 1
        case.call_and_validate(base_url=base_url, checks=checks, timeout=30)

    try:
        check()
    except Unsatisfiable:  # no invalid request exists (an operation without inputs)
        assert mode is GenerationMode.NEGATIVE, operation.path
    return calls
