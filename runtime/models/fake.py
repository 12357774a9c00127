"""``ScriptedModel``: a fake ``Model`` for tests (Specwright's and yours).

Script it with a list of responses, consumed in order, or with a function of the request::

    model = ScriptedModel([
        rate_limited(retry_after=1.0),            # an exception instance is raised
        '```json\\n{"carrier": "ups"}\\n```',     # a string is parsed like a model's text
        {"carrier": "dhl", "reason": "..."},      # a dict is the parsed answer
    ])
    router = Router.of([model], sleep=no_sleep)   # or build_route(..., overrides={ref: model})

Every request it got is kept in ``model.requests``. Nothing touches the network. ``usage``
reports tokens the way the adapters read them from the vendors: ``Usage(1000, 20, 600, 300)`` is
1,000 prompt tokens of which 600 were read from the provider's prompt cache and 300 written to
it (Anthropic), and 20 answer tokens; the router prices each kind at its rate.
"""

from __future__ import annotations

import copy
import inspect
import json
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from specwright.runtime.errors import (
    ContextTooLong,
    FatalProviderError,
    ParseError,
    RateLimited,
    RetryableProviderError,
    ScriptExhausted,
    UnparseableOutput,
)
from specwright.runtime.models.base import Completion, ModelRequest, Usage
from specwright.runtime.models.lowering import Dialect
from specwright.runtime.models.parsing import parse_json_object

__all__ = [
    "ScriptExhausted", "ScriptedModel", "context_too_long", "no_sleep", "rate_limited",
    "rejected", "server_error", "timed_out",
]

DEFAULT_USAGE = Usage(10, 5)
Response = dict[str, Any] | str | BaseException | Completion
Script = Iterable[Response] | Callable[[ModelRequest], Response | Awaitable[Response]]


class ScriptedModel:
    """A ``Model`` answering from a script. ``usage`` is reported for every answer."""

    dialect: Dialect | None = None

    def __init__(
        self, script: Script, *, name: str = "fake:scripted", usage: Usage = DEFAULT_USAGE
    ) -> None:
        self.name = name
        self.usage = usage
        self.requests: list[ModelRequest] = []
        self._fn: Callable[[ModelRequest], Any] | None = None
        self._queue: deque[Response] = deque()
        if callable(script):
            self._fn = script
        else:
            self._queue.extend(script)

    @property
    def remaining(self) -> int:
        """Scripted responses not used yet."""
        return len(self._queue)

    async def complete(self, request: ModelRequest) -> Completion:
        self.requests.append(request)
        if self._fn is not None:
            response = self._fn(request)
            if inspect.isawaitable(response):
                response = await response
        elif self._queue:
            response = self._queue.popleft()
        else:
            raise ScriptExhausted(
                f"{self.name} got request #{len(self.requests)} but only "
                f"{len(self.requests) - 1} response(s) were scripted"
            )
        return self._answer(response)

    def _answer(self, response: Response) -> Completion:
        if isinstance(response, BaseException):
            raise response
        if isinstance(response, Completion):
            return response
        if isinstance(response, dict):
            return Completion(
                data=copy.deepcopy(response), model=self.name, text=json.dumps(response),
                usage=self.usage,
            )
        if isinstance(response, str):
            try:
                data = parse_json_object(response)
            except ParseError as exc:
                raise UnparseableOutput(str(exc), text=response, usage=self.usage) from None
            return Completion(data=data, model=self.name, text=response, usage=self.usage)
        raise TypeError(f"cannot script a {type(response).__name__}: use a dict, str or exception")


async def no_sleep(seconds: float) -> None:
    """A ``sleep`` for routers in tests: returns at once."""


def rate_limited(retry_after: float | None = None) -> RateLimited:
    return RateLimited("HTTP 429: rate limited (scripted)", retry_after=retry_after,
                       http_status=429)


def server_error(status: int = 500) -> RetryableProviderError:
    return RetryableProviderError(f"HTTP {status}: server error (scripted)", http_status=status)


def timed_out() -> RetryableProviderError:
    return RetryableProviderError("the request timed out (scripted)")


def rejected(status: int = 400) -> FatalProviderError:
    return FatalProviderError(f"HTTP {status}: rejected (scripted)", http_status=status)


def context_too_long() -> ContextTooLong:
    return ContextTooLong("HTTP 400: the prompt is too long (scripted)", http_status=400)
