"""OpenTelemetry traces of runs, captured with the SDK's in-memory exporter; and nothing of
OpenTelemetry imported when tracing is not configured."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from rt_support import SHIPPING_INPUT, AppFactory, ScriptedStandIn, no_model, running

from specwright.runtime.observe import tracing

PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{PARENT_TRACE}-00f067aa0ba902b7-01"


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracing.install(provider)
    try:
        yield memory
    finally:
        tracing.uninstall()
        provider.shutdown()


async def test_a_model_run_is_one_trace_with_genai_attempt_spans(
    make_app: AppFactory, exporter: InMemorySpanExporter
) -> None:
    model = ScriptedStandIn([{"carrier": "ups", "reason": "fine"}])
    app = make_app(model_factory=lambda rev: model)
    async with running(app) as c:
        r = await c.post("/specs/shipping/v1", json=SHIPPING_INPUT,
                         headers={"traceparent": TRACEPARENT})
        assert r.status_code == 200, r.text
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) == {"specwright.run shipping", "specwright.validate", "specwright.tables",
                          "chat scripted", "specwright.guardrails", "specwright.log.write"}
    root = spans["specwright.run shipping"]
    assert f"{root.context.trace_id:032x}" == PARENT_TRACE  # the caller's trace continues
    assert root.parent is not None and f"{root.parent.span_id:016x}" == "00f067aa0ba902b7"
    assert root.attributes is not None
    assert root.attributes["specwright.run_id"] == r.headers["x-specwright-run-id"]
    for name, span in spans.items():
        if span is not root:
            assert span.parent is not None and span.parent.span_id == root.context.span_id, name
            if name != "chat scripted":  # the stand-in's attempt claims started_at=0
                assert root.start_time <= span.start_time <= span.end_time <= root.end_time
    attempt = spans["chat scripted"].attributes
    assert attempt is not None
    assert (attempt["gen_ai.system"], attempt["gen_ai.request.model"],
            attempt["gen_ai.usage.input_tokens"], attempt["gen_ai.usage.output_tokens"]) == (
        "fake", "scripted", 10, 5)


async def test_a_rules_only_run_has_no_model_span_and_starts_its_own_trace(
    make_app: AppFactory, exporter: InMemorySpanExporter
) -> None:
    app = make_app(model_factory=no_model)
    async with running(app) as c:
        assert (await c.post("/specs/triage/v1", json={"order_total": 10, "country": "US"})
                ).status_code == 200
    spans = exporter.get_finished_spans()
    assert sorted(s.name for s in spans) == [
        "specwright.guardrails", "specwright.log.write", "specwright.run triage",
        "specwright.tables", "specwright.validate"]
    root = next(s for s in spans if s.name == "specwright.run triage")
    assert root.parent is None


def test_without_configuration_specwright_imports_nothing_of_opentelemetry() -> None:
    """FastAPI itself imports ``opentelemetry`` (its API) when installed: what is checked is
    that serving a traced-looking request adds no OpenTelemetry module to what FastAPI loaded."""
    code = textwrap.dedent("""
        import asyncio, os, sys, tempfile
        from pathlib import Path
        import fastapi, fastapi.background
        before = {m for m in sys.modules if m.startswith("opentelemetry")}
        for name in list(os.environ):
            if name.startswith("OTEL_"):
                del os.environ[name]
        sys.path.insert(0, sys.argv[1])
        import rt_support
        from specwright.runtime.config import Settings
        from specwright.runtime.http.app import create_app

        async def main():
            root = rt_support.hand_project(Path(tempfile.mkdtemp()) / "p")
            app = create_app(Settings(), root, model_factory=rt_support.no_model)
            async with rt_support.running(app) as c:
                r = await c.post("/specs/triage/v1", json={"order_total": 10, "country": "US"},
                                 headers={"traceparent": "00-%s-00f067aa0ba902b7-01" % ("1" * 32)})
                assert r.status_code == 200, r.text
        asyncio.run(main())
        from specwright.runtime.observe import tracing
        assert tracing.ACTIVE is None
        loaded = sorted(m for m in sys.modules if m.startswith("opentelemetry") and m not in before)
        print("LOADED", loaded)
    """)
    here = str(__import__("pathlib").Path(__file__).parent)
    out = subprocess.run([sys.executable, "-c", code, here], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "LOADED []" in out.stdout
