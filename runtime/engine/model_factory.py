"""Which ``Model`` answers for a loaded revision: the server's and the batch runner's factory.

One long-lived ``Router`` per route (circuit breaker and load state live in it), all sharing one
SDK client pool; in mock mode every revision gets a ``MockModel``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from specwright.compiler.ir import Route
from specwright.runtime.config import Settings
from specwright.runtime.engine.catalog import LoadedRevision
from specwright.runtime.models.base import Model

__all__ = ["DefaultModels", "ModelFactory", "default_model_factory"]

ModelFactory = Callable[[LoadedRevision], Model]


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


def default_model_factory(settings: Settings, *, mock: bool) -> DefaultModels:
    return DefaultModels(settings, mock=mock)
