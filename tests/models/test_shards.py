"""``shard_pools``: SDK calls spread over several small connection pools only when many are in
flight; one pool (and its kept-alive connection) otherwise; never more connections than the
client's limit; the counts come back to zero whatever happens to a call."""

from __future__ import annotations

import asyncio
import json

import httpx2
import openai
from mdl_support import chat

from runtime.models.registry import ClientPool
from runtime.models.shards import ShardedPool, shard_pools


class SlowServer:
    """Answers chat completions after ``delay`` seconds on kept-alive connections."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.connections = 0
        self.open = 0
        self.most_open = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/v1"

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length"))
                await reader.readexactly(length)
                await asyncio.sleep(self.delay)
                data = json.dumps(chat('{"ok": true}')).encode()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                             b"content-length: %d\r\n\r\n" % len(data) + data)
                await writer.drain()
        finally:
            self.open -= 1
            writer.close()


def _client(url: str, max_connections: int) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        api_key="sk-test", base_url=url, max_retries=0,
        http_client=openai.DefaultAsyncHttpxClient(
            limits=httpx2.Limits(max_connections=max_connections, max_keepalive_connections=100)),
    )


async def _ask(client: openai.AsyncOpenAI) -> str | None:
    r = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    return r.choices[0].message.content


def _pool(client: openai.AsyncOpenAI) -> ShardedPool:
    pool = client._client._transport._pool  # type: ignore[attr-defined]
    assert isinstance(pool, ShardedPool)
    return pool


async def test_calls_one_at_a_time_use_one_pool_and_one_connection() -> None:
    server = SlowServer(0.0)
    async with server as url:
        client = _client(url, 64)
        assert shard_pools(client, shards=4)
        pool = _pool(client)
        for _ in range(5):
            assert await _ask(client) == '{"ok": true}'
        assert len(pool.pools) == 1 and pool.in_flight == [0]
        assert server.connections == 1  # kept alive and reused, as with one pool
        await client.close()


async def test_many_in_flight_spread_over_pools_within_the_clients_limit() -> None:
    server = SlowServer(0.2)
    async with server as url:
        client = _client(url, 8)
        assert shard_pools(client, shards=4)
        pool = _pool(client)
        assert pool.limit == 2
        answers = await asyncio.gather(*(_ask(client) for _ in range(20)))
        assert answers == ['{"ok": true}'] * 20
        assert len(pool.pools) == 4  # 2 connections each: the limit of 8 is kept
        assert server.most_open <= 8
        assert pool.in_flight == [0, 0, 0, 0]
        await client.close()


async def test_a_failed_call_is_not_counted_as_in_flight() -> None:
    server = SlowServer(0.0)
    async with server as url:
        pass  # the port is closed now: every connection attempt fails
    client = _client(url, 8)
    assert shard_pools(client, shards=2)
    pool = _pool(client)
    for _ in range(3):
        try:
            await _ask(client)
        except openai.APIConnectionError:
            continue
        raise AssertionError("a closed port answered")
    assert pool.in_flight == [0]
    await client.close()


async def test_a_response_closed_unread_releases_its_count_once() -> None:
    server = SlowServer(0.0)
    async with server as url:
        client = _client(url, 8)
        assert shard_pools(client, shards=2)
        pool = _pool(client)
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
    assert not shard_pools(client)  # already sharded
    asyncio.run(pool.aclose())
