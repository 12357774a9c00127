"""Running the fake server: in a background thread (tests) or as a process (the CLI).

    python -m specwright.runtime.fakeserver --port 8100 --fault-rate 0.3 --latency-ms 0

prints ``fakeserver listening on http://127.0.0.1:PORT`` once it accepts connections (``--port 0``
picks a free port), serves until SIGINT/SIGTERM, then prints its counters as one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from specwright.runtime.fakeserver.config import FAULT_KINDS, FakeConfig, FaultMix
from specwright.runtime.fakeserver.dialects import DIALECTS
from specwright.runtime.fakeserver.server import FakeServer

T = TypeVar("T")
# The mix of ``--fault-rate`` without ``--faults``: a bad answer needs a payload, and a truncated
# HTTP body is opt-in.
DEFAULT_FAULTS = tuple(k for k in FAULT_KINDS if k not in ("bad_answer", "truncated_body"))


class FakeServerThread:
    """A ``FakeServer`` on its own event loop in a daemon thread, for synchronous callers::

        with FakeServerThread(FakeConfig(faults=FaultMix.uniform(0.3, DEFAULT_FAULTS))) as fake:
            ... fake.url ... fake.stats()["requests"]
    """

    def __init__(self, config: FakeConfig | None = None, *, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.server = FakeServer(config, host=host, port=port)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    def start(self, timeout: float = 10.0) -> FakeServerThread:
        self._thread = threading.Thread(target=self._run, name="fakeserver", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the fake server did not start")
        if self._error is not None:
            raise RuntimeError(f"the fake server did not start: {self._error}")
        return self

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self.server.start())
        except BaseException as exc:  # noqa: BLE001 - reported by start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            asyncio.set_event_loop(None)
            loop.close()

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run ``fn`` on the server's loop (its state is only touched there) and return its result."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the fake server is not running")
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                done.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return done.result(timeout)

    def stats(self) -> dict[str, Any]:
        return self.call(self.server.stats_dict)

    def reset(self) -> None:
        self.call(self.server.reset)

    def configure(self, **changes: Any) -> FakeConfig:
        def apply() -> FakeConfig:
            self.server.configure(self.server.config.with_changes(changes))
            return self.server.config

        return self.call(apply)

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self.server.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)

    def __enter__(self) -> FakeServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def config_from_args(args: argparse.Namespace) -> FakeConfig:
    if args.mix:
        mix = FaultMix.parse(args.mix)
    else:
        kinds = args.faults.split(",") if args.faults else list(DEFAULT_FAULTS)
        if args.bad_answer and not args.faults:
            kinds.append("bad_answer")
        mix = FaultMix.uniform(args.fault_rate, kinds)
    return FakeConfig(
        latency_ms=args.latency_ms, jitter_ms=args.jitter_ms, faults=mix, seed=args.seed,
        retry_after_s=args.retry_after, hang_s=args.hang_s,
        answer=json.loads(args.answer) if args.answer else {},
        bad_answer=json.loads(args.bad_answer) if args.bad_answer else None,
        rpm=args.rpm, tpm=args.tpm, rate_burst_s=args.rate_burst_s, batch_s=args.batch_s,
        dialect=args.dialect,
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m specwright.runtime.fakeserver",
        description="A fault-injecting fake OpenAI-compatible and Anthropic Messages server "
                    "(loopback only).")
    p.add_argument("--host", default="127.0.0.1", help="a loopback address")
    p.add_argument("--port", type=int, default=8100, help="0 picks a free port")
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--jitter-ms", type=float, default=0.0)
    p.add_argument("--fault-rate", type=float, default=0.0,
                   help="share of model requests that get a fault, split equally over --faults")
    p.add_argument("--faults", default="",
                   help=f"comma-separated kinds (default: {','.join(DEFAULT_FAULTS)}, plus "
                        "bad_answer when --bad-answer is given); aliases 429, 500, hang")
    p.add_argument("--mix", default="", help="explicit rates, e.g. 429=0.1,500=0.05,reset=0.02")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--retry-after", type=float, default=1.0, help="Retry-After of a 429, seconds")
    p.add_argument("--hang-s", type=float, default=300.0, help="how long a 'timeout' stays silent")
    p.add_argument("--answer", default="", help="JSON object merged into every valid answer")
    p.add_argument("--bad-answer", default="",
                   help="JSON object merged into the answer of a bad_answer fault")
    p.add_argument("--rpm", type=float, default=None,
                   help="requests a minute per model; over it: 429 with the vendor's headers")
    p.add_argument("--tpm", type=float, default=None, help="tokens a minute per model")
    p.add_argument("--rate-burst-s", type=float, default=1.0,
                   help="seconds' worth of a limit admitted at once")
    p.add_argument("--batch-s", type=float, default=0.0,
                   help="how long a batch (OpenAI Batch API, Anthropic Message Batches) runs")
    p.add_argument("--dialect", default="generic", choices=sorted(DIALECTS),
                   help="take requests as this real server does (where it reads the schema, "
                        "what it refuses); generic accepts every form")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        config = config_from_args(args)
        server = FakeServer(config, host=args.host, port=args.port)
    except ValueError as exc:
        print(f"fakeserver: {exc}", file=sys.stderr)
        return 2
    asyncio.run(_serve(server))
    return 0


async def _serve(server: FakeServer) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    print(f"fakeserver listening on {server.url}", flush=True)
    await stop.wait()
    await server.close()
    print(json.dumps(server.stats_dict()), flush=True)
