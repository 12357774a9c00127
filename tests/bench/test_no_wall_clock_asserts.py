"""No test asserts wall-clock time: speed is measured in ``bench/`` as ratios against a baseline
of the same run (a 60 s limit on ``specwright test`` failed on a loaded machine at 70 s).

A scan of every test module for an assertion over a measured duration (names such as
``elapsed``, ``duration``, ``took``, ``wall``, ``seconds``): waiting for a condition up to a
deadline is fine, asserting how long something took is not.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
TIMED = re.compile(r"(^|_)(elapsed|duration|took|wall|seconds|latency)(_|$)")
BENCH = Path(__file__).resolve().parents[2] / "bench"


def _names(node: ast.AST) -> set[str]:
    """Identifiers the expression reads (variables and attributes; string contents are not)."""
    found = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            found.add(sub.attr)
    return found


def _timed_asserts(source: str) -> list[int]:
    """Lines of ``assert`` statements that compare (``<``, ``>``...) a value named like a
    duration: how long something took."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Assert):
            continue
        ordered = any(isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE)
                      for c in ast.walk(node.test) if isinstance(c, ast.Compare) for op in c.ops)
        if ordered and any(TIMED.search(name) for name in _names(node.test)):
            lines.append(node.lineno)
    return lines


def test_the_scan_finds_a_timed_assertion() -> None:
    timed = "asse" + "rt elapsed < 60\n"  # built, so a plain grep for timed asserts passes here
    assert _timed_asserts(timed) == [1]
    assert _timed_asserts("assert result.duration_s <= 1.5\n") == [1]
    assert _timed_asserts('assert "took longer" in message\n') == []
    assert _timed_asserts("assert deadline > now\n") == []


def test_no_test_asserts_how_long_something_took() -> None:
    found = [
        f"{path.relative_to(TESTS)}:{n}"
        for path in sorted(TESTS.rglob("*.py")) if path != Path(__file__)
        for n in _timed_asserts(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "timing belongs in bench/: " + ", ".join(found)


def test_the_test_command_is_timed_in_bench() -> None:
    text = (BENCH / "suite_bench.py").read_text(encoding="utf-8")
    assert '"test"' in text and "ratio" in text
