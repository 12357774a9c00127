"""The answer cache: an identical input to the same revision gets the recorded answer again,
without a model call, for as long as the spec allows (opt-in, ``answer cache: 24h``).

How long: the spec's front matter (``compiler/frontmatter_cache.py``; ``never`` forbids it),
else ``[answer_cache.specs]`` of the deployment; ``[answer_cache] enabled = false`` turns it off
for every spec. Never for a spec with sensitive fields (the compiler refuses the front matter;
a deployment entry for such a spec is ignored with a warning), never for a mock run, and only an
answer whose run was ``ok`` is recorded (an invalid input, a failed model or guardrail, an
escalation is not).

The key is the SHA-256 of the spec's name, the revision and the validated input as canonical
JSON (keys sorted, defaults filled in), so a new revision never gets an older revision's answer.
Entries live in the log database, which every replica shares (``logstore/cost_db.py``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from specwright.compiler.frontmatter_cache import parse_duration
from specwright.runtime.config import AnswerCacheSettings
from specwright.runtime.engine.catalog import LoadedRevision
from specwright.runtime.logstore.cost_db import CachedAnswer, CostLog

log = logging.getLogger("specwright.answer_cache")


def cache_key(revision: LoadedRevision, input_json: dict[str, Any]) -> str:
    text = json.dumps(input_json, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(
        f"{revision.name}\n{revision.revision}\n{text}".encode()).hexdigest()


class AnswerCache:
    def __init__(self, settings: AnswerCacheSettings, log_db: CostLog,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings, self.db, self.clock = settings, log_db, clock
        self._warned: set[str] = set()

    def ttl_s(self, revision: LoadedRevision) -> int | None:
        """Seconds an answer of ``revision`` is served again; None: never."""
        if not self.settings.enabled:
            return None
        seconds = revision.compiled.spec.route.answer_cache_s
        if seconds is None:
            text = self.settings.specs.get(revision.name)
            seconds = parse_duration(text) if text else None
        if not seconds:
            return None
        if revision.plan.input_sensitive or revision.plan.output_sensitive:
            if revision.name not in self._warned:
                self._warned.add(revision.name)
                log.warning("%s has sensitive fields: its answers are never cached (remove it "
                            "from [answer_cache.specs])", revision.name)
            return None
        return seconds

    async def lookup(self, revision: LoadedRevision,
                     input_json: dict[str, Any]) -> CachedAnswer | None:
        return await self.db.answer(cache_key(revision, input_json), self.clock())

    async def remember(self, revision: LoadedRevision, input_json: dict[str, Any], run_id: str,
                       model: str | None, output: dict[str, Any], ttl_s: int) -> None:
        now = self.clock()
        entry = CachedAnswer(run_id, model, json.dumps(output, ensure_ascii=False), now,
                             now + ttl_s)
        await self.db.remember(cache_key(revision, input_json), revision.name,
                               revision.revision, entry)
