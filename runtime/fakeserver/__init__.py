"""A fault-injecting fake model server for tests and benchmarks: OpenAI Chat Completions (and
OpenAI-compatible servers) and Anthropic Messages, over HTTP on loopback only.

It answers with schema-valid JSON derived from the request's ``response_format`` JSON Schema or
forced tool ``input_schema``, reports token usage, and injects a seeded mix of faults: 429 with
Retry-After, 500, hangs (the client's timeout fires), connection resets, malformed JSON,
schema-invalid JSON, a configurable "bad answer" (e.g. one that violates a guardrail) and, opt-in,
a truncated HTTP body.

    python -m specwright.runtime.fakeserver --port 8100 --fault-rate 0.3 --latency-ms 0

    [deployments.fake]                       # specwright.toml
    kind = "openai-compatible"
    base_url = "http://127.0.0.1:8100/v1"

In Python: ``FakeServer`` (async, in your event loop) or ``FakeServerThread`` (its own thread).
"""

from specwright.runtime.fakeserver.config import (
    FAULT_KINDS,
    FakeConfig,
    FaultKind,
    FaultMix,
    fault_kind,
)
from specwright.runtime.fakeserver.runner import DEFAULT_FAULTS, FakeServerThread, main
from specwright.runtime.fakeserver.server import FakeServer, FakeStats

__all__ = [
    "DEFAULT_FAULTS", "FAULT_KINDS", "FakeConfig", "FakeServer", "FakeServerThread",
    "FakeStats", "FaultKind", "FaultMix", "fault_kind", "main",
]
