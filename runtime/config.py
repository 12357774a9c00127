"""Project configuration: ``specwright.toml`` or ``[tool.specwright]`` in ``pyproject.toml``.

Looked up in the project directory; ``specwright.toml`` wins when both exist. Environment
variables override the file for what differs per deployment (database URL, data directory).
Every field has a default, so a project with no configuration at all serves its specs.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from specwright.compiler.errors import ConfigError, Diagnostic
from specwright.compiler.frontmatter_cache import parse_duration
from specwright.compiler.ir import RoutingStrategy


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DefaultRoute(_Section):
    models: tuple[str, ...] = ()
    strategy: RoutingStrategy = "fallback"


class Deployment(_Section):
    """A named provider deployment, e.g. a local Ollama or vLLM server.

    Referenced from routes as ``<name>:<model>``, like a built-in provider.
    """

    kind: Literal["openai", "anthropic", "openai-compatible"] = "openai-compatible"
    base_url: str | None = None
    api_key_env: str | None = None  # variable holding the key; None: no key needed (local)
    # How the Output schema reaches the server (docs/models.md, "Servers"): OpenAI's
    # ``json_schema``; ``json_object`` (schema in the prompt only); ``json_object_schema``
    # (llama.cpp-family grammar: ``{"type": "json_object", "schema": ...}``); ``ollama_format``
    # (Ollama's top-level ``format``).
    structured: Literal[
        "json_schema", "json_object", "json_object_schema", "ollama_format"
    ] = "json_schema"
    context_window: int | None = None
    # Anthropic: mark the static part of the prompt as a cache breakpoint (docs/models.md,
    # "Prompt caching"); other kinds cache prefixes by themselves.
    prompt_cache: bool = True
    # Sampling sent with every request to this deployment, unless the spec sets its own.
    # Temperature defaults to 0 (decisions should be reproducible); ``max_tokens`` caps the bound
    # each request derives from its Output schema.
    temperature: float | None = Field(default=None, ge=0, le=2)
    seed: int | None = None
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: int | None = Field(default=None, gt=0)


class Price(_Section):
    """USD per million tokens."""

    input: float
    output: float
    cached: float | None = None
    cache_write: float | None = None  # a prompt-cache write (Anthropic); None: the input price


class RoutingSettings(_Section):
    max_retries: int = Field(default=3, ge=0, le=10)  # transport retries per model (429, 5xx, timeouts)
    max_repairs: int = Field(default=1, ge=0, le=5)  # re-asks of the same model after invalid output
    backoff_base_s: float = Field(default=0.25, gt=0)
    backoff_max_s: float = Field(default=8.0, gt=0)
    retry_after_cap_s: float = Field(default=30.0, gt=0)
    deadline_s: float = Field(default=60.0, gt=0)  # total time budget of one run across all attempts
    request_timeout_s: float = Field(default=30.0, gt=0)  # one attempt
    cooldown_failures: int = Field(default=3, ge=1)  # consecutive failures that open the breaker
    cooldown_s: float = Field(default=30.0, gt=0)


class Webhook(_Section):
    """Where a spec's review resolutions are sent (``docs/operations.md``, "Webhooks")."""

    url: str
    secret_env: str  # variable holding the signing secret (never written in the file)
    max_attempts: int = Field(default=12, ge=1, le=100)
    backoff_base_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=300.0, gt=0)
    timeout_s: float = Field(default=10.0, gt=0)


class BudgetLimit(_Section):
    """A daily budget (UTC days); None: no limit of that kind."""

    tokens_per_day: int | None = Field(default=None, gt=0)  # prompt + completion tokens
    cost_usd_per_day: float | None = Field(default=None, gt=0)


class BudgetSettings(_Section):
    """Budgets per spec and per API key (docs/models.md, "Budgets")."""

    specs: dict[str, BudgetLimit] = {}  # spec name -> its budget
    keys: dict[str, BudgetLimit] = {}  # API key id -> its budget
    per_key: BudgetLimit = BudgetLimit()  # every key without an entry of its own


class AnswerCacheSettings(_Section):
    """The answer cache (docs/models.md, "Answer cache"); specs opt in by front matter."""

    enabled: bool = True  # false: no spec is answered from the cache
    # spec name -> duration ("24h") for specs whose front matter does not say
    specs: dict[str, str] = {}

    @field_validator("specs")
    @classmethod
    def _durations(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if parse_duration(text) is None:
                raise ValueError(f"answer_cache.specs.{name}: {text!r} is not a duration such "
                                 "as 90s, 30m, 24h or 7d")
        return value


class Settings(_Section):
    specs_dir: str = "specs"
    generated_dir: str = "generated"
    data_dir: str = ".specwright"  # SQLite log database and cassettes live here
    database_url: str | None = None  # postgresql://... ; default: SQLite under data_dir
    # Where the log's commits run: a process of their own (no GIL shared with the event loop),
    # or a thread of the server (docs/execution-log.md, "Group commit").
    log_writer: Literal["process", "thread"] = "process"
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    # Log retention, applied by a running server at start and hourly (specwright.runtime.logstore.retention)
    # and by `specwright logs prune`: runs older than this many days, and the oldest runs while
    # the log uses more than this many bytes, are deleted. None: kept.
    log_retention_days: float | None = Field(default=None, gt=0)
    log_max_bytes: int | None = Field(default=None, gt=0)
    # Proxies (IP addresses or networks) whose X-Forwarded-For / X-Forwarded-Proto headers are
    # believed for the client's address (the access log, where a request comes from for auth).
    # Empty: no proxy is believed, not even one on loopback.
    trusted_proxies: tuple[str, ...] = ()
    # Keys are required even from loopback clients of a server started on loopback.
    require_api_keys: bool = False
    # Requests a minute each API key may make (per server process), unless the key has its own
    # limit (specwright keys create --rate N). 0: no limit.
    key_rate_per_minute: int = Field(default=0, ge=0)
    default_route: DefaultRoute = DefaultRoute()
    deployments: dict[str, Deployment] = {}
    prices: dict[str, Price] = {}  # "provider:model" -> price, overriding the shipped table
    routing: RoutingSettings = RoutingSettings()
    webhooks: dict[str, Webhook] = {}  # spec name -> where its review resolutions go
    budgets: BudgetSettings = BudgetSettings()
    answer_cache: AnswerCacheSettings = AnswerCacheSettings()

    def path(self, root: Path, value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else root / p


ENV_DATABASE_URL = "SPECWRIGHT_DATABASE_URL"
ENV_DATA_DIR = "SPECWRIGHT_DATA_DIR"


def load_settings(root: Path, env: dict[str, str] | None = None) -> Settings:
    """Read the project's configuration; raise ConfigError with the file and the bad key."""
    env = dict(os.environ) if env is None else env
    raw: dict[str, Any] = {}
    source = "defaults"
    toml_path = root / "specwright.toml"
    pyproject = root / "pyproject.toml"
    try:
        if toml_path.is_file():
            source = str(toml_path)
            raw = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        elif pyproject.is_file():
            source = str(pyproject)
            raw = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get(
                "specwright", {}
            )
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([Diagnostic(source, 1, 1, f"not valid TOML: {exc}")]) from None
    if env.get(ENV_DATABASE_URL):
        raw["database_url"] = env[ENV_DATABASE_URL]
    if env.get(ENV_DATA_DIR):
        raw["data_dir"] = env[ENV_DATA_DIR]
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        diags = [
            Diagnostic(
                source, 1, 1, f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
            )
            for err in exc.errors()
        ]
        raise ConfigError(diags) from None


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for forwarded headers: believed only from ``trusted_proxies``
    (uvicorn's own default believes any client on 127.0.0.1)."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": []}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}
