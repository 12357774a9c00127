"""The run latency histogram kept as counters reads exactly as prometheus-client's own
``Histogram`` fed the same values (``runtime/observe/run_latency.py``)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from specwright.runtime.observe.metrics import _RUN_BUCKETS
from specwright.runtime.observe.run_latency import NAME, RunLatency

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
seconds = st.one_of(st.sampled_from(_RUN_BUCKETS),  # on a bound: the bucket it closes
                    st.floats(min_value=0, max_value=120, allow_nan=False))


def histogram_samples(families: object) -> tuple[str, Samples]:
    found = [f for f in text_string_to_metric_families(str(families)) if f.name == NAME]
    assert len(found) == 1
    return found[0].type, {(s.name, tuple(sorted(s.labels.items()))): s.value
                           for s in found[0].samples if not s.name.endswith("_created")}


@given(st.lists(st.lists(seconds, max_size=20), max_size=6))
def test_counted_commit_by_commit_it_reads_as_the_histogram(commits: list[list[float]]) -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    latency = RunLatency(ours, _RUN_BUCKETS)
    reference = Histogram(NAME, "Whole-run latency", ("spec", "revision"),
                          buckets=_RUN_BUCKETS, registry=theirs).labels("s", "1")
    counts = latency.of("s", "1")
    for commit in commits:
        per_bucket: dict[int, int] = {}
        for value in commit:
            per_bucket[counts.bucket(value)] = per_bucket.get(counts.bucket(value), 0) + 1
            reference.observe(value)
        counts.add(per_bucket, sum(commit))

    class Shown:
        def collect(self) -> object:
            return latency.as_histogram(ours.collect())

    shown = CollectorRegistry()
    shown.register(Shown())  # type: ignore[arg-type]
    text = generate_latest(shown).decode()
    kind, got = histogram_samples(text)
    want_kind, want = histogram_samples(generate_latest(theirs).decode())
    assert kind == want_kind == "histogram"
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert abs(got[key] - value) <= 1e-9 * max(1.0, abs(value)), key
    assert "_bucket_runs" not in text and "_sum_seconds" not in text
