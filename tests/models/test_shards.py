"""``shard_pools``: SDK calls spread over several small connection pools only when many are in
flight; one pool (and its kept-alive connection) otherwise; never more connections than the
client's limit; the counts come back to zero whatever happens to a call."""

from __future__ import annotations

import asyncio

import httpx2
import openai
from mdl_support import LoopbackServer, chat

from specwright.runtime.models.registry import ClientPool
from specwright.runtime.models.shards import CONNECTIONS_PER_POOL, ShardedPool, shard_pools


def slow_server(delay: float) -> LoopbackServer:
    """Chat completions answered after ``delay`` seconds on kept-alive connections."""
    return LoopbackServer(lambda path, payload: (200, chat('{"ok": true}')), delay=delay)


def _sharded(server: LoopbackServer, max_connections: int, shards: int | None
             ) -> tuple[openai.AsyncOpenAI, ShardedPool]:
    """An SDK client of ``server`` with ``max_connections``, its pool sharded ``shards`` ways."""
    client = openai.AsyncOpenAI(
        api_key="sk-test", base_url=server.url + "/v1", max_retries=0,
        http_client=openai.DefaultAsyncHttpxClient(
            limits=httpx2.Limits(max_connections=max_connections, max_keepalive_connections=100)),
    )
    assert shard_pools(client, shards=shards)
    return client, _pool(client)


async def _ask(client: openai.AsyncOpenAI) -> str | None:
    r = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    return r.choices[0].message.content


def _pool(client: openai.AsyncOpenAI) -> ShardedPool:
    pool = client._client._transport._pool  # type: ignore[attr-defined]
    assert isinstance(pool, ShardedPool)
    return pool


async def test_calls_one_at_a_time_use_one_pool_and_one_connection() -> None:
    server = slow_server(0.0)
    async with server:
        client, pool = _sharded(server, 64, shards=4)
        for _ in range(5):
            assert await _ask(client) == '{"ok": true}'
        assert len(pool.pools) == 1 and pool.in_flight == [0]
        assert server.connections == 1  # kept alive and reused, as with one pool
        await client.close()


async def test_many_in_flight_spread_over_pools_within_the_clients_limit() -> None:
    server = slow_server(0.2)
    async with server:
        client, pool = _sharded(server, 8, shards=4)
        assert pool.limit == 2
        answers = await asyncio.gather(*(_ask(client) for _ in range(20)))
        assert answers == ['{"ok": true}'] * 20
        assert len(pool.pools) == 4  # 2 connections each: the limit of 8 is kept
        assert server.most_open <= 8
        assert pool.in_flight == [0, 0, 0, 0]
        await client.close()


async def test_by_default_each_pool_holds_a_few_connections_and_the_limit_is_kept() -> None:
    server = slow_server(0.2)
    async with server:
        client, pool = _sharded(server, 4 * CONNECTIONS_PER_POOL, shards=None)
        assert pool.limit == CONNECTIONS_PER_POOL
        calls = 2 * CONNECTIONS_PER_POOL + 1  # two full pools and one call in a third
        answers = await asyncio.gather(*(_ask(client) for _ in range(calls)))
        assert answers == ['{"ok": true}'] * calls
        assert len(pool.pools) == 3 and pool.in_flight == [0, 0, 0]
        assert server.most_open <= calls
        for _ in range(3):  # one at a time again: the first pool's kept-alive connections
            assert await _ask(client) == '{"ok": true}'
        assert pool.in_flight == [0, 0, 0]
        await client.close()


async def test_a_failed_call_is_not_counted_as_in_flight() -> None:
    server = slow_server(0.0)
    async with server:
        pass
    # The server is closed now: every connection attempt to its port fails.
    client, pool = _sharded(server, 8, shards=2)
    for _ in range(3):
        try:
            await _ask(client)
        except openai.APIConnectionError:
            continue
        raise AssertionError("a closed port answered")
    assert pool.in_flight == [0]
    await client.close()


async def test_a_response_closed_unread_releases_its_count_once() -> None:
    server = slow_server(0.0)
    async with server:
        client, pool = _sharded(server, 8, shards=2)
        raw = client.chat.completions.with_streaming_response
        async with raw.create(model="m", messages=[{"role": "user", "content": "x"}]):
            assert pool.in_flight == [1]
        assert pool.in_flight == [0]
        await client.close()


def test_clients_without_a_connection_pool_are_left_alone() -> None:
    client = openai.AsyncOpenAI(api_key="sk-test", http_client=httpx2.AsyncClient(
        transport=httpx2.MockTransport(lambda request: httpx2.Response(200))))
    assert not shard_pools(client)
    assert not shard_pools(object())


def test_the_client_pool_shards_the_sdk_default_client() -> None:
    pool = ClientPool()
    client = pool.get(("openai", "x"), lambda: openai.AsyncOpenAI(
        api_key="sk-test", base_url="http://127.0.0.1:9/v1"))
    assert isinstance(_pool(client), ShardedPool)
    assert _pool(client).limit == CONNECTIONS_PER_POOL  # the SDK's limit of 1,000, in pools of 8
    assert not shard_pools(client)  # already sharded
    asyncio.run(pool.aclose())
