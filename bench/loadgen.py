"""A load generator: N keep-alive HTTP/1.1 connections, a fixed number of requests, latencies.

Raw asyncio sockets (no HTTP client library), so the generator costs far less CPU per request
than the servers it measures. Each connection sends its next request when the previous answer
is read; a ``Connection: close`` answer or a transport error reopens the connection. Prints one
JSON object: counts per status, transport errors, wall time, requests/s and latency percentiles
(milliseconds, nearest rank).

    python bench/loadgen.py http://127.0.0.1:8000/specs/order-validation/v1 \\
        --body '{"order_id": "A-1", ...}' -c 64 -n 20000
    python bench/loadgen.py URL --body-file input.json -c 2000 -n 2000 --connect-first

``--connect-first`` opens every connection before the first request is sent, so that all the
requests are in flight at once (the many-in-flight benchmark).

``--rate R --duration S`` is an open loop instead: requests are due at a fixed rate, whatever the
server's answers, each on an idle keep-alive connection or a new one. A request's latency is
counted from the moment it was due, so a late send (the generator's own lag) counts against the
answer rather than hiding it; that lag is reported apart (``send_lag_ms``), with the most
requests in flight at once.

    python bench/loadgen.py URL --body-file input.json --rate 200 --duration 8
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass(slots=True)
class LoadResult:
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # transport errors by exception class
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    cpu_s: float = 0.0  # this process
    send_lags_ms: list[float] = field(default_factory=list)  # open loop: sent after it was due
    max_in_flight: int = 0

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        return {
            "requests": self.requests,
            "ok": sum(n for s, n in self.statuses.items() if 200 <= s < 300),
            "statuses": {str(s): n for s, n in sorted(self.statuses.items())},
            "errors": dict(self.errors),
            "seconds": round(self.seconds, 4),
            "rps": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "latency_ms": {
                "p50": percentile(lat, 0.50), "p90": percentile(lat, 0.90),
                "p99": percentile(lat, 0.99), "max": round(lat[-1], 3) if lat else 0.0,
                "mean": round(sum(lat) / len(lat), 3) if lat else 0.0,
            },
            "loadgen_cpu_us_per_request": round(self.cpu_s / self.requests * 1e6, 1)
            if self.requests else 0.0,
            "max_in_flight": self.max_in_flight,
            **({"send_lag_ms": {"p50": percentile(lags, 0.50), "p99": percentile(lags, 0.99),
                                "max": round(lags[-1], 3)}}
               if (lags := sorted(self.send_lags_ms)) else {}),
        }


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 1))))
    return round(sorted_values[rank - 1], 3)


def build_request(url: str, body: bytes, method: str, headers: list[str]) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"only http:// URLs are supported, not {url!r}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    port = parts.port or 80
    head = [f"{method} {target} HTTP/1.1", f"host: {parts.hostname}:{port}",
            f"content-length: {len(body)}"]
    if not any(h.lower().startswith("content-type:") for h in headers):
        head.append("content-type: application/json")
    head += headers
    return parts.hostname, port, ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """(status, keep-alive) of one response; its body is read and dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, chunked, keep = 0, False, True
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
        elif name == "connection" and value.strip().lower() == "close":
            keep = False
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, keep


Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]
# What one exchange can fail with: counted by class name, the connection dropped.
_TRANSPORT_ERRORS = (TimeoutError, OSError, asyncio.IncompleteReadError,
                     asyncio.LimitOverrunError, ValueError)


def _connector(host: str, port: int, timeout: float) -> Callable[[], Awaitable[Conn]]:
    async def connect() -> Conn:
        return await asyncio.wait_for(asyncio.open_connection(host, port, limit=1 << 22), timeout)

    return connect


async def _exchange(conn: Conn | None, connect: Callable[[], Awaitable[Conn]], raw: bytes,
                    timeout: float, since: float, result: LoadResult,
                    send_lags: list[float] | None = None) -> Conn | None:
    """One request on ``conn`` (a new connection when None), counted in ``result`` with its
    latency from ``since``; ``send_lags`` gets how late it was sent. Returns the connection to
    use next, or None when it was closed (an error, or ``Connection: close``)."""
    try:
        if conn is None:
            conn = await connect()
        reader, writer = conn
        if send_lags is not None:
            send_lags.append((time.perf_counter() - since) * 1000.0)
        writer.write(raw)
        status, keep = await asyncio.wait_for(_read_response(reader), timeout)
    except _TRANSPORT_ERRORS as exc:
        result.errors[type(exc).__name__] += 1
        result.requests += 1
        if conn is not None:
            conn[1].close()
        return None
    result.latencies_ms.append((time.perf_counter() - since) * 1000.0)
    result.statuses[status] += 1
    result.requests += 1
    if not keep:
        writer.close()
        return None
    return conn


async def run_load(url: str, body: bytes, *, concurrency: int, requests: int,
                   method: str = "POST", headers: list[str] | None = None,
                   timeout: float = 60.0, connect_first: bool = False) -> LoadResult:
    host, port, raw = build_request(url, body, method, headers or [])
    result = LoadResult()
    remaining = requests
    workers = min(concurrency, requests)
    go, connected = asyncio.Event(), asyncio.Event()
    ready = 0
    connect = _connector(host, port, timeout)

    async def worker() -> None:
        nonlocal remaining, ready
        conn = None
        if connect_first:
            try:
                conn = await connect()
            except (TimeoutError, OSError) as exc:  # retried below, counted once
                result.errors[f"connect:{type(exc).__name__}"] += 1
            finally:
                ready += 1
                if ready >= workers:
                    connected.set()
        await go.wait()
        while remaining > 0:
            remaining -= 1
            conn = await _exchange(conn, connect, raw, timeout, time.perf_counter(), result)
        if conn is not None:
            conn[1].close()

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    if connect_first:
        await connected.wait()
    cpu0, t0 = time.process_time(), time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    result.seconds = time.perf_counter() - t0
    result.cpu_s = time.process_time() - cpu0
    return result


async def run_open_loop(url: str, body: bytes, *, rate: float, duration: float,
                        method: str = "POST", headers: list[str] | None = None,
                        timeout: float = 60.0) -> LoadResult:
    """Send ``rate`` requests per second for ``duration`` seconds, each when it is due."""
    if rate <= 0 or duration <= 0:
        raise ValueError("--rate and --duration must be positive")
    host, port, raw = build_request(url, body, method, headers or [])
    result = LoadResult()
    connect = _connector(host, port, timeout)
    idle: list[Conn] = []
    in_flight = 0

    async def one(due: float) -> None:
        nonlocal in_flight
        in_flight += 1
        result.max_in_flight = max(result.max_in_flight, in_flight)
        conn = idle.pop() if idle else None
        try:
            conn = await _exchange(conn, connect, raw, timeout, due, result,
                                   result.send_lags_ms)
        finally:
            in_flight -= 1
        if conn is not None:
            idle.append(conn)

    total = max(1, round(rate * duration))
    tasks: list[asyncio.Task[None]] = []
    cpu0, t0 = time.process_time(), time.perf_counter()
    sent = 0
    while sent < total:
        now = time.perf_counter()
        due_now = min(total, int((now - t0) * rate) + 1)  # every request due by now
        while sent < due_now:
            tasks.append(asyncio.create_task(one(t0 + sent / rate)))
            sent += 1
        if sent < total:
            await asyncio.sleep(max(0.0, t0 + sent / rate - time.perf_counter()))
    await asyncio.gather(*tasks)
    result.seconds = time.perf_counter() - t0
    result.cpu_s = time.process_time() - cpu0
    for _, writer in idle:
        writer.close()
    return result


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("url")
    p.add_argument("-c", "--concurrency", type=int, default=64)
    p.add_argument("-n", "--requests", type=int, default=10_000)
    p.add_argument("--method", default="POST")
    p.add_argument("--body", default="", help="request body (JSON text)")
    p.add_argument("--body-file", default="", help="read the body from this file")
    p.add_argument("-H", "--header", action="append", default=[], help="'name: value'")
    p.add_argument("--timeout", type=float, default=60.0, help="per request, seconds")
    p.add_argument("--warmup", type=int, default=0, help="requests sent first, not counted")
    p.add_argument("--connect-first", action="store_true",
                   help="open every connection before sending, so all requests fly at once")
    p.add_argument("--rate", type=float, default=0.0,
                   help="open loop: requests per second, each sent when due (with --duration)")
    p.add_argument("--duration", type=float, default=0.0, help="open loop: seconds of load")
    args = p.parse_args(argv)
    raise_fd_limit()
    body = Path(args.body_file).read_bytes() if args.body_file else args.body.encode()
    if args.warmup:
        asyncio.run(run_load(args.url, body, concurrency=args.concurrency,
                             requests=args.warmup, method=args.method, headers=args.header,
                             timeout=args.timeout))
    if args.rate or args.duration:
        result = asyncio.run(run_open_loop(args.url, body, rate=args.rate,
                                           duration=args.duration, method=args.method,
                                           headers=args.header, timeout=args.timeout))
    else:
        result = asyncio.run(run_load(args.url, body, concurrency=args.concurrency,
                                      requests=args.requests, method=args.method,
                                      headers=args.header, timeout=args.timeout,
                                      connect_first=args.connect_first))
    summary = result.summary()
    summary["concurrency"] = args.concurrency
    if args.rate:
        summary["rate"] = args.rate
    summary["pid"] = os.getpid()
    json.dump(summary, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
