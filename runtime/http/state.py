"""What one running server holds: settings, the current catalog, the log store, keys, models.

``catalog`` is replaced (never mutated) by hot reload; a request reads it once, at its start.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from specwright.compiler.ir import Route
from specwright.runtime.config import Settings
from specwright.runtime.engine.catalog import Catalog, LoadedRevision
from specwright.runtime.http.auth import KeyStore
from specwright.runtime.logstore.base import LogStore
from specwright.runtime.models.base import Model

ModelFactory = Callable[[LoadedRevision], Model]
log = logging.getLogger("specwright.server")


@dataclass(slots=True)
class ServerState:
    settings: Settings
    root: Path
    catalog: Catalog
    keys: KeyStore
    models: ModelFactory
    mock: bool = False
    store: LogStore | None = None
    owns_store: bool = False
    watching: bool = False
    started_at: float = 0.0

    def model_for(self, revision: LoadedRevision) -> Model:
        return self.models(revision)


def get_state(app: FastAPI) -> ServerState:
    state = getattr(app.state, "specwright", None)
    if not isinstance(state, ServerState):
        raise RuntimeError("not a Specwright app (use specwright.runtime.http.app.create_app)")
    return state


class DefaultModels:
    """The server's model factory: one long-lived Router per route (breaker and load state live
    in it), all sharing one SDK client pool. In mock mode every revision gets a ``MockModel``."""

    def __init__(self, settings: Settings, *, mock: bool) -> None:
        self.settings = settings
        self.mock = mock
        self._routes: dict[Route, Model] = {}
        self._mocks: dict[int, tuple[LoadedRevision, Model]] = {}
        self._pool: Any = None

    def __call__(self, revision: LoadedRevision) -> Model:
        if self.mock:
            hit = self._mocks.get(id(revision))
            if hit is None or hit[0] is not revision:
                from specwright.runtime.models.mock import MockModel

                hit = (revision, MockModel.from_spec(revision.compiled))
                self._mocks[id(revision)] = hit
            return hit[1]
        route = revision.compiled.spec.route
        model = self._routes.get(route)
        if model is None:
            from specwright.runtime.models.registry import ClientPool, build_route

            if self._pool is None:
                self._pool = ClientPool()
            model = build_route(route, self.settings, os.environ, pool=self._pool)
            self._routes[route] = model
        return model

    def warnings(self, revision: LoadedRevision) -> list[str]:
        """What will not work for this revision's route (missing keys, unknown providers...)."""
        if self.mock or not revision.model_decided:
            return []
        from specwright.runtime.models.registry import check_route, check_schema

        route = revision.compiled.spec.route
        schema = dict(revision.model_output_schema)
        return [*check_route(route, self.settings), *check_schema(route, schema, self.settings)]

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None


def log_route_warnings(state: ServerState, revisions: Iterable[LoadedRevision]) -> None:
    """Log what will not work for these routes (a missing key names its variable)."""
    models = state.models
    if not isinstance(models, DefaultModels):
        return
    for revision in revisions:
        for problem in models.warnings(revision):
            log.warning("%s v%d: %s", revision.name, revision.major, problem)


def default_model_factory(settings: Settings, *, mock: bool) -> DefaultModels:
    return DefaultModels(settings, mock=mock)
