"""Helpers of the runtime suite (imported by its conftest and tests).

Hand-built ``CompiledSpec`` objects rendered into revision directories by the real compiler
back-end (``specwright.compiler.artifacts``), so a test controls exactly the tables, guardrails and
sensitive fields it exercises; a scripted stand-in model; an app client with its lifespan.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from specwright.compiler.artifacts import render_revision
from specwright.compiler.ir import (
    CompiledGuardrail,
    CompiledRow,
    CompiledSpec,
    CompiledTable,
    Example,
    Field,
    FieldType,
    Loc,
    Route,
    RouteModel,
    Spec,
)
from specwright.compiler.manifest import spec_sha256
from specwright.runtime.http.state import get_state
from specwright.runtime.models.base import Completion, ModelRequest
from specwright.runtime.records import Attempt, RunRecord

REPO = Path(__file__).resolve().parents[2]
AppFactory = Callable[..., FastAPI]  # the make_app fixture: make_app(root=..., **create_app kw)
L = Loc(line=1)


def _f(name: str, kind: str, **kw: Any) -> Field:
    extra = {k: kw.pop(k) for k in ("required", "sensitive", "description", "has_default",
                                    "default") if k in kw}
    return Field(name=name, type=FieldType(kind=kind, **kw), loc=L, **extra)  # type: ignore[arg-type]


def shipping_spec(*, extra_input: bool = False, breaking: bool = False) -> CompiledSpec:
    """Model-backed: a table decides ``service``; the model decides ``carrier`` and ``reason``."""
    payment = FieldType(kind="object", object_name="Payment", fields=(
        _f("holder", "text"),
        _f("card_number", "text", sensitive=True),
    ))
    inputs = [
        _f("order_id", "text", min_length=1, max_length=40, description="Our order number"),
        _f("weight_kg", "number", exclusive_minimum=0, maximum=70, description="Packed weight"),
        _f("destination_country", "text", pattern="^[A-Za-z]{2}$"),
        _f("promised_days", "integer", minimum=1, maximum=14),
        _f("hazmat", "boolean", required=False, has_default=True, default=False),
        _f("email", "text", required=False, sensitive=True),
        Field(name="payment", type=payment, required=False, loc=L),
    ]
    if extra_input:
        inputs.append(_f("note", "text", required=False))
    if breaking:
        inputs.append(_f("customer_tier", "enum", values=("gold", "silver")))
    outputs = (
        _f("carrier", "enum", values=("ups", "fedex", "usps", "dhl", "escalate")),
        _f("service", "enum", values=("ground", "express", "overnight")),
        _f("reason", "text", max_length=200),
    )
    spec = Spec(
        source="specs/shipping.md", name="shipping", title="Shipping",
        description="Choose a carrier.",
        route=Route(models=(RouteModel(ref="openai:gpt-4.1-mini"),)),
        inputs=tuple(inputs), outputs=outputs,
        examples=(Example(title="Small parcel", loc=L, input=SHIPPING_INPUT,
                          output={"service": "ground"}),),
    )
    rows = (
        CompiledRow(number=1, line=20, cells=("<= 1",), condition="input.promised_days <= 1",
                    results={"service": "overnight"}),
        CompiledRow(number=2, line=21, cells=("2..3",),
                    condition="input.promised_days >= 2 && input.promised_days <= 3",
                    results={"service": "express"}),
        CompiledRow(number=3, line=22, cells=("-",), condition="true",
                    results={"service": "ground"}),
    )
    table = CompiledTable(
        name="Decision: service", line=18, hit_policy="first", inputs=("promised_days",),
        outputs=("service",), rows=rows,
        cel="[input.promised_days <= 1, input.promised_days >= 2 && input.promised_days <= 3,"
            " true]",
    )
    guard = CompiledGuardrail(label="Hazmat never goes with USPS",
                              cel='!(input.hazmat && output.carrier == "usps")', line=30)
    return CompiledSpec(spec=spec, tables=(table,), guardrails=(guard,),
                        table_decided=("service",), model_decided=("carrier", "reason"))


SHIPPING_INPUT: dict[str, Any] = {
    "order_id": "A-1", "weight_kg": 1.5, "destination_country": "US", "promised_days": 5,
}


def triage_spec() -> CompiledSpec:
    """Rules-only: every output decided by tables (no model, no key)."""
    spec = Spec(
        source="specs/triage.md", name="triage", title="Triage",
        inputs=(_f("order_total", "money", minimum=0), _f("country", "text")),
        outputs=(_f("action", "enum", values=("accept", "review", "escalate")),),
    )
    rows = (
        CompiledRow(number=1, line=10, cells=("> 1000",), condition="input.order_total > 1000.0",
                    results={"action": "escalate"}),
        CompiledRow(number=2, line=11, cells=("-",), condition='input.country != "US"',
                    results={"action": "review"}),
        CompiledRow(number=3, line=12, cells=("-",), condition="true",
                    results={"action": "accept"}),
    )
    table = CompiledTable(
        name="Decision: action", line=8, hit_policy="first", inputs=("order_total", "country"),
        outputs=("action",), rows=rows,
        cel='[input.order_total > 1000.0, input.country != "US", true]',
    )
    guard = CompiledGuardrail(label="Big orders are never accepted blindly",
                              cel='!(input.order_total > 5000.0 && output.action == "accept")',
                              line=20)
    return CompiledSpec(spec=spec, tables=(table,), guardrails=(guard,), table_decided=("action",))


def write_revision(generated: Path, compiled: CompiledSpec, revision: int, major: int,
                   changes: Sequence[dict[str, Any]] = ()) -> Path:
    files = render_revision(compiled, revision=revision, major=major,
                            source_sha256=spec_sha256(compiled.spec.name + str(revision)),
                            previous_revision=revision - 1 or None, changes=changes)
    out = generated / compiled.spec.name / f"r{revision}"
    out.mkdir(parents=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
    return out


@dataclass
class ScriptedStandIn:
    """A local stand-in Model: answers each request with the next scripted dict.

    Like the router, it calls ``request.check`` and records what it was asked.
    """

    answers: list[dict[str, Any]]
    name: str = "fake:scripted"
    requests: list[ModelRequest] = field(default_factory=list)
    problems: list[list[str]] = field(default_factory=list)

    async def complete(self, request: ModelRequest) -> Completion:
        self.requests.append(request)
        data = self.answers[min(len(self.requests) - 1, len(self.answers) - 1)]
        if request.check is not None:
            self.problems.append(list(request.check(data)))
        attempt = Attempt(provider="fake", model="scripted", purpose="call", started_at=0.0,
                          latency_ms=1.0, status="ok", input_tokens=10, output_tokens=5,
                          cost_usd=0.0001)
        return Completion(data=data, model=self.name, attempts=(attempt,), cost_usd=0.0001)


# A one-table spec for hot-reload and label tests: {label} decides, {extra} may add a required
# input (a breaking change: a new contract major).
TINY = """\
---
name: tiny
title: Tiny
---

# Tiny

Label a number.

## Input

| field | type    | constraints | description |
|-------|---------|-------------|-------------|
| n     | integer | 0..100      | A number    |
{extra}
## Output

| field | type                         | description |
|-------|------------------------------|-------------|
| label | one of: first, second, third | The label   |

## Decision: label

| n | label   |
|---|---------|
| - | {label} |
"""
EXTRA = "| m     | integer | 0..9        | Required    |\n"


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running, and an httpx client on it (no network)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


def copy_specs(dest: Path) -> Path:
    shutil.copytree(REPO / "specs", dest / "specs")
    return dest


def no_model(revision: Any) -> Any:
    raise AssertionError("a rules-only spec must never build a model")


async def logged(app: FastAPI, run_id: str) -> RunRecord:
    store = get_state(app).store
    assert store is not None
    run = await store.get(run_id)
    assert run is not None, f"run {run_id} is not in the log"
    return run


def assert_error(r: httpx.Response, status: int, type_: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"type", "message", "details"}, body
    assert body["type"] == type_, body
    assert body["message"]
    return body


def hand_project(root: Path) -> Path:
    """shipping r1 (v1), shipping r2 (v1, adds an optional input), triage r1 (rules only)."""
    gen = root / "generated"
    write_revision(gen, shipping_spec(), 1, 1)
    write_revision(gen, shipping_spec(extra_input=True), 2, 1,
                   changes=[{"kind": "added_optional_input", "field": "note"}])
    write_revision(gen, triage_spec(), 1, 1)
    (root / "specs").mkdir(parents=True, exist_ok=True)
    return root


def compile_examples(dest: Path) -> Path:
    """The repository's specs/ copied to ``dest`` and compiled there with specwright.runtime.project.compile_all."""
    from specwright.runtime.config import Settings
    from specwright.runtime.project.compile_all import compile_project

    copy_specs(dest)
    result = compile_project(dest, Settings(), write=True)
    problems = [str(d) for o in result.outcomes for d in o.errors]
    assert not problems, problems
    return dest


ORDER_OK: dict[str, Any] = {
    "order_id": "A-1001", "order_total": 120.0, "item_count": 2, "shipping_country": "US",
    "payment_status": "authorized", "address_verified": True, "fraud_score": 5,
}
CARRIER_IN: dict[str, Any] = {
    "order_id": "A-1001", "weight_kg": 1.2, "destination_country": "US",
    "destination_region": "OR", "promised_days": 5, "declared_value": 40,
}


