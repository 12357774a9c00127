"""What one running server holds: settings, the current catalog, the log store, keys, models.

``catalog`` is replaced (never mutated) by hot reload; a request reads it once, at its start.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from specwright.runtime.config import Settings
from specwright.runtime.engine.catalog import Catalog, LoadedRevision
from specwright.runtime.engine.cost_controls import CostControls
from specwright.runtime.engine.model_factory import DefaultModels, ModelFactory
from specwright.runtime.engine.review_service import ReviewService
from specwright.runtime.engine.webhook_queue import WebhookQueue
from specwright.runtime.http.auth_gate import AuthGate
from specwright.runtime.http.keystores import Keys
from specwright.runtime.logstore.base import LogStore
from specwright.runtime.models.base import Model

log = logging.getLogger("specwright.server")


@dataclass(slots=True)
class ServerState:
    settings: Settings
    root: Path
    catalog: Catalog
    keys: Keys
    models: ModelFactory
    gate: AuthGate  # who may call without a key, per-key limits (specwright.runtime.http.auth_gate)
    mock: bool = False
    store: LogStore | None = None
    owns_store: bool = False
    watching: bool = False
    started_at: float = 0.0
    labels: Any = None  # the LabelFollower (http/label_follow.py) once the app has started
    reviews: ReviewService | None = None  # the review queue, once the log is open
    webhooks: WebhookQueue | None = None  # delivering resolutions, when webhooks are set
    controls: CostControls | None = None  # answer cache and budgets, once the log is open

    def model_for(self, revision: LoadedRevision) -> Model:
        return self.models(revision)


def get_state(app: FastAPI) -> ServerState:
    state = getattr(app.state, "specwright", None)
    if not isinstance(state, ServerState):
        raise RuntimeError("not a Specwright app (use specwright.runtime.http.app.create_app)")
    return state


def log_route_warnings(state: ServerState, revisions: Iterable[LoadedRevision]) -> None:
    """Log what will not work for these routes (a missing key names its variable)."""
    models = state.models
    if not isinstance(models, DefaultModels):
        return
    for revision in revisions:
        for problem in models.warnings(revision):
            log.warning("%s v%d: %s", revision.name, revision.major, problem)
