"""OpenTelemetry traces of runs: optional (``pip install specwright[otel]``), off by default.

When on, a traced run is one trace (or a child of the caller's ``traceparent``): a root span
``specwright.run <spec>`` with children ``specwright.validate``, ``specwright.tables``, one span
per model attempt (``chat <model>``, with the GenAI semantic-convention attributes
``gen_ai.provider.name`` (and the older ``gen_ai.system``), ``gen_ai.request.model``,
``gen_ai.usage.input_tokens`` and ``gen_ai.usage.output_tokens``), ``specwright.guardrails`` and
``specwright.log.write``.

Cheap by construction, because a rules-only run costs about 150 us and the SDK's tracer about
15-30 us per span (docs/performance.md):

* whether a run is traced is decided once, at its start, by ``sampling.py`` on ids of our own:
  a run that is not sampled costs a decrement or a comparison, and the pipeline notes no step
  times;
* a traced run notes wall-clock times at its step boundaries (``RunMarks``) and holds no span
  open across its awaits; once it is logged, its spans are built from the run record and
  those times as finished SDK ``ReadableSpan`` objects and handed to the span processor
  (``on_end``, the processor interface exporters are fed by), without the SDK tracer's
  per-span sampler call, context handling and attribute copying.

On when ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` is set (spans
exported over OTLP/HTTP by a ``BatchSpanProcessor``, sampled as ``OTEL_TRACES_SAMPLER`` says), or
when an application or a test calls ``install`` with a span processor of its own. Off, this
module never imports ``opentelemetry``.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field
from typing import Any

from specwright.runtime.observe.sampling import Sampling, sampling_from_env
from specwright.runtime.records import RunRecord

ENDPOINT_ENVS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
# gen_ai.provider.name values of the GenAI semantic conventions, by our provider names
_PROVIDERS = {"openai": "openai", "anthropic": "anthropic"}


@dataclass(slots=True)
class RunMarks:
    """A traced run: its ids and the wall-clock nanoseconds at its step boundaries."""

    start: int
    trace_id: int
    parent_span_id: int  # the caller's span (from traceparent), 0 when the run starts a trace
    steps: list[tuple[str, int, int]] = field(default_factory=list)  # name, start, end


class RunTracer:
    """Decides per run whether it is traced, and turns a traced run into finished spans."""

    def __init__(self, processor: Any, *, sampling: Sampling | None = None,
                 resource: Any = None) -> None:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import ReadableSpan
        from opentelemetry.sdk.util.instrumentation import InstrumentationScope

        self.processor = processor
        self.sampling = sampling or Sampling()
        self.resource = resource if resource is not None else Resource.create()
        self._scope = InstrumentationScope("specwright")
        self._span = ReadableSpan
        self._context = trace.SpanContext
        self._flags = trace.TraceFlags(trace.TraceFlags.SAMPLED)
        self._kinds = (trace.SpanKind.SERVER, trace.SpanKind.INTERNAL, trace.SpanKind.CLIENT)
        self._unset = trace.Status(trace.StatusCode.UNSET)
        self._error = trace.Status
        self._error_code = trace.StatusCode.ERROR

    def begin(self, traceparent: str | None) -> RunMarks | None:
        """The run's marks when it is traced; None (nothing more to do) when it is not."""
        decided = self.sampling.decide(traceparent)
        if decided is None:
            return None
        return RunMarks(time.time_ns(), decided[0], decided[1])

    def record(self, run: RunRecord, marks: RunMarks, end_ns: int) -> None:
        """Hand the run's spans, finished, to the processor (children first, as they end)."""
        trace_id, flags = marks.trace_id, self._flags
        root = self._context(trace_id, random.getrandbits(64) or 1, False, flags)
        parent = (self._context(trace_id, marks.parent_span_id, True, flags)
                  if marks.parent_span_id else None)
        server, internal, client = self._kinds
        for name, start, end in marks.steps:
            self._emit(f"specwright.{name}", root, internal, start, end)
        for attempt in run.attempts:
            start = int(attempt.started_at * 1e9)
            self._emit(f"chat {attempt.model}", root, client, start,
                       start + int(attempt.latency_ms * 1e6), _genai(attempt),
                       None if attempt.status == "ok"
                       else self._error(self._error_code, attempt.error_class))
        self.processor.on_end(self._span(
            f"specwright.run {run.spec}", context=root, parent=parent, resource=self.resource,
            attributes={"specwright.spec": run.spec, "specwright.revision": run.revision,
                        "specwright.run_id": run.id, "specwright.status": run.status},
            kind=server, start_time=marks.start, end_time=end_ns,
            status=self._unset if run.status in ("ok", "escalated")
            else self._error(self._error_code, run.status),
            instrumentation_scope=self._scope))

    def _emit(self, name: str, parent: Any, kind: Any, start: int, end: int,
              attributes: dict[str, Any] | None = None, status: Any = None) -> None:
        context = self._context(parent.trace_id, random.getrandbits(64) or 1, False, self._flags)
        self.processor.on_end(self._span(
            name, context=context, parent=parent, resource=self.resource, attributes=attributes,
            kind=kind, start_time=start, end_time=end, status=status or self._unset,
            instrumentation_scope=self._scope))

    def shutdown(self) -> None:
        self.processor.shutdown()


def _genai(attempt: Any) -> dict[str, Any]:
    """A model attempt's GenAI semantic-convention attributes."""
    provider = _PROVIDERS.get(attempt.provider, attempt.provider)
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "gen_ai.system": provider,  # the name before semantic conventions 1.37; still read
        "gen_ai.request.model": attempt.model,
        "specwright.attempt.purpose": attempt.purpose,
    }
    if attempt.input_tokens is not None:
        attributes["gen_ai.usage.input_tokens"] = attempt.input_tokens
    if attempt.output_tokens is not None:
        attributes["gen_ai.usage.output_tokens"] = attempt.output_tokens
    if attempt.error_class:
        attributes["error.type"] = attempt.error_class
    return attributes


ACTIVE: RunTracer | None = None  # read by the pipeline on every run: None costs nothing


def install(processor: Any, *, sampling: Sampling | None = None,
            resource: Any = None) -> RunTracer:
    """Trace runs into ``processor`` (an OpenTelemetry SDK ``SpanProcessor``, e.g. a
    ``BatchSpanProcessor`` of an exporter); every run unless ``sampling`` says otherwise."""
    global ACTIVE
    ACTIVE = RunTracer(processor, sampling=sampling, resource=resource)
    return ACTIVE


def uninstall() -> None:
    global ACTIVE
    ACTIVE = None


def configure_from_env(env: dict[str, str] | None = None) -> RunTracer | None:
    """Export over OTLP when an endpoint variable is set; else leave tracing as it is."""
    env = dict(os.environ) if env is None else env
    if ACTIVE is not None or not any(env.get(name) for name in ENDPOINT_ENVS):
        return ACTIVE
    sampling = sampling_from_env(env)
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        raise RuntimeError(
            "an OTLP endpoint is set but OpenTelemetry is not installed: "
            "pip install 'specwright[otel]' (or unset OTEL_EXPORTER_OTLP_ENDPOINT)"
        ) from exc
    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME", "specwright")})
    return install(BatchSpanProcessor(OTLPSpanExporter()), sampling=sampling, resource=resource)
