"""OpenTelemetry traces of runs, captured with the SDK's in-memory exporter; and nothing of
OpenTelemetry imported when tracing is not configured."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import TraceIdRatioBased
from rt_support import SHIPPING_INPUT, AppFactory, ScriptedStandIn, no_model, running

from specwright.runtime.observe import tracing
from specwright.runtime.observe.sampling import Sampling, parse_traceparent, sampling_from_env

PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{PARENT_TRACE}-00f067aa0ba902b7-01"


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    tracer = tracing.install(SimpleSpanProcessor(memory))
    try:
        yield memory
    finally:
        tracing.uninstall()
        tracer.shutdown()


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
    assert attempt["gen_ai.provider.name"] == attempt["gen_ai.system"]
    assert (attempt["gen_ai.provider.name"], attempt["gen_ai.request.model"],
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


async def test_a_caller_that_did_not_sample_its_trace_gets_no_spans_and_one_that_did_does(
    make_app: AppFactory,
) -> None:
    memory = InMemorySpanExporter()
    tracer = tracing.install(SimpleSpanProcessor(memory), sampling=Sampling(ratio=0.0))
    try:
        app = make_app(model_factory=no_model)
        async with running(app) as c:
            body = {"order_total": 10, "country": "US"}
            for flags in ("00", "01"):  # the caller's sampled flag decides, not the ratio
                r = await c.post("/specs/triage/v1", json=body,
                                 headers={"traceparent": f"00-{PARENT_TRACE}-00f067aa0ba902b7-"
                                                         f"{flags}"})
                assert r.status_code == 200
            assert (await c.post("/specs/triage/v1", json=body)).status_code == 200  # ratio 0
    finally:
        tracing.uninstall()
        tracer.shutdown()
    spans = memory.get_finished_spans()
    assert len(spans) == 5 and {f"{s.context.trace_id:032x}" for s in spans} == {PARENT_TRACE}


@settings(max_examples=300, deadline=None)
@given(trace_id=st.integers(1, 2**128 - 1), ratio=st.sampled_from([0.0, 0.01, 0.1, 0.5, 0.99, 1.0]))
def test_the_ratio_rule_keeps_exactly_the_traces_the_sdk_sampler_keeps(
    trace_id: int, ratio: float
) -> None:
    header = f"00-{trace_id:032x}-00f067aa0ba902b7-01"
    ours = Sampling(ratio=ratio, parent_based=False).decide(header) is not None
    sdk = TraceIdRatioBased(ratio).should_sample(None, trace_id, "x").decision.is_sampled()
    assert ours == sdk


@pytest.mark.parametrize("header", [
    TRACEPARENT, TRACEPARENT[:-2] + "00", f"  {TRACEPARENT}\t", TRACEPARENT.upper(),
    "ff" + TRACEPARENT[2:], f"{TRACEPARENT}-extra", "01" + TRACEPARENT[2:] + "-future",
    f"00-{'0' * 32}-00f067aa0ba902b7-01", f"00-{PARENT_TRACE}-{'0' * 16}-01",
    f"00-{PARENT_TRACE}-00f067aa0ba902b7", "00-xyz", "", f"00-{PARENT_TRACE}-00f067aa0ba902b7-0g",
])
def test_traceparent_is_read_as_the_sdk_propagator_reads_it(header: str) -> None:
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    context = trace.get_current_span(TraceContextTextMapPropagator().extract(
        {"traceparent": header})).get_span_context()
    sdk = ((context.trace_id, context.span_id, context.trace_flags.sampled)
           if context.is_valid else None)
    assert parse_traceparent(header) == sdk


@pytest.mark.parametrize(("env", "expected"), [
    ({}, Sampling(1.0, parent_based=True)),
    ({"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.05"},
     Sampling(0.05, parent_based=True)),
    ({"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.5"},
     Sampling(0.5, parent_based=False)),
    ({"OTEL_TRACES_SAMPLER": "always_off"}, Sampling(0.0, parent_based=False)),
])
def test_the_sampler_variables_choose_the_rule(env: dict[str, str], expected: Sampling) -> None:
    assert sampling_from_env(env) == expected


@pytest.mark.parametrize(("env", "named"), [
    ({"OTEL_TRACES_SAMPLER": "jaeger_remote"}, "parentbased_traceidratio"),
    ({"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "half"}, "from 0 to 1"),
    ({"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"}, "from 0 to 1"),
])
def test_a_sampler_specwright_cannot_apply_is_refused_naming_the_fix(
    env: dict[str, str], named: str
) -> None:
    with pytest.raises(RuntimeError, match=named):
        sampling_from_env(env)


@pytest.mark.parametrize("ratio", [0.0, 0.01, 0.1, 0.5, 1.0])
def test_runs_that_start_a_trace_are_kept_at_the_ratio_and_read_as_kept_by_the_sdk(
    ratio: float,
) -> None:
    """Passed-over runs are counted down, not drawn one by one: the share kept is still the
    ratio (within 5 standard deviations), and each kept trace id is one the SDK keeps."""
    import random

    saved = random.getstate()
    random.seed(20261206)
    try:
        _check_kept_at_ratio(ratio)
    finally:
        random.setstate(saved)


def _check_kept_at_ratio(ratio: float) -> None:
    sampling, sdk = Sampling(ratio=ratio, parent_based=False), TraceIdRatioBased(ratio)
    runs = 100_000
    kept = [found for found in (sampling.decide(None) for _ in range(runs)) if found is not None]
    spread = 5 * (runs * ratio * (1 - ratio)) ** 0.5
    assert abs(len(kept) - runs * ratio) <= spread
    assert all(sdk.should_sample(None, trace_id, "x").decision.is_sampled() and parent == 0
               for trace_id, parent in kept)
    gaps, last = [], -1  # where the kept runs fall: no pattern a countdown could leave
    for index, found in enumerate(sampling.decide(None) for _ in range(runs)):
        if found is not None:
            gaps.append(index - last - 1)
            last = index
    if 0 < ratio < 1:  # geometric gaps: mean (1 - p) / p, and a run right after a kept one
        n = len(gaps)  # is kept with probability p
        mean = sum(gaps) / n
        assert abs(mean - (1 - ratio) / ratio) <= 5 * (1 - ratio) ** 0.5 / ratio / n ** 0.5
        assert abs(gaps.count(0) / n - ratio) <= 5 * (ratio * (1 - ratio) / n) ** 0.5
