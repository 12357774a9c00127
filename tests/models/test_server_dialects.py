"""Every row of docs/models.md's server table, on the wire: our adapters send a real request
over HTTP to the fake server taking it as that server does (runtime/fakeserver/dialects.py),
and the server must receive the schema where it reads one (its grammar), the sampling settings
it applies and the token bound it honours. A request shaped for another server fails here.

Only llama-cpp-python's server also runs for real (tests/realmodel/); the other rows are
emulated from each server's own request parsing, which the dialects module documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from mdl_support import SCHEMA, request, settings

from specwright.runtime.errors import ModelsExhausted
from specwright.runtime.fakeserver import FakeConfig, FakeServer
from specwright.runtime.fakeserver.dialects import Taken
from specwright.runtime.models.fake import no_sleep
from specwright.runtime.models.lowering import lower
from specwright.runtime.models.registry import ClientPool, build_model
from specwright.runtime.models.router import Router

KEYS = {"OPENAI_API_KEY": "sk-fake-0000", "ANTHROPIC_API_KEY": "sk-fake-0000"}
SAMPLING = {"temperature": 0.0, "seed": 7, "top_p": 0.9}


def _deployment(kind: str, url: str, structured: str | None) -> dict[str, Any]:
    base = url if kind == "anthropic" else f"{url}/v1"
    dep: dict[str, Any] = {"kind": kind, "base_url": base, "seed": 7, "top_p": 0.9}
    if kind != "openai-compatible":
        dep["api_key_env"] = f"{kind.upper()}_API_KEY"
    if structured is not None:
        dep["structured"] = structured
    return dep


async def _send(dialect: str, kind: str, structured: str | None, ref: str) -> tuple[Any, Taken]:
    async with FakeServer(FakeConfig(dialect=dialect), capture=True) as fake:
        provider = ref.split(":", 1)[0]
        config = settings(deployments={provider: _deployment(kind, fake.url, structured)},
                          routing={"max_retries": 2, "backoff_base_s": 0.001})
        pool = ClientPool()
        try:
            model = build_model(ref, config, KEYS, pool=pool)
            router = Router.of([model], settings=config.routing, sleep=no_sleep)
            completion = await router.complete(request())
        finally:
            await pool.aclose()
        assert fake.taken is not None and len(fake.taken) == 1  # one request, nothing retried
        return completion, fake.taken[0]


# row, dialect, deployment kind, structured, ref, the lowering whose schema the grammar gets,
# the sampling the server applies
ROWS: list[tuple[str, str, str, str | None, str, str | None, Mapping[str, Any]]] = [
    ("OpenAI", "openai", "openai", None, "openai:gpt-4.1-mini", "openai", SAMPLING),
    ("Anthropic", "anthropic", "anthropic", None, "anthropic:claude-haiku-4-5", "anthropic", {}),
    ("vLLM", "vllm", "openai-compatible", "json_schema", "local:qwen", "compat", SAMPLING),
    ("llama-server json_schema", "llama-server", "openai-compatible", "json_schema",
     "local:qwen", "compat", SAMPLING),
    ("llama-server json_object_schema", "llama-server", "openai-compatible",
     "json_object_schema", "local:qwen", "compat", SAMPLING),
    ("llama-cpp-python", "llama-cpp-python", "openai-compatible", "json_object_schema",
     "local:smollm2", "compat", SAMPLING),
    ("Ollama json_schema", "ollama", "openai-compatible", "json_schema", "local:llama3.1",
     "compat", SAMPLING),
    ("Ollama ollama_format", "ollama", "openai-compatible", "ollama_format", "local:llama3.1",
     "compat", SAMPLING),
    ("any other: json_object on vLLM", "vllm", "openai-compatible", "json_object", "local:m",
     None, SAMPLING),
    ("any other: json_object on Ollama", "ollama", "openai-compatible", "json_object",
     "local:m", None, SAMPLING),
]


@pytest.mark.parametrize(("row", "dialect", "kind", "structured", "ref", "lowering", "sampling"),
                         ROWS, ids=[r[0] for r in ROWS])
async def test_each_server_receives_the_schema_sampling_and_bound_where_it_reads_them(
    row: str, dialect: str, kind: str, structured: str | None, ref: str, lowering: str | None,
    sampling: Mapping[str, Any],
) -> None:
    completion, taken = await _send(dialect, kind, structured, ref)
    if lowering is None:  # "some JSON": the schema only in the prompt
        assert taken.schema is None and taken.json_only, row
    else:
        assert taken.schema == lower(SCHEMA, lowering).schema, row  # type: ignore[arg-type]
    assert dict(taken.sampling) == dict(sampling), row
    assert isinstance(taken.max_tokens, int) and taken.max_tokens >= 64, row
    assert completion.data["carrier"] in ("ups", "fedex", "usps", "dhl")


# A request shaped for another server: refused, or its schema silently not enforced.
async def test_json_schema_sent_to_llama_cpp_python_is_refused_with_a_500_not_retried() -> None:
    with pytest.raises(ModelsExhausted) as info:
        await _send("llama-cpp-python", "openai-compatible", "json_schema", "local:smollm2")
    assert info.value.failures[0].kind == "rejected"


@pytest.mark.parametrize("dialect", ["vllm", "ollama"])
async def test_the_llama_cpp_form_reaches_no_grammar_on_vllm_or_ollama(dialect: str) -> None:
    _, taken = await _send(dialect, "openai-compatible", "json_object_schema", "local:m")
    assert taken.schema is None  # the grammar form of one server is "some JSON" on another


async def test_a_compat_form_sent_to_openai_itself_is_a_400() -> None:
    with pytest.raises(ModelsExhausted) as info:
        await _send("openai", "openai-compatible", "json_object_schema", "openai:gpt-4.1-mini")
    assert info.value.failures[0].kind == "rejected"


def test_an_ollama_top_level_format_is_ignored_by_its_openai_endpoint() -> None:
    from specwright.runtime.fakeserver.dialects import take

    taken = take("ollama", {"model": "m", "messages": [], "format": {"type": "object"}})
    assert isinstance(taken, Taken) and taken.schema is None


def test_an_unknown_dialect_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="llama-cpp-python"):
        FakeConfig(dialect="tgi")
