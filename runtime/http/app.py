"""The HTTP app: every spec revision served as a typed, versioned endpoint.

``create_app(settings, root)`` loads ``generated/`` into a ``Catalog`` and registers one
``POST /specs/{name}/v{major}`` route per spec and contract major, plus ``GET /specs``,
``GET /specs/{name}``, ``GET /healthz``, ``GET /runs`` and ``GET /runs/{id}``. See
``docs/runtime.md`` for the endpoints, headers, errors, auth and hot reload.

The execution log is opened and started in the app's lifespan (``open_store``) unless a store is
passed in; a store passed in belongs to the caller, who starts and closes it.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from specwright.compiler import __version__
from specwright.runtime.config import Settings
from specwright.runtime.engine.catalog import load_catalog
from specwright.runtime.engine.cost_controls import CostControls
from specwright.runtime.engine.model_factory import DefaultModels, ModelFactory
from specwright.runtime.engine.review_service import ReviewService
from specwright.runtime.engine.webhook_queue import WebhookQueue
from specwright.runtime.http.auth_gate import AuthGate
from specwright.runtime.http.calls import serve_spec_request, sync_routes
from specwright.runtime.http.docs_ui import install_docs
from specwright.runtime.http.error_bodies import CatchAll, install_error_handlers
from specwright.runtime.http.impact import router as impact_router
from specwright.runtime.http.keystores import open_keys
from specwright.runtime.http.labels import router as labels_router
from specwright.runtime.http.limits import BodyLimit
from specwright.runtime.http.listing import router as specs_router
from specwright.runtime.http.metrics_route import router as metrics_router
from specwright.runtime.http.openapi_auth import install as install_openapi_auth
from specwright.runtime.http.ready import router as ready_router
from specwright.runtime.http.reviews import router as reviews_router
from specwright.runtime.http.runs import router as runs_router
from specwright.runtime.http.state import ServerState, get_state, log_route_warnings
from specwright.runtime.logstore import open_store
from specwright.runtime.logstore.base import LogStore
from specwright.runtime.logstore.reviews import ReviewLog
from specwright.runtime.observe.metrics import observe_runs
from specwright.runtime.observe.tracing import configure_from_env as configure_tracing_from_env

log = logging.getLogger("specwright.server")
_frozen = False  # tune_gc_for_serving() done (once per process)
GC_THRESHOLD = (10_000, 10, 10)  # see tune_gc_for_serving
SWITCH_INTERVAL_S = 0.0005  # see tune_switch_interval_for_serving

DESCRIPTION = """\
Decision services compiled from plain-English specs. One endpoint per spec and contract major:
`POST /specs/{name}/v{major}`. The body is the spec's input; a 200 body is exactly its output.
Run metadata travels in `X-Specwright-*` response headers. Errors are
`{"type", "message", "details"}` with a stable `type`.
"""


async def _diagnose_edited_specs(state: ServerState) -> None:
    """Without ``--watch``, once at start: specs edited since their latest revision are compiled
    in memory (nothing written) and the errors of those that no longer compile are logged and
    shown by ``GET /specs/{name}``, as the watcher would show them."""
    from specwright.runtime.http.watch import edited_spec_diagnostics

    try:
        diagnostics = await asyncio.to_thread(
            edited_spec_diagnostics, state.root, state.settings, state.catalog
        )
    except Exception:
        log.exception("checking the specs for edits at start failed")
        return
    if diagnostics:
        state.catalog = state.catalog.with_diagnostics(diagnostics)


async def _follow_labels(app: FastAPI, state: ServerState) -> asyncio.Task[None] | None:
    """Read the labels once before serving, then follow them (``http/label_follow.py``).
    A log database whose labels cannot be read is logged: every label then follows the latest
    revision, as before any move."""
    from specwright.runtime.http.label_follow import LabelFollower

    follower = LabelFollower(app, state)
    try:
        await follower.refresh(force=True)
    except Exception:
        log.exception("reading the labels failed; serving the latest revisions")
    state.labels = follower
    return asyncio.create_task(follower.follow(), name="specwright-labels")


def reload_on_sighup(app: FastAPI, state: ServerState) -> Callable[[], None]:
    """From now on SIGHUP swaps in ``generated/`` as it is (``specwright.runtime.http.watch.reload_generated``),
    one reload at a time; returns the function that stops this. Where there is no SIGHUP
    (Windows), nothing."""
    if not hasattr(signal, "SIGHUP"):
        return lambda: None
    from specwright.runtime.http.watch import reload_generated

    loop = asyncio.get_running_loop()
    lock = asyncio.Lock()
    running: set[asyncio.Task[None]] = set()  # a reference, so the task is not collected

    async def reload() -> None:
        async with lock:
            log.info("SIGHUP: loading generated/ again")
            try:
                await reload_generated(app, state)
            except Exception:
                log.exception("reloading generated/ failed; still serving the previous revisions")

    def on_sighup() -> None:
        task = loop.create_task(reload(), name="specwright-sighup-reload")
        running.add(task)
        task.add_done_callback(running.discard)

    def stop() -> None:
        loop.remove_signal_handler(signal.SIGHUP)

    loop.add_signal_handler(signal.SIGHUP, on_sighup)
    return stop


class SpecwrightApp(FastAPI):
    """FastAPI, with a POST to a spec route answered before FastAPI's middleware and routing
    (``specwright.runtime.http.calls.serve_spec_request``): they cost more than a rules-only run."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            route = self.state.spec_index.get(scope["path"])
            if route is not None:
                await serve_spec_request(self.state.specwright, route, scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def start_retention(settings: Settings, store: LogStore | None) -> asyncio.Task[None] | None:
    """The log's retention task, when ``log_retention_days`` or ``log_max_bytes`` is set."""
    from specwright.runtime.logstore.retention import run_retention
    from specwright.runtime.logstore.threaded import ThreadedLogStore

    if settings.log_retention_days is None and settings.log_max_bytes is None:
        return None
    if not isinstance(store, ThreadedLogStore):
        return None
    return asyncio.get_running_loop().create_task(
        run_retention(store, days=settings.log_retention_days, max_bytes=settings.log_max_bytes),
        name="specwright-log-retention")


def tune_gc_for_serving() -> None:
    """Once per process, when start-up is complete (the catalog, its models and templates, the
    log, the SDKs the route checks imported, FastAPI's routes): move everything loaded so far out
    of the collector's generations (``gc.freeze``), so that collections do not walk it again each
    time; and collect the youngest generation after 10,000 net allocations instead of 700.

    Why: a request that waits (for the log's commit, for a model) keeps its objects alive, so
    with many requests in flight each collection finds survivors, promotes them and later walks
    them again in the older generations; freezing the objects that live as long as the process
    takes them out of every collection (docs/performance.md). Objects created later (a
    hot-reloaded catalog included) are collected as usual. Once per process.
    """
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


def tune_switch_interval_for_serving() -> None:
    """Let a thread that asks for the GIL get it within 0.5 ms instead of 5 ms
    (``sys.setswitchinterval``).

    Why (with ``log_writer = "thread"``; the default writer process shares no GIL with the loop,
    and then only the reader thread and the SDK's threads ask): the log's writer thread takes the
    GIL back about seven times per commit: when it wakes
    up for a batch, five times within the one ``execute`` of the batch's INSERT (CPython 3.11's
    sqlite3 lets go of it around binding, the step that commits and fsyncs, and three trivial
    calls after it), and after it has woken the event loop (``call_soon_threadsafe`` writes to
    the loop's socket without the GIL). Under load the loop holds the GIL, and a thread asking
    for it waits up to the switch interval before the loop is made to let go, so each commit
    took several milliseconds longer than its fsync, and every request of the batch waited that
    long for its answer (docs/performance.md has the measurement). The interval only matters
    while another thread asks for the GIL, so a server whose threads are idle pays nothing.
    """
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def tune_process_for_serving() -> None:
    """Everything a process that only serves tunes once start-up is complete."""
    tune_gc_for_serving()
    tune_switch_interval_for_serving()


def create_app(
    settings: Settings,
    root: Path,
    *,
    mock: bool = False,
    model_factory: ModelFactory | None = None,
    store: LogStore | None = None,
    watch: bool = False,
    tune_process: bool = False,
    startup_warnings: bool = True,
    bind_host: str = "127.0.0.1",
) -> FastAPI:
    """``tune_process``: the server owns its process (``specwright serve``): tune the garbage
    collector and the GIL's switch interval once start-up is complete
    (``tune_process_for_serving``), and reload ``generated/`` on SIGHUP
    (``reload_on_sighup``); an embedding application keeps its own settings and signals.
    ``startup_warnings=False``: do not log what the catalog and the model routes lack at start
    (``serve --workers``: one worker says it for all). ``bind_host``: the interface the server
    listens on; on any but loopback every request needs an API key (``specwright.runtime.http.auth_gate``)."""
    root = root.resolve()
    configure_tracing_from_env()  # OTLP when an endpoint is set; otherwise nothing is imported
    catalog = load_catalog(settings.path(root, settings.generated_dir))
    for problem in catalog.load_errors if startup_warnings else ():
        log.warning("revision not served: %s", problem)
    keys = open_keys(settings, root)
    state = ServerState(
        settings=settings,
        root=root,
        catalog=catalog,
        keys=keys,
        models=model_factory or DefaultModels(settings, mock=mock),
        gate=AuthGate(keys, bind_host=bind_host, require_keys=settings.require_api_keys,
                      default_rate_per_minute=settings.key_rate_per_minute),
        mock=mock,
        store=store,
        owns_store=store is None,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if state.store is None:
            state.store = open_store(settings, root)
            await state.store.start()
        assert state.store is not None
        reviews = ReviewLog(state.store)
        state.reviews = ReviewService(reviews, lambda: state.catalog, settings)
        state.controls = CostControls.open(settings, state.store)
        deliveries = None
        if settings.webhooks:  # resolutions queued in the log, by this server or another
            state.webhooks = WebhookQueue(reviews, settings)
            deliveries = asyncio.create_task(state.webhooks.serve())
        state.started_at = time.time()
        retention = start_retention(settings, state.store)
        follower = await _follow_labels(app, state)
        watcher: asyncio.Task[None] | None = None
        if watch:
            from specwright.runtime.http.watch import start_watching

            state.watching = True
            watcher = await start_watching(app, state)
        else:
            if startup_warnings:
                log_route_warnings(state, state.catalog.routes().values())
            await _diagnose_edited_specs(state)
        stop_sighup = None
        if tune_process:
            stop_sighup = reload_on_sighup(app, state)
            tune_process_for_serving()
        stop_counting = state.store.listen(observe_runs)  # /metrics counts the runs logged
        try:
            yield
        finally:
            stop_counting()
            if stop_sighup is not None:
                stop_sighup()
            if deliveries is not None and state.webhooks is not None:
                await state.webhooks.stop(deliveries)  # an attempt under way is finished
            for task in (retention, watcher, follower):
                if task is not None:
                    task.cancel()
                    with suppress(asyncio.CancelledError):
                        await task
            if state.labels is not None:
                await state.labels.close()
                state.labels = None
            if isinstance(state.models, DefaultModels):
                await state.models.aclose()
            state.webhooks = None  # deliveries not made yet stay queued in the log
            state.reviews = None
            await reviews.close()
            if state.controls is not None:
                await state.controls.close()
                state.controls = None
            if state.owns_store and state.store is not None:
                await state.store.close()
                state.store = None

    app = SpecwrightApp(
        title="Specwright",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from installed assets by install_docs, not from a CDN
        redoc_url=None,
    )
    app.state.specwright = state
    app.router.redirect_slashes = False  # http_errors redirects without echoing the Host header
    install_error_handlers(app)
    install_openapi_auth(app, state.gate)
    app.include_router(specs_router)
    app.include_router(runs_router)
    app.include_router(ready_router)
    app.include_router(labels_router)
    app.include_router(impact_router)
    app.include_router(reviews_router)
    app.include_router(metrics_router)
    install_docs(app, app.title)
    sync_routes(app, catalog)
    app.add_middleware(BodyLimit, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(CatchAll)  # outermost of ours: sees every exception the app lets through
    return app


__all__ = ["create_app", "get_state"]
