"""A ``Model`` that waits for its deployment's ``Limiter`` before each call, and teaches it
what the provider's headers said after.

The registry wraps every provider adapter in one (``build_route``), so the server and
``specwright run`` share each (deployment, model)'s schedule: the router's retries, repairs and
fallbacks all pass through it. Tokens are estimated before the call (prompt characters / 4 plus
the answer's token bound: what the provider counts against a tokens-per-minute limit) and
corrected with the usage the answer reports.
"""

from __future__ import annotations

import json
import time
from typing import Any

from specwright.runtime.errors import RateLimited
from specwright.runtime.models.base import Completion, Model, ModelRequest
from specwright.runtime.models.header_capture import CURRENT, Seen
from specwright.runtime.models.rate_limit_headers import Observed, observe
from specwright.runtime.models.rate_limits import Limiter
from specwright.runtime.models.sampling import Sampling, max_tokens_for

__all__ = ["ThrottledModel", "estimate_tokens"]

CHARS_PER_TOKEN = 4


_SCHEMA_CHARS: dict[int, tuple[object, int]] = {}  # id(schema) -> (schema, its JSON length)


def estimate_tokens(request: ModelRequest, sampling: Sampling) -> tuple[int, int]:
    """(prompt tokens: characters / 4, schema included; the answer's token bound). Providers
    count both against a tokens-per-minute limit when they admit a call."""
    schema = request.output_schema
    hit = _SCHEMA_CHARS.get(id(schema))
    if hit is None or hit[0] is not schema:  # a revision's schema is one shared dict
        if len(_SCHEMA_CHARS) > 256:
            _SCHEMA_CHARS.clear()
        hit = _SCHEMA_CHARS[id(schema)] = (schema, len(json.dumps(schema)))
    chars = sum(len(m.content) for m in request.messages) + hit[1]
    return chars // CHARS_PER_TOKEN, max_tokens_for(request, sampling)


class ThrottledModel:
    """``inner``, called no faster than ``limiter`` admits."""

    def __init__(self, inner: Model, limiter: Limiter) -> None:
        self.inner = inner
        self.limiter = limiter
        self.name = inner.name
        self._sampling: Sampling = getattr(inner, "sampling", None) or Sampling()

    def __getattr__(self, name: str) -> Any:  # dialect, accepts... of the adapter
        return getattr(self.inner, name)

    async def complete(self, request: ModelRequest) -> Completion:
        limiter = self.limiter
        # tokens are estimated only under a tokens-per-minute limit (they cost a little CPU)
        prompt, bound = (estimate_tokens(request, self._sampling) if limiter.tokens is not None
                         else (0, 0))
        estimate = prompt + bound
        if not await limiter.acquire(estimate, request.deadline):
            raise RateLimited(
                f"{self.name}: its rate limit leaves no room for this call before the run's "
                "deadline", provider=getattr(self.inner, "provider", ""),
                model=getattr(self.inner, "model", ""))
        seen = Seen()
        token = CURRENT.set(seen)
        started = time.monotonic()
        try:
            completion = await self.inner.complete(request)
        except RateLimited as exc:
            learned = self._learn(seen)
            if not learned or learned.retry_after is None:  # a 429 without headers we read
                limiter.rate_limited += 1
                limiter.pause(1.0 if exc.retry_after is None else exc.retry_after)
            limiter.settle(estimate, 0)
            raise
        except BaseException:
            self._learn(seen)  # any other failure keeps its estimate charged
            raise
        finally:
            CURRENT.reset(token)
        self._learn(seen)
        limiter.observe_latency(time.monotonic() - started)
        # the prompt as the provider counted it, and the bound it admitted the call with
        limiter.settle(estimate, (completion.usage.input_tokens or prompt) + bound)
        return completion

    def _learn(self, seen: Seen) -> Observed | None:
        if seen.headers is None:
            return None
        observed = observe(seen.headers, status=seen.status)
        if observed is not None:
            self.limiter.learn(observed)
        return observed
