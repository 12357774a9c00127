"""The whole-run latency histogram, ``specwright_run_duration_seconds``, kept as counters.

prometheus-client adds to a ``Histogram`` only by one ``observe`` per value, the dearest part
of counting a run. So the histogram is kept as two counters, one of runs per bucket (``le``,
not cumulative) and one of their seconds: a commit's runs add to them with one ``inc`` per
bucket they fall in (``LatencyCounts``). At scrape time ``as_histogram`` turns them back into
the histogram, cumulative buckets, ``_sum`` and ``_count``, as prometheus-client would have
written it. Counters add up across worker processes in prometheus-client's multiprocess mode
like any other, so the histogram is the server's too.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.utils import floatToGoString

NAME = "specwright_run_duration_seconds"
DOC = "Whole-run latency"
_LABELS = ("spec", "revision")
_RUNS = f"{NAME}_bucket_runs"  # the counters' names: never shown, see as_histogram
_SECONDS = f"{NAME}_sum_seconds"


class RunLatency:
    """The two counters behind the histogram, in ``registry``."""

    def __init__(self, registry: CollectorRegistry, buckets: Sequence[float]) -> None:
        self.bounds = tuple(buckets)
        self._les = (*(floatToGoString(b) for b in self.bounds), "+Inf")
        self._runs = Counter(_RUNS, "Runs per latency bucket (not cumulative)",
                             (*_LABELS, "le"), registry=registry)
        self._seconds = Counter(_SECONDS, "Seconds of the runs counted", _LABELS,
                                registry=registry)

    def of(self, spec: str, revision: str) -> LatencyCounts:
        """One revision's counts (keep it: its label children are looked up once)."""
        return LatencyCounts(self.bounds,
                             tuple(self._runs.labels(spec, revision, le) for le in self._les),
                             self._seconds.labels(spec, revision))

    def as_histogram(self, families: Iterable[Metric]) -> Iterator[Metric]:
        """``families`` with the two counters replaced by the histogram they hold."""
        runs: dict[tuple[str, str], list[float]] = {}
        seconds: dict[tuple[str, str], float] = {}
        for family in families:
            if family.name not in (_RUNS, _SECONDS):
                yield family
                continue
            for sample in family.samples:
                if not sample.name.endswith("_total"):
                    continue  # the counters' _created
                key = (sample.labels["spec"], sample.labels["revision"])
                if family.name == _SECONDS:
                    seconds[key] = seconds.get(key, 0.0) + sample.value
                elif sample.labels["le"] in self._les:
                    counts = runs.setdefault(key, [0.0] * len(self._les))
                    counts[self._les.index(sample.labels["le"])] += sample.value
        if not runs:
            return
        histogram = HistogramMetricFamily(NAME, DOC, labels=list(_LABELS))
        for key, counts in sorted(runs.items()):
            total, buckets = 0.0, []
            for le, count in zip(self._les, counts, strict=True):
                total += count
                buckets.append((le, total))
            histogram.add_metric(list(key), buckets, sum_value=seconds.get(key, 0.0))
        yield histogram


class LatencyCounts:
    """One revision's latency counts, added to a commit at a time."""

    __slots__ = ("bounds", "buckets", "seconds")

    def __init__(self, bounds: tuple[float, ...], buckets: tuple[Any, ...], seconds: Any) -> None:
        self.bounds, self.buckets, self.seconds = bounds, buckets, seconds

    def bucket(self, value: float) -> int:
        """The index of the bucket ``value`` falls in (the first bound it does not exceed)."""
        return bisect_left(self.bounds, value)

    def add(self, per_bucket: dict[int, int], seconds: float) -> None:
        for index, count in per_bucket.items():
            self.buckets[index].inc(count)
        self.seconds.inc(seconds)
