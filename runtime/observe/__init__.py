"""Observability: Prometheus metrics (``metrics.py``) and OpenTelemetry traces (``tracing.py``).

A layer of its own between the shared base and the engine: it reads run records and nothing of
the engine, the log or HTTP, so the engine and the server can both report to it.
"""
