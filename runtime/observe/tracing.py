"""OpenTelemetry traces of runs: optional (``pip install specwright[otel]``), off by default.

When on, each run is one trace (or a child of the caller's ``traceparent``): a root span
``specwright.run <spec>`` with children ``specwright.validate``, ``specwright.tables``, one span
per model attempt (``chat <model>``, with the GenAI semantic-convention attributes
``gen_ai.system``, ``gen_ai.request.model``, ``gen_ai.usage.input_tokens`` and
``gen_ai.usage.output_tokens``), ``specwright.guardrails`` and ``specwright.log.write``.

The spans are built once the run is logged, from times the pipeline noted as it went
(``RunMarks``): a run holds no open span across its awaits, and when tracing is off the pipeline
notes nothing (``ACTIVE`` is None) and this module never imports ``opentelemetry``.

On when ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` is set (spans
exported over OTLP/HTTP in batches, the OpenTelemetry SDK reading its usual variables), or when
an application or a test calls ``install`` with a tracer provider of its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from specwright.runtime.records import RunRecord

ENDPOINT_ENVS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_PROVIDERS = {"openai": "openai", "anthropic": "anthropic"}  # gen_ai.system values


@dataclass(slots=True)
class RunMarks:
    """Wall-clock nanoseconds at the pipeline's step boundaries (``time.time_ns``)."""

    start: int
    parent: str | None = None  # the caller's traceparent header
    steps: list[tuple[str, int, int]] = field(default_factory=list)  # name, start, end


class RunTracer:
    """Turns a logged run and its marks into spans (only built when tracing is on)."""

    def __init__(self, provider: Any) -> None:
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        self.tracer = provider.get_tracer("specwright")
        self.propagator = TraceContextTextMapPropagator()
        self.provider = provider

    def record(self, run: RunRecord, marks: RunMarks, end_ns: int) -> None:
        from opentelemetry import trace

        parent = self.propagator.extract({"traceparent": marks.parent}) if marks.parent else None
        root = self.tracer.start_span(f"specwright.run {run.spec}", context=parent,
                                      start_time=marks.start, kind=trace.SpanKind.SERVER)
        if not root.is_recording():  # not sampled: its children would not be either
            root.end(end_time=end_ns)
            return
        root.set_attributes({"specwright.spec": run.spec, "specwright.revision": run.revision,
                             "specwright.run_id": run.id, "specwright.status": run.status})
        if run.status not in ("ok", "escalated"):
            root.set_status(trace.Status(trace.StatusCode.ERROR, run.status))
        context = trace.set_span_in_context(root)
        for name, start, end in marks.steps:
            self.tracer.start_span(f"specwright.{name}", context=context,
                                   start_time=start).end(end_time=end)
        for attempt in run.attempts:
            start = int(attempt.started_at * 1e9)
            attributes: dict[str, Any] = {
                "gen_ai.operation.name": "chat",
                "gen_ai.system": _PROVIDERS.get(attempt.provider, attempt.provider),
                "gen_ai.request.model": attempt.model,
                "specwright.attempt.purpose": attempt.purpose,
            }
            if attempt.input_tokens is not None:
                attributes["gen_ai.usage.input_tokens"] = attempt.input_tokens
            if attempt.output_tokens is not None:
                attributes["gen_ai.usage.output_tokens"] = attempt.output_tokens
            if attempt.error_class:
                attributes["error.type"] = attempt.error_class
            span = self.tracer.start_span(f"chat {attempt.model}", context=context,
                                          start_time=start, kind=trace.SpanKind.CLIENT,
                                          attributes=attributes)
            if attempt.status != "ok":
                span.set_status(trace.Status(trace.StatusCode.ERROR, attempt.error_class))
            span.end(end_time=start + int(attempt.latency_ms * 1e6))
        root.end(end_time=end_ns)


ACTIVE: RunTracer | None = None  # read by the pipeline on every run: None costs nothing


def install(provider: Any) -> RunTracer:
    """Trace runs into ``provider`` (an OpenTelemetry SDK ``TracerProvider``)."""
    global ACTIVE
    ACTIVE = RunTracer(provider)
    return ACTIVE


def uninstall() -> None:
    global ACTIVE
    ACTIVE = None


def configure_from_env(env: dict[str, str] | None = None) -> RunTracer | None:
    """Export over OTLP when an endpoint variable is set; else leave tracing as it is."""
    env = dict(os.environ) if env is None else env
    if ACTIVE is not None or not any(env.get(name) for name in ENDPOINT_ENVS):
        return ACTIVE
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        raise RuntimeError(
            "an OTLP endpoint is set but OpenTelemetry is not installed: "
            "pip install 'specwright[otel]' (or unset OTEL_EXPORTER_OTLP_ENDPOINT)"
        ) from exc
    provider = TracerProvider(resource=Resource.create({"service.name": env.get(
        "OTEL_SERVICE_NAME", "specwright")}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return install(provider)
