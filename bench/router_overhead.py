"""Router overhead: Specwright's router + OpenAI adapter + parse + check vs. a raw SDK call.

A fake OpenAI-compatible server runs in a separate process on 127.0.0.1 (raw asyncio HTTP/1.1,
keep-alive, one fixed ``chat.completion`` body), so its CPU is not counted. In this process, for
each round and each concurrency (1 and 64), both clients make the same calls (same messages, same
strict ``response_format``), interleaved:

* ``raw``: ``openai.AsyncOpenAI(base_url=..., max_retries=0).chat.completions.create(...)``
* ``router``: ``build_route(...)`` -> ``Router.complete`` -> ``OpenAIProvider`` -> parse -> check

CPU per call is ``time.process_time()`` of this process over the calls; throughput is calls per
wall-clock second. Medians over the rounds; targets: CPU ratio <= 1.2, throughput ratio >= 0.8.

    python bench/router_overhead.py [--rounds 5] [--calls 1000] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

ANSWER = {"carrier": "ups", "reason": "Cheapest carrier that meets the promised delivery date."}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "carrier": {"type": "string", "enum": ["ups", "fedex", "usps", "dhl"],
                    "description": "Carrier to book"},
        "reason": {"type": "string", "maxLength": 200, "description": "One sentence"},
    },
    "required": ["carrier", "reason"],
    "additionalProperties": False,
}
SYSTEM = "You choose the carrier for a packed shipment. " * 8
USER = json.dumps({"order_id": "A-1001", "weight_kg": 1.2, "destination_country": "US",
                   "promised_days": 5, "declared_value": 40})


# ------------------------------------------------------------------------------------ server


def _response_bytes() -> bytes:
    body = json.dumps({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 1, "model": "gpt-4.1-mini",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": json.dumps(ANSWER)}}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 24, "total_tokens": 144},
    }).encode()
    head = (f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n").encode()
    return head + body


class _Http(asyncio.Protocol):
    RESPONSE = _response_bytes()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].lower()
            length = 0
            i = head.find(b"content-length:")
            if i >= 0:
                j = head.find(b"\r\n", i)
                length = int(head[i + 15 : j if j >= 0 else len(head)])
            total = end + 4 + length
            if len(self.buf) < total:
                return
            self.buf = self.buf[total:]
            self.transport.write(self.RESPONSE)


async def _serve() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Http, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


# ------------------------------------------------------------------------------------ client


async def _measure(call: Callable[[], Awaitable[Any]], calls: int, concurrency: int) -> tuple[float, float]:
    """(CPU microseconds per call, calls per second)."""
    per_worker = calls // concurrency

    async def worker() -> None:
        for _ in range(per_worker):
            await call()

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    done = per_worker * concurrency
    return cpu / done * 1e6, done / wall


async def _bench(
    port: int, rounds: int, calls: int, concurrency: int, chunks: int = 8
) -> dict[str, list[tuple[float, float]]]:
    import openai

    from specwright.compiler.ir import Route, RouteModel
    from specwright.runtime.config import Settings
    from specwright.runtime.models.base import Message, ModelRequest
    from specwright.runtime.models.lowering import lower
    from specwright.runtime.models.registry import ClientPool, build_route

    base_url = f"http://127.0.0.1:{port}/v1"
    raw = openai.AsyncOpenAI(api_key="sk-bench", base_url=base_url, max_retries=0)
    response_format = {"type": "json_schema", "json_schema": {
        "name": "carrier_selection_output", "schema": lower(SCHEMA, "openai").schema, "strict": True}}
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}]

    raw_kwargs: dict[str, Any] = {"model": "gpt-4.1-mini", "messages": messages,
                                  "response_format": response_format, "timeout": 30.0}

    async def raw_call() -> Any:
        return await raw.chat.completions.create(**raw_kwargs)

    settings = Settings.model_validate({"deployments": {"openai": {
        "kind": "openai", "base_url": base_url, "api_key_env": "OPENAI_API_KEY"}}})
    pool = ClientPool()
    router = build_route(Route(models=(RouteModel(ref="openai:gpt-4.1-mini"),)), settings,
                         {"OPENAI_API_KEY": "sk-bench"}, pool=pool)
    allowed = frozenset(("ups", "fedex", "usps", "dhl"))

    def check(data: dict[str, Any]) -> list[str]:
        problems = []
        if data.get("carrier") not in allowed:
            problems.append("carrier: not one of ups, fedex, usps, dhl")
        if not isinstance(data.get("reason"), str) or len(data["reason"]) > 200:
            problems.append("reason: a string of at most 200 characters")
        return problems

    request = ModelRequest(messages=(Message("system", SYSTEM), Message("user", USER)),
                           output_schema=SCHEMA, schema_name="carrier_selection_output",
                           spec="carrier-selection", check=check)

    async def router_call() -> Any:
        return await router.complete(request)

    results: dict[str, list[tuple[float, float]]] = {}
    for fn in (raw_call, router_call):  # warm up: connections, imports, caches
        await _measure(fn, 256, 64)
    # Interleave raw and router in small chunks (alternating which goes first) so that the
    # machine's load drifts over both alike; sum per round.
    for _ in range(rounds):
        for conc, n in ((1, max(calls // 4, 1)), (concurrency, calls)):
            chunk = max(n // chunks, conc)
            totals = {"raw": [0.0, 0.0], "router": [0.0, 0.0]}
            pairs = [("raw", raw_call), ("router", router_call)]
            for i in range(max(n // chunk, 1)):
                for name, fn in pairs if i % 2 == 0 else pairs[::-1]:
                    cpu_us, rate = await _measure(fn, chunk, conc)
                    done = chunk // conc * conc
                    totals[name][0] += cpu_us * done
                    totals[name][1] += done / rate
            done_total = max(n // chunk, 1) * (chunk // conc * conc)
            for name, (cpu_sum, wall_sum) in totals.items():
                results.setdefault(f"{name}@{conc}", []).append(
                    (cpu_sum / done_total, done_total / wall_sum))
    await raw.close()
    await pool.aclose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2048, help="calls per round at concurrency")
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve())
        return
    server = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        results = asyncio.run(_bench(port, args.rounds, args.calls, args.concurrency))
    finally:
        server.terminate()
        server.wait()
    print(f"\nrounds={args.rounds}  calls/round={args.calls} (sequential: {args.calls // 4})  "
          f"medians; CPU = this process only (the fake server runs in another)\n")
    print(f"{'concurrency':>11} | {'raw CPU us/call':>15} | {'router CPU us/call':>18} | "
          f"{'CPU ratio':>9} | {'raw calls/s':>11} | {'router calls/s':>14} | {'thr. ratio':>10}")
    print("-" * 106)
    for conc in (1, args.concurrency):
        raw = results[f"raw@{conc}"]
        rt = results[f"router@{conc}"]
        raw_cpu = statistics.median(c for c, _ in raw)
        rt_cpu = statistics.median(c for c, _ in rt)
        raw_thr = statistics.median(t for _, t in raw)
        rt_thr = statistics.median(t for _, t in rt)
        print(f"{conc:>11} | {raw_cpu:>15.0f} | {rt_cpu:>18.0f} | {rt_cpu / raw_cpu:>9.2f} | "
              f"{raw_thr:>11.0f} | {rt_thr:>14.0f} | {rt_thr / raw_thr:>10.2f}")


if __name__ == "__main__":
    main()
