"""The router: a ``Model`` that owns retries, repair, fallback and the circuit breaker.

For one request: the strategy orders the route's models; cooling models (open breaker) are
skipped unless every model is cooling; then each model in turn gets

* transport retries (429, 5xx, timeouts, connection errors, malformed response bodies) with
  exponential backoff and full jitter, or the server's ``Retry-After`` up to
  ``retry_after_cap_s``, never past the deadline;
* repairs: an answer that does not parse, or that ``request.check`` finds problems in, is sent
  back to the same model with the precise problems, up to ``max_repairs`` times;
* on a rejected request (400/401/403/404) or exhausted retries/repairs: the next model. A
  prompt too long for a model goes only to models with a larger context window.

Every attempt is recorded (``Completion.attempts``, or ``.attempts`` on the exception); tokens
and cost are summed over all of them. SDK clients never retry (``max_retries=0``): the router is
the one retry owner. Sleep and clocks are injectable so tests never wait.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from specwright.compiler.errors import SpecwrightError
from specwright.runtime.config import RoutingSettings
from specwright.runtime.errors import (
    ContextTooLong,
    FatalProviderError,
    ModelNotConfigured,
    ModelsExhausted,
    OutputInvalid,
    ProviderError,
    RateLimited,
    RetryableProviderError,
)
from specwright.runtime.models.base import (
    Completion,
    FailureKind,
    Message,
    Model,
    ModelFailure,
    ModelRequest,
    Usage,
    guardrail_of,
)
from specwright.runtime.models.pricing import PriceBook, cost_of, split_ref
from specwright.runtime.models.route_strategies import STRATEGIES, Candidate
from specwright.runtime.records import Attempt, AttemptPurpose

__all__ = ["Router"]

_MAX_ECHO = 8000  # characters of a previous answer sent back in a repair
_MAX_ANSWER = 4000  # characters of an attempt's answer kept in the execution log


class Router:
    """Routes one spec's requests over its models. Long-lived: breaker and latency state live here."""

    def __init__(
        self,
        candidates: Sequence[Candidate],
        *,
        strategy: str = "fallback",
        settings: RoutingSettings | None = None,
        name: str | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown routing strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")
        self.candidates: tuple[Candidate, ...] = tuple(candidates)
        self.strategy = strategy
        self.settings = settings or RoutingSettings.model_validate({})
        self.name = name or "route:" + ",".join(c.ref for c in self.candidates)
        self._order = STRATEGIES[strategy]
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._clock = clock
        self._wall = wall

    @classmethod
    def of(
        cls,
        models: Sequence[Model],
        *,
        weights: Sequence[float] | None = None,
        prices: PriceBook | None = None,
        **kw: object,
    ) -> Router:
        """A router over ready-made models (fakes in tests, or your own ``Model``s)."""
        book = prices or PriceBook()
        cands = []
        for i, m in enumerate(models):
            provider, model = split_ref(m.name)
            cands.append(Candidate(
                m, m.name, provider, model,
                weight=weights[i] if weights else 1.0,
                price=book.price(m.name), context_window=book.context_window(m.name),
            ))
        return cls(cands, **kw)  # type: ignore[arg-type]

    async def complete(self, request: ModelRequest) -> Completion:
        now = self._clock()
        if request.deadline is None:
            request = replace(request, deadline=now + self.settings.deadline_s)
        deadline: float = request.deadline  # type: ignore[assignment]
        ordered = self._order(self.candidates, request, self._rng)
        live = [c for c in ordered if not c.cooling(now)]
        forced = not live
        run = _Run()
        if forced:
            live = list(ordered)
        else:
            run.failures.extend(
                ModelFailure(c.ref, "cooling", f"skipped: cooling down after {c.failures} failures")
                for c in ordered if c.cooling(now)
            )
        too_small: int | None = None  # context window that was too small
        for c in live:
            if too_small is not None and c.context_window is not None and c.context_window <= too_small:
                run.failures.append(ModelFailure(
                    c.ref, "context", f"context window {c.context_window} is too small too"))
                continue
            outcome = await self._try(c, request, run, deadline, forced)
            if isinstance(outcome, Completion):
                return outcome
            run.failures.append(outcome)
            if outcome.kind == "context" and c.context_window is not None:
                too_small = max(too_small or 0, c.context_window)
            if outcome.kind == "deadline":
                break
        raise run.exhausted(not self.candidates)

    async def _try(
        self, c: Candidate, request: ModelRequest, run: _Run, deadline: float, forced: bool
    ) -> Completion | ModelFailure:
        s = self.settings
        purpose: AttemptPurpose = "fallback" if run.attempts else "call"
        retries = repairs = 0
        req = request
        while True:
            start = self._clock()
            if start >= deadline:
                return ModelFailure(c.ref, "deadline", "the run's time budget ran out")
            started_at = self._wall()
            c.in_flight += 1
            try:
                comp = await c.model.complete(req)
            except SpecwrightError as exc:
                error: SpecwrightError | None = exc
            else:
                error = None
            finally:
                c.in_flight -= 1
            now = self._clock()
            latency = now - start
            if error is None:
                c.succeeded(latency)
                problems = request.check(comp.data) if request.check is not None else ()
                echo = comp.text or json.dumps(comp.data)
                seen = getattr(problems, "guardrails", None)
                if not problems:
                    run.record(c, purpose, started_at, latency, comp.usage, None, echo, seen)
                    return run.completion(comp, c)
                run.record(c, purpose, started_at, latency, comp.usage, tuple(problems), echo,
                           seen)
            elif isinstance(error, OutputInvalid):  # UnparseableOutput carries text and usage
                c.succeeded(latency)
                echo = getattr(error, "text", "")
                run.record(c, purpose, started_at, latency, getattr(error, "usage", None), error,
                           echo)
                problems = [f"the answer could not be read as one JSON object: {error.message}"]
            elif isinstance(error, RetryableProviderError):
                run.record(c, purpose, started_at, latency, None, error)
                opened = c.failed(now, s.cooldown_failures, s.cooldown_s)
                if retries >= s.max_retries or (opened and not forced):
                    return ModelFailure(c.ref, "transport", error.message)
                delay = self._backoff(retries, error)
                if now + delay >= deadline:
                    return ModelFailure(c.ref, "transport", f"{error.message} (no time left to retry)")
                await self._sleep(delay)
                retries, purpose = retries + 1, "retry"
                continue
            elif isinstance(error, ProviderError):
                run.record(c, purpose, started_at, latency, None, error)
                if isinstance(error, ContextTooLong):
                    return ModelFailure(c.ref, "context", error.message)
                c.failed(now, s.cooldown_failures, s.cooldown_s)
                kind: FailureKind = "rejected" if isinstance(error, FatalProviderError) else "transport"
                return ModelFailure(c.ref, kind, error.message)
            elif isinstance(error, ModelNotConfigured):
                run.record(c, purpose, started_at, latency, None, error)
                return ModelFailure(c.ref, "not_configured", error.message)
            else:
                raise error  # ReplayMiss and anything unexpected: loud, never a fallback
            # an answer that failed parsing or ``check``: repair, then give up on this model
            run.last_problems = tuple(problems)
            if repairs < s.max_repairs:
                req, repairs, purpose = _repair(req, echo, problems), repairs + 1, "repair"
                continue
            return ModelFailure(
                c.ref, "output", f"answer still has {len(problems)} problem(s) after "
                f"{repairs} repair(s): {problems[0]}")

    def _backoff(self, retries: int, exc: RetryableProviderError) -> float:
        s = self.settings
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return min(exc.retry_after, s.retry_after_cap_s)
        return self._rng.uniform(0.0, min(s.backoff_max_s, s.backoff_base_s * (2**retries)))


class _Run:
    """What one ``complete`` call has done so far."""

    __slots__ = ("attempts", "failures", "last_problems")

    def __init__(self) -> None:
        self.attempts: list[Attempt] = []
        self.failures: list[ModelFailure] = []
        self.last_problems: tuple[str, ...] = ()

    def record(
        self, c: Candidate, purpose: AttemptPurpose, started_at: float, latency_s: float,
        usage: Usage | None, error: Exception | tuple[str, ...] | None,
        answer: str | None = None, guardrails: tuple[dict[str, object], ...] | None = None,
    ) -> None:
        error_class = message = None
        if isinstance(error, tuple):
            guardrail = all(guardrail_of(p) for p in error)
            error_class = "GuardrailViolation" if guardrail else "OutputInvalid"
            message = "; ".join(error)[:1000]
        elif error is not None:
            error_class = type(error).__name__
            message = getattr(error, "message", None) or str(error)
            vendor = getattr(error, "vendor_detail", None)
            if vendor:  # the server's own words: in the log, never in an HTTP error body
                message = f"{message} (server said: {vendor})"
        self.attempts.append(Attempt(
            provider=c.provider, model=c.model_name, purpose=purpose, started_at=started_at,
            latency_ms=latency_s * 1000.0, status="ok" if error is None else "error",
            input_tokens=usage.input_tokens if usage else None,
            output_tokens=usage.output_tokens if usage else None,
            cached_tokens=usage.cached_tokens if usage else None,
            cost_usd=cost_of(c.price, usage) if usage else 0.0,
            error_class=error_class, error=message,
            answer=None if answer is None else answer[:_MAX_ANSWER],
            guardrails=guardrails,
            cache_write_tokens=usage.cache_write_tokens if usage else None,
        ))

    def completion(self, comp: Completion, c: Candidate) -> Completion:
        inp = out = cached = written = 0
        cost: float | None = 0.0
        for a in self.attempts:
            inp += a.input_tokens or 0
            out += a.output_tokens or 0
            cached += a.cached_tokens or 0
            written += a.cache_write_tokens or 0
            cost = None if cost is None or a.cost_usd is None else cost + a.cost_usd
        return Completion(
            data=comp.data, model=comp.model or c.ref, text=comp.text,
            usage=Usage(inp, out, cached, written), cost_usd=cost, attempts=tuple(self.attempts),
            mock=comp.mock,
        )

    def exhausted(self, empty_route: bool) -> Exception:
        if empty_route:
            return ModelNotConfigured(
                "no model is configured for this spec: add `models:` to its front matter or "
                "set [default_route] models in specwright.toml")
        tried = [f for f in self.failures if f.kind != "cooling"]
        if tried and all(f.kind == "not_configured" for f in tried):
            message = "; ".join(dict.fromkeys(f.message for f in tried))
            return ModelNotConfigured(message, attempts=self.attempts, failures=self.failures)
        error = ModelsExhausted(
            "every model of the route failed: "
            + "; ".join(f"{f.model}: {f.message}" for f in self.failures),
            attempts=self.attempts, failures=self.failures, last_problems=self.last_problems,
        )
        if error.guardrail_only:
            error.message = "the answer still violates guardrails after repair: " + ", ".join(
                error.guardrail_labels)
            error.args = (error.message,)
        return error


def _repair(request: ModelRequest, previous: str, problems: Sequence[str]) -> ModelRequest:
    body = (
        "Your previous answer was not accepted:\n"
        + "\n".join(f"- {p}" for p in problems)
        + "\nAnswer again with one JSON object that fixes every problem listed and changes "
        "nothing else."
    )
    messages = (
        *request.messages,
        Message("assistant", previous[:_MAX_ECHO] or "(empty answer)"),
        Message("user", body),
    )
    return replace(request, messages=messages)
