"""Several small connection pools in place of one large one, for SDK clients under heavy load.

httpcore (under httpx, under both SDKs) re-examines every connection of its pool each time a
request is queued and each time one is released: a pass costs time in proportion to the pool's
connections, so with a thousand model calls in flight every call pays for a thousand connections,
twice: most of the server's CPU under many slow calls (docs/performance.md).

``ShardedPool`` takes the place of a client's pool and spreads requests over up to ``shards``
pools with the same settings, each allowed ``1/shards`` of the original connection limit (so the
client never holds more connections than before). A request goes to the first pool with room
below that limit, so under light load only the first pool is used and connections are reused
exactly as with one pool; more pools come into use as calls in flight pile up, and a full
client queues requests in its least loaded pool. ``shard_pools`` installs it; where the
installed httpx/httpcore do not have the layout it expects, nothing is changed.

How small: ``CONNECTIONS_PER_POOL`` (8) unless ``shards`` is given. The pass over a pool's
connections runs on every request and every release, so the smaller the pools the less each
call pays (docs/performance.md, round 5, has the A/B runs). Finding a pool with room is a scan
of the pools' counters.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import httpcore2
from httpcore2 import AsyncConnectionPool

CONNECTIONS_PER_POOL = 8
_SETTINGS = (
    "_ssl_context", "_proxy", "_max_connections", "_max_keepalive_connections",
    "_keepalive_expiry", "_http1", "_http2", "_retries", "_local_address", "_uds",
    "_network_backend", "_socket_options",
)  # the private attributes ``AsyncConnectionPool.__init__`` stores its arguments in


class _Released:
    """A response stream that tells its pool's counter when the response is done with."""

    def __init__(self, inner: Any, owner: ShardedPool, shard: int) -> None:
        self._inner = inner
        self._owner = owner
        self._shard = shard
        self._done = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._inner.__aiter__()

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            if not self._done:
                self._done = True
                self._owner.in_flight[self._shard] -= 1


class ShardedPool:
    """Stands in for an ``httpcore2.AsyncConnectionPool`` (``handle_async_request``, ``aclose``,
    async context manager); see the module docstring."""

    def __init__(self, first: AsyncConnectionPool, shards: int | None = None) -> None:
        self._settings = {name.removeprefix("_"): getattr(first, name) for name in _SETTINGS}
        if shards is None:  # pools of CONNECTIONS_PER_POOL: as many as the client's limit allows
            shards = max(1, self._settings["max_connections"] // CONNECTIONS_PER_POOL)
        limit = max(1, self._settings["max_connections"] // shards)
        first._max_connections = limit
        first._max_keepalive_connections = min(first._max_keepalive_connections, limit)
        self.limit = limit  # connections per pool
        self.pools: list[AsyncConnectionPool] = [first]
        self.in_flight: list[int] = [0]
        self._shards = shards

    def _pick(self) -> int:
        for index, count in enumerate(self.in_flight):
            if count < self.limit:
                return index
        if len(self.pools) < self._shards:
            settings = {**self._settings, "max_connections": self.limit,
                        "max_keepalive_connections": min(
                            self._settings["max_keepalive_connections"], self.limit)}
            self.pools.append(AsyncConnectionPool(**settings))
            self.in_flight.append(0)
            return len(self.pools) - 1
        return min(range(len(self.in_flight)), key=self.in_flight.__getitem__)

    async def handle_async_request(self, request: httpcore2.Request) -> httpcore2.Response:
        shard = self._pick()
        self.in_flight[shard] += 1
        try:
            response = await self.pools[shard].handle_async_request(request)
        except BaseException:
            self.in_flight[shard] -= 1
            raise
        response.stream = _Released(response.stream, self, shard)
        return response

    async def aclose(self) -> None:
        for pool in self.pools:
            await pool.aclose()

    async def __aenter__(self) -> ShardedPool:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.aclose()


def shard_pools(sdk_client: Any, shards: int | None = None) -> bool:
    """Put a ``ShardedPool`` in place of the pool of ``sdk_client``'s default transport (an
    ``AsyncOpenAI`` or ``AsyncAnthropic``); False when its layout is not the expected one.
    ``shards``: how many pools at most (default: pools of ``CONNECTIONS_PER_POOL``)."""
    transport = getattr(getattr(sdk_client, "_client", None), "_transport", None)
    pool = getattr(transport, "_pool", None)
    if type(pool) is not AsyncConnectionPool or not all(hasattr(pool, n) for n in _SETTINGS):
        return False
    transport._pool = ShardedPool(pool, shards)  # type: ignore[union-attr]
    return True
