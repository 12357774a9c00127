"""``specwright serve --workers N``: N server processes on one port.

The parent binds one socket per worker on the port and runs ``specwright.runtime.cli.supervisor``, which
starts N workers with ``multiprocessing``'s spawn, replaces a worker that dies or stops
answering its health check, replaces them one at a time on SIGHUP (each replacement serving
before the worker it replaces is stopped), and stops them all, gracefully, on SIGINT or SIGTERM.

A spawned worker inherits nothing but its environment, so the parent passes what the worker
needs to build its app (project, mock mode, log level, its own pid) in ``WORKER_ENV``. Each
worker has its own execution-log writer; the workers share the log database (SQLite in WAL mode
serialises their commits, PostgreSQL takes them side by side). Whatever a worker keeps in
memory is its own: provider cooldowns, connection pools and caches are per worker.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from specwright.compiler.errors import SpecwrightError

if TYPE_CHECKING:
    from fastapi import FastAPI

WORKER_ENV = "SPECWRIGHT_SERVE_WORKER"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # observe.metrics.MULTIPROC_ENV, without its import
LOG_FORMAT = "%(levelname)s:  %(name)s: %(message)s"
WORKER_LOG_FORMAT = "%(levelname)s:  [%(process)d] %(name)s: %(message)s"  # whose warning
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
log = logging.getLogger("specwright.server")


def serve_workers(*, host: str, port: int, workers: int, project: Path, mock: bool,
                  log_level: str) -> int:
    """Serve with ``workers`` processes until SIGINT or SIGTERM; the exit status (3 when a
    worker could not start, or the port could not be bound, as for a single process)."""
    # Every worker writes its metrics under one directory of this server (``observe/metrics.py``);
    # set before any worker imports prometheus_client, removed when the server stops.
    metrics_dir = tempfile.mkdtemp(prefix="specwright-metrics-")
    before = os.environ.get(MULTIPROC_ENV)
    os.environ[MULTIPROC_ENV] = metrics_dir
    try:
        return _supervise(host, port, workers, project, mock, log_level)
    finally:  # whatever happened: no later process of this one inherits a removed directory
        shutil.rmtree(metrics_dir, ignore_errors=True)
        if before is None:
            os.environ.pop(MULTIPROC_ENV, None)
        else:
            os.environ[MULTIPROC_ENV] = before


def _supervise(host: str, port: int, workers: int, project: Path, mock: bool,
               log_level: str) -> int:
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE

    from specwright.runtime.cli.supervisor import Supervisor, bind_sockets
    from specwright.runtime.config import load_settings, proxy_options

    os.environ[WORKER_ENV] = json.dumps({
        "project": str(project.resolve()), "mock": mock, "log_level": log_level,
        "parent": os.getpid(), "host": host,
    })
    config = uvicorn.Config(f"{__name__}:worker_app", factory=True, host=host, port=port,
                            workers=workers, log_level=log_level, server_header=False,
                            lifespan="on", timeout_graceful_shutdown=10,
                            **proxy_options(load_settings(project)))
    try:
        sockets = bind_sockets(host, port, workers, config.backlog)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", host, port, exc.strerror or exc)
        return STARTUP_FAILURE
    bound = sockets[0].getsockname()[1]
    log.info("listening on http://%s:%s with %d workers (parent process [%d])", host, bound,
             workers, os.getpid())
    try:
        return Supervisor(config, sockets).run()
    finally:
        for sock in set(sockets):
            sock.close()


def worker_app() -> FastAPI:
    """The app of one worker (uvicorn calls this factory in the spawned process)."""
    from uvicorn.config import STARTUP_FAILURE

    from specwright.runtime.cli.supervisor import SLOT_ENV
    from specwright.runtime.config import load_settings
    from specwright.runtime.http.app import create_app

    args = json.loads(os.environ[WORKER_ENV])
    _stop_with_parent(int(args["parent"]))
    logging.basicConfig(level=str(args["log_level"]).upper(), format=WORKER_LOG_FORMAT)
    project = Path(args["project"])
    try:
        # the start-up warnings (a missing key, a revision not served) are the same in every
        # worker: the first worker's say it for all
        return create_app(load_settings(project), project, mock=bool(args["mock"]),
                          tune_process=True, bind_host=str(args["host"]),
                          startup_warnings=os.environ.get(SLOT_ENV, "0") == "0")
    except SpecwrightError as exc:  # a spec or setting broken since the parent checked
        log.error("%s", exc)
        sys.exit(STARTUP_FAILURE)


def _stop_with_parent(parent: int) -> None:
    """Ask Linux for a SIGTERM (a graceful stop) when the parent dies, so that a ``kill -9`` of
    the parent leaves no worker serving on its own. Elsewhere the supervisor's own shutdown is
    all there is."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        log.warning("this worker will not stop with its parent: prctl failed (errno %d)",
                    ctypes.get_errno())
        return
    if os.getppid() != parent:  # the parent died before the request above was made
        os.kill(os.getpid(), signal.SIGTERM)
