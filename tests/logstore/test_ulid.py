from __future__ import annotations

import threading

import pytest

from specwright.runtime.logstore.ulid import encode, is_run_id, new_run_id, timestamp_of


def test_format_and_known_vector() -> None:
    # From the ULID spec: 01ARYZ6S41 is the timestamp 1469918176385 ms.
    assert encode(1469918176385 << 80)[:10] == "01ARYZ6S41"
    run_id = new_run_id(1469918176.385 + 1e-7)
    assert len(run_id) == 26 and is_run_id(run_id)
    assert timestamp_of("01ARYZ6S41TSV4RRFFQ69G5FAV") == 1469918176.385
    assert not is_run_id("01ARYZ6S41TSV4RRFFQ69G5FAU")  # U is not Crockford base32
    assert not is_run_id("81ARYZ6S41TSV4RRFFQ69G5FAV")  # beyond 128 bits
    with pytest.raises(ValueError):
        timestamp_of("nope")


def test_monotonic_within_a_millisecond_and_when_the_clock_steps_back() -> None:
    frozen = [new_run_id(2_000_000_000.0) for _ in range(5000)]
    assert frozen == sorted(frozen) and len(set(frozen)) == 5000
    assert {timestamp_of(i) for i in frozen} == {2_000_000_000.0}
    earlier = new_run_id(1_000_000_000.0)  # clock went back: still after every earlier id
    assert earlier > frozen[-1]
    later = new_run_id(2_000_000_001.0)
    assert later > earlier and timestamp_of(later) == 2_000_000_001.0


def test_sortable_by_time_and_unique_across_threads() -> None:
    ids: list[list[str]] = [[] for _ in range(4)]

    def make(bucket: list[str]) -> None:
        bucket.extend(new_run_id() for _ in range(3000))

    threads = [threading.Thread(target=make, args=(b,)) for b in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flat = [i for bucket in ids for i in bucket]
    assert len(set(flat)) == len(flat)
    for bucket in ids:
        assert bucket == sorted(bucket)  # each thread sees increasing ids
    assert new_run_id() > max(flat)


def _value(run_id: str) -> int:
    value = 0
    for ch in run_id:
        value = value * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".index(ch)
    return value


def test_the_time_part_encoded_once_per_millisecond_is_that_millisecond() -> None:
    # Ids alternate between far-apart milliseconds (and a later one), so a time part kept from
    # the previous millisecond would show: each id must be the full encoding of its own value.
    stamps = [3_000_000_000.001, 3_000_000_000.001, 3_000_000_100.25, 3_000_000_100.25,
              3_000_000_200.5]
    ids = [new_run_id(t) for t in stamps]
    assert [timestamp_of(i) for i in ids] == stamps
    assert all(encode(_value(i)) == i for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_a_forked_child_does_not_reuse_the_parents_randomness() -> None:
    import os

    new_run_id(4_000_000_000.0)  # the pool now holds bytes the parent will use next
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, at a fresh millisecond, through the pipe
        os.close(read)
        os.write(write, new_run_id(4_000_000_100.0).encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    parent = new_run_id(4_000_000_100.0)
    assert child[:10] == parent[:10]  # the same millisecond
    assert child[10:] != parent[10:]  # but not the same random part
