"""Model calls for the authoring commands: the project's route, its retries, its execution log.

``ModelAccess`` says which models to use: the single model of ``--model``; else the spec's own
``models:`` (``infer``, ``suggest-tests``); else the project's ``default_route`` (a spec being
drafted has no front matter yet). The route is built by
``specwright.runtime.models.registry.build_route`` exactly as for a served spec, so the same router owns
transport retries, structural repairs (the request's ``check``) and fallback. Only the time
budgets are raised: a whole spec takes longer to write than one decision.

``Session.ask`` makes one call and writes it to the execution log as a run of spec
``<command>:<name>`` (revision 0): ``ok`` when the answer was accepted, ``model_error`` with the
problems when it was not, or the failure's own status. ``repair_loop`` asks, judges the answer
(render, compile, check citations) and sends the problems back, for a bounded number of rounds.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from specwright.compiler.authoring.draft_model import validation_problems
from specwright.compiler.authoring.prompts import repair_user
from specwright.compiler.ir import Route, RouteModel
from specwright.runtime.config import Settings
from specwright.runtime.engine.failures import error_body, status_of
from specwright.runtime.errors import ModelNotConfigured, RuntimeFailure
from specwright.runtime.logstore import LogStore, new_run_id, open_store
from specwright.runtime.models.base import Checker, Completion, Message, Model, ModelRequest
from specwright.runtime.models.registry import ClientPool, build_route, route_models
from specwright.runtime.models.router import Router
from specwright.runtime.records import RunRecord, RunStatus

__all__ = [
    "Judgement", "LoopResult", "ModelAccess", "ModelNotConfigured", "Round", "Session",
    "repair_loop", "structural_check",
]

MIN_REQUEST_TIMEOUT_S = 180.0
MIN_DEADLINE_S = 900.0
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ModelAccess:
    settings: Settings
    root: Path
    model: str | None = None  # "provider:model" from --model; None: the default route
    env: Mapping[str, str] | None = None
    pool: ClientPool | None = None  # tests: ClientPool(fake_http.client)
    overrides: Mapping[str, Model] | None = None  # tests: {"fake:scripted": ScriptedModel(...)}
    sleep: Callable[[float], Awaitable[object]] | None = None

    def route(self, spec_route: Route | None = None) -> Route:
        """``--model``, else the spec's own route, else (empty) the project's default route."""
        if self.model:
            return Route(models=(RouteModel(ref=self.model),))
        return spec_route if spec_route is not None and spec_route.models else Route()

    def router(self, purpose: str, pool: ClientPool, spec_route: Route | None = None) -> Router:
        route = self.route(spec_route)
        if not route_models(route, self.settings)[0]:
            raise ModelNotConfigured(
                f"no model configured for {purpose}: pass --model provider:model or set "
                "default_route in specwright.toml"
            )
        routing = self.settings.routing
        budgets = routing.model_copy(update={
            "request_timeout_s": max(routing.request_timeout_s, MIN_REQUEST_TIMEOUT_S),
            "deadline_s": max(routing.deadline_s, MIN_DEADLINE_S),
        })
        settings = self.settings.model_copy(update={"routing": budgets})
        env = os.environ if self.env is None else self.env
        return build_route(route, settings, env, pool=pool, overrides=self.overrides,
                           sleep=self.sleep)


def structural_check(model: type[BaseModel]) -> Checker:
    """A ``check`` callback: the answer must validate as ``model`` (the router re-asks if not)."""

    def check(data: dict[str, Any]) -> list[str]:
        try:
            model.model_validate(data)
        except ValidationError as exc:
            return validation_problems(exc)
        return []

    return check


@dataclass(frozen=True, slots=True)
class Judgement:
    markdown: str  # what the answer rendered to
    problems: tuple[str, ...]  # empty: accepted


class Session:
    """One command's model access: a router, a client pool and the execution log."""

    def __init__(
        self, access: ModelAccess, purpose: str, label: str, spec_route: Route | None = None
    ) -> None:
        self.access = access
        self.label = label  # the run's spec name in the log, e.g. "draft:returns"
        self._owns_pool = access.pool is None
        self._pool = access.pool or ClientPool()
        self.router = access.router(purpose, self._pool, spec_route)
        self._store: LogStore | None = None

    async def __aenter__(self) -> Session:
        self._store = open_store(self.access.settings, self.access.root)
        await self._store.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._store is not None:
            await self._store.close()
        if self._owns_pool:
            await self._pool.aclose()

    async def ask(
        self, request: ModelRequest, judge: Callable[[dict[str, Any]], Judgement],
        summary: Mapping[str, Any],
    ) -> tuple[Completion, Judgement]:
        """One model call through the route, judged and logged. Failures are logged, then raised."""
        created, t0 = time.time(), time.perf_counter()
        request = replace(request, spec=self.label, metadata={**request.metadata, **summary})
        try:
            completion = await self.router.complete(request)
        except RuntimeFailure as exc:
            await self._write(created, t0, status_of(exc), dict(summary), None, error_body(exc),
                              None, tuple(getattr(exc, "attempts", ()) or ()))
            raise
        verdict = judge(completion.data)
        error = None
        status: RunStatus = "ok"
        if verdict.problems:
            status = "model_error"
            error = {"type": "output_invalid", "details": list(verdict.problems),
                     "message": f"the answer was not accepted: {len(verdict.problems)} problem(s)"}
        await self._write(created, t0, status, dict(summary), completion.data, error,
                          completion.model, completion.attempts)
        return completion, verdict

    async def _write(
        self, created: float, t0: float, status: RunStatus, summary: dict[str, Any],
        output: dict[str, Any] | None, error: dict[str, Any] | None, model: str | None,
        attempts: Sequence[Any],
    ) -> None:
        assert self._store is not None, "use the session as an async context manager"
        await self._store.write(RunRecord(
            id=new_run_id(created), spec=self.label, revision=0, major=0, created_at=created,
            status=status, latency_ms=(time.perf_counter() - t0) * 1000.0, input=summary,
            output=output, error=error, model=model, attempts=tuple(attempts),
        ))


@dataclass(frozen=True, slots=True)
class Round:
    number: int  # 1 = the first answer, 2 = the first repair...
    judgement: Judgement


@dataclass(slots=True)
class LoopResult:
    rounds: list[Round] = field(default_factory=list)
    failure: str | None = None  # the route failed (no answer at all in that round)

    @property
    def accepted(self) -> Round | None:
        last = self.rounds[-1] if self.rounds else None
        return last if last is not None and not last.judgement.problems else None

    @property
    def best(self) -> Round | None:
        """The answer with the fewest problems (the later one on a tie)."""
        if not self.rounds:
            return None
        return min(reversed(self.rounds), key=lambda r: len(r.judgement.problems))


async def repair_loop(
    session: Session, request: ModelRequest, judge: Callable[[dict[str, Any]], Judgement],
    *, repairs: int, summary: Mapping[str, Any], what: str, progress: Progress | None = None,
) -> LoopResult:
    """Ask; while the answer has problems and repairs are left, show them and ask again."""
    result = LoopResult()
    messages = request.messages
    for number in range(1, repairs + 2):
        try:
            completion, verdict = await session.ask(
                replace(request, messages=messages), judge, {**summary, "round": number})
        except RuntimeFailure as exc:
            result.failure = exc.message
            return result
        result.rounds.append(Round(number, verdict))
        if not verdict.problems:
            return result
        if progress is not None:
            left = repairs + 1 - number
            more = f"; asking for a repair ({left} left)" if left else ""
            progress(f"round {number}: {len(verdict.problems)} problem(s){more}")
        answer = completion.text or json.dumps(completion.data, ensure_ascii=False)
        messages = (*messages, Message("assistant", answer),
                    Message("user", repair_user(verdict.markdown, verdict.problems, what=what)))
    return result
