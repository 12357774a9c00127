"""Compile one spec in a child process with CPU, memory and wall-time limits.

The server compiles edited specs while it serves every other spec (``--watch``, SIGHUP, the
start-up check of edited specs). The compiler bounds what a spec may ask (``specwright.compiler.limits``),
but a parser or an extension it calls can still crash (a stack overflow is a segfault, which no
``except`` catches) or run long on input nobody foresaw. So the server never runs the compiler in
its own process: ``isolated_compile`` has the same signature as ``specwright.compiler.compile_spec`` (a
``CompileFn`` for ``specwright.runtime.project``) and runs it in ``python -m specwright.runtime.project.isolated``,
which sets ``RLIMIT_AS`` and ``RLIMIT_CPU`` on itself before reading the spec; the parent waits
at most ``WALL_S``. Each limit can be set in the environment (``SPECWRIGHT_COMPILE_CPU_S``,
``SPECWRIGHT_COMPILE_WALL_S``, ``SPECWRIGHT_COMPILE_MEMORY_BYTES``). A crash, a limit or a
timeout becomes a located diagnostic of that spec; every other spec keeps serving.

The child gets the text on stdin and answers on stdout with a pickled ``("ok", CompiledSpec)``
or ``("error", [Diagnostic, ...])``: both ends are this module, so pickle only carries objects
the compiler built (a round trip through JSON could change how artifacts render).
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
from typing import TYPE_CHECKING

from specwright.compiler.errors import Diagnostic, SpecError

if TYPE_CHECKING:
    from specwright.compiler.ir import CompiledSpec

__all__ = ["CPU_S", "MEMORY_BYTES", "WALL_S", "isolated_compile"]

CPU_S = 60  # CPU seconds of the child
WALL_S = 90.0  # the parent's wait: a child blocked without using CPU is killed too
MEMORY_BYTES = 2 << 30  # address space of the child


def isolated_compile(text: str, source: str) -> CompiledSpec:
    """``specwright.compiler.compile_spec(text, source)``, run in a child process with limits."""
    cpu = int(os.environ.get("SPECWRIGHT_COMPILE_CPU_S", CPU_S))
    wall = float(os.environ.get("SPECWRIGHT_COMPILE_WALL_S", WALL_S))
    memory = int(os.environ.get("SPECWRIGHT_COMPILE_MEMORY_BYTES", MEMORY_BYTES))
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "specwright.runtime.project.isolated", str(cpu), str(memory)],
            input=pickle.dumps((text, source)), capture_output=True, timeout=wall, check=False,
        )
    except subprocess.TimeoutExpired:
        raise _failed(source, f"compiling took longer than {wall:g} s and was stopped: simplify "
                              "the spec (fewer or smaller tables, shorter guardrails)") from None
    if done.returncode == 0:
        try:
            kind, value = pickle.loads(done.stdout)  # noqa: S301 - written by our child below
        except Exception:  # noqa: BLE001 - a child that wrote something else failed
            kind, value = "", None
        if kind == "ok":
            compiled: CompiledSpec = value
            return compiled
        if kind == "error":
            raise SpecError(value)
    raise _failed(source, _why(done.returncode, done.stderr))


def _why(code: int, stderr: bytes) -> str:
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        if -code in (signal.SIGXCPU, signal.SIGKILL):
            return (f"compiling used more than the CPU time allowed and was stopped ({name}): "
                    "simplify the spec")
        return f"the compiler crashed on this spec ({name}): simplify it, and please report it"
    last = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
    if "MemoryError" in last[0]:
        return ("compiling needed more memory than allowed and was stopped: simplify the spec "
                "(fewer or smaller tables and examples)")
    return f"the compiler failed on this spec ({last[0][:200]}): please report it"


def _failed(source: str, message: str) -> SpecError:
    return SpecError([Diagnostic(source, 1, 1, message)])


def _child(cpu_s: int, memory: int) -> int:
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    from specwright.compiler import compile_spec

    text, source = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - from our parent
    try:
        result: tuple[str, object] = ("ok", compile_spec(text, source))
    except SpecError as exc:
        result = ("error", list(exc.diagnostics))
    sys.stdout.buffer.write(pickle.dumps(result))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child(int(sys.argv[1]), int(sys.argv[2])))
