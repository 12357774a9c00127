"""Helpers of the reliability suite: projects wired to the fake model server, ``specwright serve``
in child processes on free loopback ports, concurrent load, and reading the execution log."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from specwright.runtime.config import Settings, load_settings
from specwright.runtime.logstore import open_store
from specwright.runtime.records import RunRecord
from specwright.runtime.testing.server import ServeProcess

REPO = Path(__file__).resolve().parents[2]
KEYS = {"FAKE_OPENAI_KEY": "sk-fake-openai-000000", "FAKE_ANTHROPIC_KEY": "sk-fake-ant-000000"}
# Small waits, so that faults cost little time; a request timeout far above any normal answer.
FAST_ROUTING = {
    "max_retries": 3, "max_repairs": 1, "backoff_base_s": 0.01, "backoff_max_s": 0.05,
    "retry_after_cap_s": 0.02, "request_timeout_s": 2.0, "deadline_s": 30.0,
    "cooldown_failures": 3, "cooldown_s": 0.5,
}
CARRIER_DOMESTIC = {"order_id": "R-1", "weight_kg": 1.2, "destination_country": "US",
                    "destination_region": "OR", "promised_days": 5, "declared_value": 40}
# USPS violates a guardrail for both of these: hazmat; international and worth $50 or more.
CARRIER_HAZMAT = {"order_id": "R-2", "weight_kg": 3.0, "destination_country": "US",
                  "promised_days": 2, "declared_value": 20, "hazmat": True}
CARRIER_ABROAD = {"order_id": "R-3", "weight_kg": 8.5, "destination_country": "DE",
                  "promised_days": 10, "declared_value": 300}
ORDER_OK = {"order_id": "A-1001", "order_total": 120.0, "item_count": 2,
            "shipping_country": "US", "payment_status": "authorized", "address_verified": True,
            "fraud_score": 5}


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def write_config(root: Path, fake_url: str, routing: Mapping[str, Any] | None = None,
                 extra: str = "") -> None:
    """``specwright.toml``: the built-in providers and a ``fake`` deployment on the fake server;
    ``extra`` holds top-level keys (``max_body_bytes = ...``)."""
    lines = [
        extra, "",
        "[deployments.openai]", 'kind = "openai"', f'base_url = "{fake_url}/v1"',
        'api_key_env = "FAKE_OPENAI_KEY"', "",
        "[deployments.anthropic]", 'kind = "anthropic"', f'base_url = "{fake_url}"',
        'api_key_env = "FAKE_ANTHROPIC_KEY"', "",
        "[deployments.fake]", 'kind = "openai-compatible"', f'base_url = "{fake_url}/v1"', "",
        "[routing]", *(f"{k} = {toml_value(v)}" for k, v in (routing or FAST_ROUTING).items()),
        "",
    ]
    (root / "specwright.toml").write_text("\n".join(lines), encoding="utf-8")


def make_project(root: Path, fake_url: str, specs: Iterable[str] = ("carrier-selection",),
                 routing: Mapping[str, Any] | None = None, extra: str = "") -> Path:
    """The repository's ``specs`` copied to ``root``, pointed at the fake server, compiled."""
    (root / "specs").mkdir(parents=True, exist_ok=True)
    for name in specs:
        shutil.copy(REPO / "specs" / f"{name}.md", root / "specs" / f"{name}.md")
    write_config(root, fake_url, routing, extra)
    compile_here(root)
    return root


def compile_here(root: Path) -> None:
    from specwright.runtime.project.compile_all import compile_project

    result = compile_project(root, load_settings(root, {}))
    errors = [str(d) for o in result.outcomes for d in o.errors]
    assert not errors, errors


class Server(ServeProcess):
    """``specwright serve`` with the fake provider keys and warnings-only logs."""

    def __init__(self, project: Path, *args: str, env: Mapping[str, str] | None = None) -> None:
        super().__init__(project, "--log-level", "warning", *args, env={**KEYS, **(env or {})})


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: Any

    @property
    def run_id(self) -> str | None:
        return self.headers.get("x-specwright-run-id")


async def post_all(url: str, bodies: Sequence[Any], *, concurrency: int,
                   timeout: float = 60.0) -> list[Answer]:
    """POST every body to ``url``, ``concurrency`` at a time; the answers in the bodies' order."""
    return await post_each([(url, body) for body in bodies], concurrency=concurrency,
                           timeout=timeout)


async def post_each(requests: Sequence[tuple[str, Any]], *, concurrency: int,
                    timeout: float = 60.0) -> list[Answer]:
    """POST every (url, body), ``concurrency`` at a time; the answers in the same order."""
    answers: list[Answer | None] = [None] * len(requests)
    next_index = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:

        async def worker() -> None:
            nonlocal next_index
            while next_index < len(requests):
                i = next_index
                next_index += 1
                url, body = requests[i]
                r = await client.post(url, json=body)
                try:
                    parsed = r.json()
                except ValueError:
                    parsed = r.text
                answers[i] = Answer(r.status_code, dict(r.headers), parsed)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return [a for a in answers if a is not None]


async def logged_runs(settings: Settings, root: Path, ids: Iterable[str]) -> dict[str, RunRecord]:
    """The runs with these ids found in the project's execution log."""
    found: dict[str, RunRecord] = {}
    async with open_store(settings, root) as store:
        for run_id in ids:
            run = await store.get(run_id)
            if run is not None:
                found[run_id] = run
    return found


def tracebacks(text: str) -> list[str]:
    return re.findall(r"Traceback \(most recent call last\):.*?(?:\n\S.*)", text, re.S)
