"""Record real provider exchanges once; replay them in CI without a key or a network.

A project keeps one cassette file per spec, ``cassettes/<spec>.json`` (``cassette_path``). Each
entry is keyed by the sha256 of the rendered request: the messages, the schema (as lowered for
the model's provider) and, for per-model recordings, the model ref. Entries hold the answer
(parsed data and raw text), the usage and the request's messages for review; never headers or
keys (these models sit above the SDK, and the values of configured keys are redacted from every
recorded string as well).

Two ways to use them:

* every attempt of a route (what ``specwright test --record`` does):
  ``build_route(..., wrap=attempt_recorder(path))`` records each answer the router got, repairs
  and rejected answers too, keyed by the request alone; ``wrap=attempt_replayer(path)`` replays
  them under the real router, so a recorded failure replays as the same failure.
  ``RecordingModel(router, path)`` / ``ReplayModel(path)`` record and replay a route's final
  answers only (same keys).
* per model, under the real router (its retries, repairs and fallbacks run unchanged):
  ``build_route(..., wrap=recorder(cassette, secrets))`` and
  ``build_route(..., wrap=replayer(cassette))``.

A replay miss raises ``ReplayMiss`` naming the command that records it; the router never falls
back past a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from specwright.runtime.errors import ReplayMiss, UnparseableOutput
from specwright.runtime.models.base import Completion, Model, ModelRequest, Usage
from specwright.runtime.models.lowering import Dialect, lower
from specwright.runtime.records import Attempt

__all__ = [
    "Cassette", "RecordingModel", "ReplayModel", "attempt_recorder", "attempt_replayer",
    "cassette_path", "recorder", "replayer", "request_key",
]

FORMAT_VERSION = 1
DEFAULT_RECORD_COMMAND = "specwright test {spec} --record"


def cassette_path(project_root: Path | str, spec: str) -> Path:
    """Where a project keeps a spec's recordings: ``<project>/cassettes/<spec>.json`` (committed)."""
    return Path(project_root) / "cassettes" / f"{_safe(spec)}.json"


def _safe(spec: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", spec or "default")


class Cassette:
    """Cassette files: one per spec under ``directory``, or one ``file`` for whatever spec.

    Loaded lazily, written atomically, sorted and indented so that diffs are reviewable.
    """

    def __init__(self, directory: Path | str, *, file: Path | str | None = None) -> None:
        self.directory = Path(directory)
        self.file = Path(file) if file is not None else None
        self._loaded: dict[str, dict[str, Any]] = {}

    @classmethod
    def open(cls, where: Cassette | Path | str) -> Cassette:
        """A ``Cassette`` as is; a ``*.json`` path as a single file; any other path as a directory."""
        if isinstance(where, Cassette):
            return where
        path = Path(where)
        return cls(path.parent, file=path) if path.suffix == ".json" else cls(path)

    def path(self, spec: str) -> Path:
        return self.file if self.file is not None else self.directory / f"{_safe(spec)}.json"

    def entries(self, spec: str) -> dict[str, Any]:
        if spec not in self._loaded:
            path = self.path(spec)
            raw = json.loads(path.read_text("utf-8")) if path.is_file() else {}
            self._loaded[spec] = dict(raw.get("entries", {}))
        return self._loaded[spec]

    def get(self, spec: str, key: str) -> dict[str, Any] | None:
        return self.entries(spec).get(key)

    def put(self, spec: str, key: str, entry: dict[str, Any]) -> None:
        entries = self.entries(spec)
        entries[key] = entry
        path = self.path(spec)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"version": FORMAT_VERSION, "spec": spec, "entries": entries},
                          indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)


def _schema(request: ModelRequest, dialect: Dialect | None) -> dict[str, Any]:
    return lower(request.output_schema, dialect).schema if dialect else request.output_schema


def request_key(request: ModelRequest, model: str | None, dialect: Dialect | None) -> str:
    """sha256 of the rendered request: messages, schema (lowered for ``dialect``), model.

    ``model`` is None for a recording of a whole route (the answer of whichever model served it).
    """
    payload = {
        "model": model,
        "messages": [[m.role, m.content] for m in request.messages],
        "schema": _schema(request, dialect),
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _redact(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, "[redacted]")
        return value
    if isinstance(value, dict):
        return {k: _redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, secrets) for v in value]
    return value


class RecordingModel:
    """Wraps a model (a provider, or a whole route) and writes every answer to the cassette.

    ``per_model=True`` (what ``recorder`` uses) keys entries by the model too, for replaying each
    model of a route under the real router; the default records a whole route's final answers.
    """

    def __init__(
        self, inner: Model, cassette: Cassette | Path | str, *, secrets: Iterable[str] = (),
        per_model: bool = False,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        # Entries of a route recording are keyed by the canonical schema (dialect None), so
        # that whichever model of the route replays them finds them.
        self.dialect: Dialect | None = getattr(inner, "dialect", None) if per_model else None
        self.cassette = Cassette.open(cassette)
        self.per_model = per_model
        self._secrets = tuple(s for s in secrets if s and len(s) >= 4)

    async def complete(self, request: ModelRequest) -> Completion:
        key = request_key(request, self.name if self.per_model else None, self.dialect)
        try:
            comp = await self.inner.complete(request)
        except UnparseableOutput as exc:  # recorded too: replay must reproduce the repair
            self._put(request, key, None, exc.text, exc.usage, exc.message, self.name)
            raise
        self._put(request, key, comp.data, comp.text, comp.usage, None, comp.model or self.name)
        return comp

    def _put(
        self, request: ModelRequest, key: str, data: dict[str, Any] | None, text: str,
        usage: Usage, error: str | None, model: str,
    ) -> None:
        entry = {
            "model": model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "data": data, "text": text, "error": error,
            "usage": [usage.input_tokens, usage.output_tokens, usage.cached_tokens],
        }
        self.cassette.put(request.spec, key, _redact(entry, self._secrets))


class ReplayModel:
    """Answers from the cassette only; a request it has no recording for raises ReplayMiss.

    ``ReplayModel(cassette_path(root, spec))`` replays a whole route's recordings;
    ``replayer`` builds per-model replays (``per_model=True``, ``name`` = the model ref).
    """

    def __init__(
        self, cassette: Cassette | Path | str, *, name: str = "replay", dialect: Dialect | None = None,
        per_model: bool = False, record_command: str = DEFAULT_RECORD_COMMAND,
    ) -> None:
        self.name = name
        self.dialect = dialect
        self.cassette = Cassette.open(cassette)
        self.per_model = per_model
        self.record_command = record_command

    async def complete(self, request: ModelRequest) -> Completion:
        started = time.time()
        key = request_key(request, self.name if self.per_model else None, self.dialect)
        entry = self.cassette.get(request.spec, key)
        if entry is None:
            path = self.cassette.path(request.spec)
            command = self.record_command.format(spec=request.spec or "default")
            raise ReplayMiss(
                f"no recorded answer for this request of {request.spec or 'default'} in {path}"
                f" (the prompt, the schema or the model changed?): record it with `{command}`",
                details={"spec": request.spec, "model": self.name, "key": key, "file": str(path)},
            )
        usage = Usage(*entry.get("usage", (0, 0, 0)))
        if entry.get("data") is None:
            raise UnparseableOutput(entry.get("error") or "unparseable answer",
                                    text=entry.get("text", ""), usage=usage)
        model = str(entry.get("model") or self.name)
        attempt = Attempt(
            provider="replay", model=model, purpose="call", started_at=started, latency_ms=0.0,
            status="ok", input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
            cached_tokens=usage.cached_tokens, cost_usd=0.0,
        )
        return Completion(data=dict(entry["data"]), model=model, text=entry.get("text", ""),
                          usage=usage, cost_usd=0.0, attempts=(attempt,))


def recorder(cassette: Cassette, secrets: Iterable[str] = ()) -> Callable[[str, Model], Model]:
    """A ``wrap`` for ``build_route`` that records every model of the route."""
    kept = tuple(secrets)
    return lambda ref, model: RecordingModel(model, cassette, secrets=kept, per_model=True)


def attempt_recorder(
    cassette: Cassette | Path | str, secrets: Iterable[str] = ()
) -> Callable[[str, Model], Model]:
    """A ``wrap`` for ``build_route`` that records every attempt of every model of the route,
    keyed by the request alone (not the model): what ``specwright test --record`` writes.

    Every answer the router got is kept, the rejected ones and the repairs' too, so a replay
    under the real router (``attempt_replayer``) takes the same path and reaches the same
    verdict, a failure included (a recording of the final answer alone has nothing to replay
    for a run that failed).
    """
    kept = tuple(secrets)
    opened = Cassette.open(cassette)
    return lambda ref, model: RecordingModel(model, opened, secrets=kept)


def attempt_replayer(
    cassette: Cassette | Path | str, record_command: str = DEFAULT_RECORD_COMMAND
) -> Callable[[str, Model], Model]:
    """A ``wrap`` for ``build_route`` replaying ``attempt_recorder``'s recordings: each model of
    the route answers from the cassette, whichever model recorded the answer."""
    opened = Cassette.open(cassette)
    return lambda ref, model: ReplayModel(opened, name=ref, record_command=record_command)


def replayer(
    cassette: Cassette, record_command: str = DEFAULT_RECORD_COMMAND
) -> Callable[[str, Model], Model]:
    """A ``wrap`` for ``build_route`` that replaces every model of the route by its recordings."""
    return lambda ref, model: ReplayModel(
        cassette, name=ref, dialect=getattr(model, "dialect", None), per_model=True,
        record_command=record_command)
