"""The server's compiler runs in a child process with limits: the same result as in-process, and
a crash, a timeout or too much memory is a located diagnostic of that spec, never the server's."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from specwright.compiler import compile_spec
from specwright.compiler.errors import SpecError
from specwright.runtime.project.isolated import _why, isolated_compile
from specwright.runtime.testing.hostile import HOSTILE, base_spec

REPO = Path(__file__).resolve().parents[2]


def test_same_compiled_spec_as_in_process() -> None:
    text = (REPO / "specs" / "returns-evaluation.md").read_text(encoding="utf-8")
    source = "specs/returns-evaluation.md"
    assert isolated_compile(text, source) == compile_spec(text, source)


def test_spec_errors_come_back_located() -> None:
    text = HOSTILE["chained-plus"]("chained-plus")
    with pytest.raises(SpecError) as caught:
        isolated_compile(text, "specs/chained-plus.md")
    first = caught.value.diagnostics[0]
    assert (first.file, first.line) == ("specs/chained-plus.md", 33)
    assert "the limit is 2,000" in first.message


def test_a_compile_that_takes_too_long_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPECWRIGHT_COMPILE_WALL_S", "0.001")
    with pytest.raises(SpecError) as caught:
        isolated_compile(base_spec("slow"), "specs/slow.md")
    (only,) = caught.value.diagnostics
    assert (only.file, only.line, only.col) == ("specs/slow.md", 1, 1)
    assert "took longer than 0.001 s and was stopped" in only.message


def test_a_compile_that_needs_too_much_memory_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPECWRIGHT_COMPILE_MEMORY_BYTES", str(8 << 20))
    with pytest.raises(SpecError) as caught:
        isolated_compile(base_spec("big"), "specs/big.md")
    (only,) = caught.value.diagnostics
    assert only.file == "specs/big.md" and "Traceback" not in only.message
    assert "memory" in only.message or "crashed" in only.message, only.message


def test_a_crash_is_named_by_its_signal() -> None:
    assert "crashed on this spec (SIGSEGV)" in _why(-signal.SIGSEGV, b"")
    assert "CPU time" in _why(-signal.SIGXCPU, b"")
    assert "more memory" in _why(1, b"Traceback...\nMemoryError\n")
