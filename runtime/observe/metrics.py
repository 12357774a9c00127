"""Prometheus metrics of a server, in the text format at ``GET /metrics`` (``prometheus-client``).

What is counted: runs by spec, revision and status; run and model-call latency histograms;
model attempts by model and purpose (call, retry, repair, fallback) and errors by cause; tokens
and cost; hits per table row (spec, table, row line); guardrail violations; review cases
opened, resolved, overridden, and their age when resolved. The open cases and the oldest one's
age are read from the log at scrape time (``OpenReviews``).

Runs are counted from their records by ``observe_runs``, the log store's listener
(``LogStore.listen``): the runs of one commit are counted together, before any of their callers
is answered, so a scrape made after an answer always includes its run. Counting a commit's runs
in one pass keeps prometheus-client's objects hot in the CPU's caches, which one run at a time,
between two requests, they are not (docs/performance.md, "Metrics and traces").

Cheap on the hot path: the label children a revision's runs use are looked up once per revision
and kept (``_RevisionChildren``), and so are the children a rule trace or a guardrail outcome
touches, keyed by the JSON text the run plan remembers for it (the same string object run after
run): a run costs a few dict lookups and one histogram ``observe``, and each series a commit's
runs touch gets one ``inc`` of their count.

With ``serve --workers N`` every worker writes its values to files under
``PROMETHEUS_MULTIPROC_DIR`` (the supervisor creates the directory and removes it), and
``/metrics`` on any worker adds up every worker's files: the numbers are the server's. The
variable must be set before ``prometheus_client`` is imported (it picks its value class then).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from specwright.runtime.observe.run_latency import LatencyCounts, RunLatency
from specwright.runtime.records import RunRecord

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_RUN_BUCKETS = (.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60)
_MODEL_BUCKETS = (.05, .1, .25, .5, 1, 2, 4, 8, 15, 30, 60)
_REMEMBERED = 256  # rule traces / guardrail outcomes remembered per revision
_AGE_BUCKETS = (60, 300, 900, 3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400)

REGISTRY = CollectorRegistry(auto_describe=True)

RUNS = Counter("specwright_runs", "Runs answered, by spec, revision and status",
               ("spec", "revision", "status"), registry=REGISTRY)
RUN_LATENCY = RunLatency(REGISTRY, _RUN_BUCKETS)  # the histogram specwright_run_duration_seconds
MODEL_SECONDS = Histogram("specwright_model_call_duration_seconds", "One model attempt",
                          ("model",), buckets=_MODEL_BUCKETS, registry=REGISTRY)
MODEL_ATTEMPTS = Counter("specwright_model_attempts", "Model attempts by purpose and status",
                         ("model", "purpose", "status"), registry=REGISTRY)
MODEL_ERRORS = Counter("specwright_model_errors", "Failed model attempts by cause",
                       ("model", "cause"), registry=REGISTRY)
TOKENS = Counter("specwright_model_tokens", "Tokens by model and direction",
                 ("model", "direction"), registry=REGISTRY)
COST = Counter("specwright_model_cost_usd", "Model cost in USD (known prices only)",
               ("model",), registry=REGISTRY)
ROW_HITS = Counter("specwright_table_row_hits", "Runs a decision-table row decided",
                   ("spec", "table", "row_line"), registry=REGISTRY)
VIOLATIONS = Counter("specwright_guardrail_violations", "Guardrails a run's output violated",
                     ("spec", "guardrail"), registry=REGISTRY)
REVIEWS_OPENED = Counter("specwright_review_cases_opened", "Review cases opened",
                         ("spec",), registry=REGISTRY)
REVIEWS_RESOLVED = Counter("specwright_review_cases_resolved", "Review cases resolved",
                           ("spec",), registry=REGISTRY)
REVIEWS_OVERRIDDEN = Counter("specwright_review_cases_overridden",
                             "Resolved cases whose final output differs from the answer",
                             ("spec",), registry=REGISTRY)
REVIEW_AGE = Histogram("specwright_review_case_age_seconds", "A case's age when resolved",
                       ("spec",), buckets=_AGE_BUCKETS, registry=REGISTRY)
# Cost controls (docs/models.md): daily budgets, their use today, refusals; the answer cache.
BUDGET_LIMIT_TOKENS = Gauge("specwright_budget_limit_tokens", "Daily token budget",
                            ("scope", "name"), registry=REGISTRY, multiprocess_mode="max")
BUDGET_USED_TOKENS = Gauge("specwright_budget_used_tokens", "Tokens used today (UTC) of a budget",
                           ("scope", "name"), registry=REGISTRY, multiprocess_mode="mostrecent")
BUDGET_LIMIT_USD = Gauge("specwright_budget_limit_usd", "Daily cost budget in USD",
                         ("scope", "name"), registry=REGISTRY, multiprocess_mode="max")
BUDGET_USED_USD = Gauge("specwright_budget_used_usd", "USD used today (UTC) of a budget",
                        ("scope", "name"), registry=REGISTRY, multiprocess_mode="mostrecent")
BUDGET_REFUSALS = Counter("specwright_budget_refusals", "Runs refused by a budget",
                          ("scope", "name", "budget"), registry=REGISTRY)
NOT_LOGGED = Counter("specwright_runs_not_logged",
                     "Runs answered 503 because the execution log could not take them",
                     ("spec",), registry=REGISTRY)
ANSWER_CACHE = Counter("specwright_answer_cache_lookups", "Answer cache lookups by result",
                       ("spec", "result"), registry=REGISTRY)


def observe_budget(scope: str, name: str, limit_tokens: int | None, limit_usd: float | None,
                   used: Any) -> None:
    """A budget's limits, and its use today when known (``used``: tokens, cost_usd)."""
    if limit_tokens is not None:
        BUDGET_LIMIT_TOKENS.labels(scope, name).set(limit_tokens)
        if used is not None:
            BUDGET_USED_TOKENS.labels(scope, name).set(used.tokens)
    if limit_usd is not None:
        BUDGET_LIMIT_USD.labels(scope, name).set(limit_usd)
        if used is not None:
            BUDGET_USED_USD.labels(scope, name).set(used.cost_usd)


def observe_budget_refusal(scope: str, name: str, budget: str) -> None:
    BUDGET_REFUSALS.labels(scope, name, budget).inc()


def observe_answer_cache(spec: str, result: str) -> None:
    ANSWER_CACHE.labels(spec, result).inc()


@dataclass(slots=True)
class _RevisionChildren:
    """The label children one revision's runs touch, found once."""

    spec: str
    revision: str
    latency: LatencyCounts
    pending: dict[int, int] = field(default_factory=dict)  # this commit's runs per bucket
    pending_seconds: float = 0.0
    runs: dict[str, Any] = field(default_factory=dict)  # status -> child
    rows: dict[tuple[str, int | None], Any] = field(default_factory=dict)
    violations: dict[str, Any] = field(default_factory=dict)
    opened: Any = None
    # (status, rule trace JSON, guardrails JSON) -> the counter children such a run touches
    by_outcome: dict[tuple[str, str | None, str | None], tuple[Any, ...]] = field(
        default_factory=dict)

    def touched(self, run: RunRecord) -> tuple[Any, ...]:
        """The counters one run adds one to: its status's, its rows', its violations'."""
        encoded = run.encoded
        key = None if encoded is None else (run.status, encoded.rule_trace, encoded.guardrails)
        found = None if key is None else self.by_outcome.get(key)
        if found is None:
            found = (self.run(run.status),
                     *(self.row(entry["table"], line) for entry in run.rule_trace
                       for line in entry["row_lines"]),
                     *(self.violation(g["label"]) for g in run.guardrails if not g["passed"]),
                     *((self.opened,) if run.status == "escalated" else ()))
            if key is not None and len(self.by_outcome) < _REMEMBERED:
                self.by_outcome[key] = found
        return found

    def run(self, status: str) -> Any:
        child = self.runs.get(status)
        if child is None:
            child = self.runs[status] = RUNS.labels(self.spec, self.revision, status)
        return child

    def row(self, table: str, line: int | None) -> Any:
        key = (table, line)
        child = self.rows.get(key)
        if child is None:
            child = self.rows[key] = ROW_HITS.labels(self.spec, table, str(line))
        return child

    def violation(self, label: str) -> Any:
        child = self.violations.get(label)
        if child is None:
            child = self.violations[label] = VIOLATIONS.labels(self.spec, label)
        return child


_children: dict[tuple[str, int], _RevisionChildren] = {}


def _of(spec: str, revision: int) -> _RevisionChildren:
    found = _children.get((spec, revision))
    if found is None:
        found = _RevisionChildren(spec, str(revision), RUN_LATENCY.of(spec, str(revision)))
        found.opened = REVIEWS_OPENED.labels(spec)
        _children[(spec, revision)] = found
    return found


def observe_runs(runs: list[RunRecord]) -> None:
    """Count runs just logged together (the log store's listener: ``LogStore.listen``).

    One pass over the group: runs alike (same revision, status, rule trace and guardrail
    outcome) are counted together, then each counter they touch gets one ``inc``; so do the
    latency buckets the runs fall in (``run_latency.py``)."""
    alike: dict[tuple[Any, ...], int] = {}
    timed: list[_RevisionChildren] = []
    last: tuple[str, int] | None = None
    children: _RevisionChildren | None = None
    for run in runs:
        if last != (run.spec, run.revision) or children is None:
            last = (run.spec, run.revision)
            children = _of(*last)
        touched = children.touched(run)
        alike[touched] = alike.get(touched, 0) + 1
        seconds = run.latency_ms / 1000.0
        bucket = children.latency.bucket(seconds)
        pending = children.pending
        if not pending:
            timed.append(children)
        pending[bucket] = pending.get(bucket, 0) + 1
        children.pending_seconds += seconds
        for attempt in run.attempts:
            _observe_attempt(attempt)
    totals: dict[Any, int] = {}
    for touched, count in alike.items():
        for child in touched:
            totals[child] = totals.get(child, 0) + count
    for child, count in totals.items():
        child.inc(count)
    for children in timed:
        children.latency.add(children.pending, children.pending_seconds)
        children.pending, children.pending_seconds = {}, 0.0


def observe_not_logged(spec: str) -> None:
    """A run answered 503 because the log could not take it (not among the runs counted)."""
    NOT_LOGGED.labels(spec).inc()


def _observe_attempt(attempt: Any) -> None:
    model = f"{attempt.provider}:{attempt.model}"
    MODEL_ATTEMPTS.labels(model, attempt.purpose, attempt.status).inc()
    MODEL_SECONDS.labels(model).observe(attempt.latency_ms / 1000.0)
    if attempt.status != "ok":
        MODEL_ERRORS.labels(model, attempt.error_class or "unknown").inc()
    if attempt.input_tokens:
        TOKENS.labels(model, "input").inc(attempt.input_tokens)
    if attempt.output_tokens:
        TOKENS.labels(model, "output").inc(attempt.output_tokens)
    if attempt.cached_tokens:  # of the input tokens: read from the provider's prompt cache
        TOKENS.labels(model, "cache_read").inc(attempt.cached_tokens)
    if attempt.cache_write_tokens:  # ... and written to it
        TOKENS.labels(model, "cache_write").inc(attempt.cache_write_tokens)
    if attempt.cost_usd:
        COST.labels(model).inc(attempt.cost_usd)


def observe_resolution(spec: str, *, overridden: bool, age_s: float) -> None:
    REVIEWS_RESOLVED.labels(spec).inc()
    if overridden:
        REVIEWS_OVERRIDDEN.labels(spec).inc()
    REVIEW_AGE.labels(spec).observe(max(0.0, age_s))


class OpenReviews(Collector):
    """Open review cases by spec, as the log says at scrape time (not counted by any worker,
    so every worker answers the same): how many, and how long the oldest has waited."""

    def __init__(self, cases: dict[str, tuple[int, float]], now: float) -> None:
        self.cases, self.now = cases, now  # spec -> (open cases, oldest opened at); (0, now)

    def collect(self) -> list[GaugeMetricFamily]:
        count = GaugeMetricFamily("specwright_review_open_cases",
                                  "Review cases not resolved yet (claimed or not)", labels=["spec"])
        age = GaugeMetricFamily("specwright_review_oldest_open_age_seconds",
                                "Age of the oldest review case not resolved yet (0: none)",
                                labels=["spec"])
        for spec, (n, oldest) in sorted(self.cases.items()):
            count.add_metric([spec], n)
            age.add_metric([spec], max(0.0, self.now - oldest) if n else 0.0)
        return [count, age]


class _Shown(Collector):
    """What ``source`` collects, the run latency counters shown as their histogram."""

    def __init__(self, source: Any) -> None:
        self.source = source

    def collect(self) -> Iterable[Metric]:
        return RUN_LATENCY.as_histogram(self.source.collect())


def exposition(*extra: Collector) -> bytes:
    """The text format of every metric: this process's, or every worker's when multiprocess,
    then what ``extra`` collectors compute at scrape time."""
    path = os.environ.get(MULTIPROC_ENV)
    source = MultiProcessCollector(None, path=path) if path else REGISTRY
    shown = CollectorRegistry()
    shown.register(_Shown(source))
    text = generate_latest(shown)
    if extra:
        scraped = CollectorRegistry()
        for collector in extra:
            scraped.register(collector)
        text += generate_latest(scraped)
    return text
