"""No test asserts wall-clock time: speed is measured in ``bench/`` as ratios against a baseline
of the same run (a 60 s limit on ``specwright test`` failed on a loaded machine at 70 s).

A scan of every test module for an assertion over a measured duration (names such as
``elapsed``, ``duration``, ``took``, ``wall``, ``seconds``): waiting for a condition up to a
deadline is fine, asserting how long something took is not.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
TIMED = re.compile(r"assert[^#\n]*\b(elapsed|duration|took|wall|seconds)\b")
BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_no_test_asserts_how_long_something_took() -> None:
    found = [
        f"{path.relative_to(TESTS)}:{n}: {line.strip()}"
        for path in sorted(TESTS.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if TIMED.search(line) and path != Path(__file__)
    ]
    assert found == [], "timing belongs in bench/:\n" + "\n".join(found)


def test_the_test_command_is_timed_in_bench() -> None:
    text = (BENCH / "suite_bench.py").read_text(encoding="utf-8")
    assert '"test"' in text and "ratio" in text
