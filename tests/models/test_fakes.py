"""ScriptedModel (users' tests), MockModel (serve --mock) and cassettes (record/replay)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mdl_support import GOOD, SCHEMA, SECRET, FakeHTTP, chat, ok, request, settings

from specwright.compiler.ir import Route, RouteModel
from specwright.runtime.errors import (
    ModelsExhausted,
    ReplayMiss,
    ScriptExhausted,
    UnparseableOutput,
)
from specwright.runtime.models.base import Completion
from specwright.runtime.models.cassette import (
    Cassette,
    RecordingModel,
    ReplayModel,
    cassette_path,
    recorder,
    replayer,
)
from specwright.runtime.models.fake import ScriptedModel, no_sleep, rate_limited
from specwright.runtime.models.mock import MockModel, generate
from specwright.runtime.models.registry import ClientPool, build_route
from specwright.runtime.models.router import Router

# ------------------------------------------------------------------------------ ScriptedModel


async def test_scripted_model_plays_dicts_strings_exceptions_in_order() -> None:
    model = ScriptedModel([GOOD, f"```json\n{json.dumps(GOOD)}\n```", rate_limited(2.0), "nope"])
    assert (await model.complete(request())).data == GOOD
    assert (await model.complete(request())).data == GOOD
    with pytest.raises(Exception, match="rate limited"):
        await model.complete(request())
    with pytest.raises(UnparseableOutput):
        await model.complete(request())
    with pytest.raises(ScriptExhausted, match="request #5 but only 4"):
        await model.complete(request())
    assert len(model.requests) == 5 and model.remaining == 0


async def test_scripted_model_from_a_function_sync_or_async() -> None:
    async def answer(req: Any) -> dict[str, Any]:
        return {"carrier": "dhl", "reason": req.messages[-1].content}

    model = ScriptedModel(answer)
    assert (await model.complete(request())).data == {"carrier": "dhl", "reason": "Order A-1"}
    model2 = ScriptedModel(lambda req: Completion(data={"x": 1}, model="fake:c"))
    assert (await model2.complete(request())).model == "fake:c"


async def test_scripted_model_under_a_router() -> None:
    model = ScriptedModel([rate_limited(1.0), {"carrier": "nope", "reason": "x"}, GOOD])
    comp = await Router.of([model], sleep=no_sleep).complete(request())
    assert comp.data == GOOD
    assert [a.purpose for a in comp.attempts] == ["call", "retry", "repair"]
    assert comp.cost_usd == 0.0  # the fake provider is free


# -------------------------------------------------------------------------------- MockModel

RICH: dict[str, Any] = {
    "type": "object",
    "properties": {
        "carrier": {"type": "string", "enum": ["ups", "dhl"]},
        "code": {"type": "string", "pattern": "^[A-Z]{2}[0-9]{3}$"},
        "hard": {"type": "string", "pattern": "^(a|b)+x$", "minLength": 3},
        "short": {"type": "string", "minLength": 12, "maxLength": 14},
        "tiny": {"type": "string", "maxLength": 3},
        "when": {"type": "string", "format": "date"},
        "amount": {"type": "number", "exclusiveMinimum": 0, "maximum": 70},
        "count": {"type": "integer", "minimum": 1, "maximum": 14, "multipleOf": 2},
        "neg": {"type": "integer", "maximum": -5},
        "flag": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b", "c"]},
                 "minItems": 2, "uniqueItems": True},
        "note": {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}]},
        "where": {"$ref": "#/$defs/Loc"},
    },
    "required": ["carrier", "code"],
    "additionalProperties": False,
    "$defs": {"Loc": {"type": "object", "properties": {"zip": {"type": "string", "pattern": "^\\d{5}$"}},
                      "required": ["zip"], "additionalProperties": False}},
}


async def test_mock_generates_schema_valid_deterministic_values() -> None:
    model = MockModel()
    req = request(check=None)
    req = type(req)(messages=req.messages, output_schema=RICH, schema_name="x")
    comp = await model.complete(req)
    jsonschema.validate(comp.data, RICH)
    assert comp.mock and comp.cost_usd == 0.0 and comp.attempts[0].provider == "mock"
    assert comp.data["carrier"] == "ups" and comp.data["code"] == "AA000"
    assert comp.data == (await model.complete(req)).data


def test_generate_examples() -> None:
    assert generate({"type": "integer", "minimum": 3}, {}) == 3
    assert generate({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.5}, {}) == 0.25
    assert generate({"type": ["string", "null"], "minLength": 3}, {}, "n") == "mock n"
    assert generate({"const": 7}, {}) == 7


async def test_mock_answers_with_the_example_output_when_the_input_matches() -> None:
    model = MockModel(
        [({"order_id": "A-1", "weight_kg": 1.2}, {"carrier": "dhl", "service": "ground"})],
        input_defaults={"hazmat": False},
    )
    hit = request(check=None, metadata={"input": {"order_id": "A-1", "weight_kg": 1.2,
                                                  "hazmat": False, "region": None}})
    comp = await model.complete(hit)
    assert comp.data["carrier"] == "dhl" and "service" not in comp.data  # only schema fields
    assert comp.data["reason"].startswith("mock")
    miss = request(check=None, metadata={"input": {"order_id": "A-2", "weight_kg": 1.2}})
    assert (await model.complete(miss)).data["carrier"] == "ups"


async def test_mock_from_a_compiled_spec() -> None:
    from specwright.compiler import compile_spec

    root = Path(__file__).resolve().parents[2]
    compiled = compile_spec((root / "specs/carrier-selection.md").read_text(), "specs/carrier-selection.md")
    model = MockModel.from_spec(compiled)
    assert model.name == f"mock:{compiled.spec.name}"
    example = next(e for e in compiled.spec.examples if "carrier" in e.output)
    comp = await model.complete(request(check=None, metadata={"input": dict(example.input)}))
    assert comp.data["carrier"] == example.output["carrier"]
    jsonschema.validate(comp.data, SCHEMA)


# -------------------------------------------------------------------------------- cassettes


async def test_whole_route_record_then_replay(tmp_path: Path) -> None:
    path = cassette_path(tmp_path, "carrier-selection")
    assert path == tmp_path / "cassettes" / "carrier-selection.json"
    live = Router.of([ScriptedModel([{"carrier": "x", "reason": "1"}, GOOD], name="fake:a")],
                     sleep=no_sleep)
    recorded = await RecordingModel(live, path).complete(request())
    assert recorded.data == GOOD

    replay = ReplayModel(path)
    comp = await replay.complete(request())
    assert comp.data == GOOD and comp.model == "fake:a"
    assert comp.attempts[0].provider == "replay" and comp.cost_usd == 0.0

    changed = request()
    changed = type(changed)(messages=changed.messages[:1], output_schema=SCHEMA, schema_name="x",
                            spec="carrier-selection")
    with pytest.raises(ReplayMiss) as info:
        await replay.complete(changed)
    assert "specwright test carrier-selection --record" in str(info.value)
    assert info.value.status == 503


async def test_per_model_recording_under_the_router_with_keys_redacted(tmp_path: Path) -> None:
    fake = FakeHTTP([ok(chat(f"answer {SECRET} " + json.dumps(GOOD)))])
    pool = ClientPool(fake.client)
    cassette = Cassette(tmp_path)
    r = build_route(Route(models=(RouteModel(ref="openai:gpt-4.1-mini"),)), settings(),
                    {"OPENAI_API_KEY": SECRET}, pool=pool, wrap=recorder(cassette, [SECRET]))
    assert (await r.complete(request())).data == GOOD
    await pool.aclose()
    text = (tmp_path / "carrier-selection.json").read_text()
    assert SECRET not in text and "[redacted]" in text and "authorization" not in text.lower()
    (entry,) = json.loads(text)["entries"].values()
    assert entry["model"] == "openai:gpt-4.1-mini" and entry["usage"] == [100, 20, 0]

    # replay: no key, no HTTP; the same router logic on top
    replay_route = build_route(Route(models=(RouteModel(ref="openai:gpt-4.1-mini"),)), settings(),
                               {}, wrap=replayer(Cassette(tmp_path)))
    comp = await replay_route.complete(request())
    assert comp.data == GOOD and comp.usage.input_tokens == 100
    other = build_route(Route(models=(RouteModel(ref="openai:gpt-4o"),)), settings(), {},
                        wrap=replayer(Cassette(tmp_path)))
    with pytest.raises(ReplayMiss):  # keyed by the model too
        await other.complete(request())


async def test_unparseable_answers_are_recorded_and_replayed(tmp_path: Path) -> None:
    inner = ScriptedModel(["garbage", GOOD], name="fake:a")
    rec = RecordingModel(inner, tmp_path / "c.json", per_model=True)
    assert (await Router.of([rec], sleep=no_sleep).complete(request())).data == GOOD
    rep = ReplayModel(tmp_path / "c.json", name="fake:a", per_model=True)
    comp = await Router.of([rep], sleep=no_sleep).complete(request())
    assert comp.data == GOOD and [a.purpose for a in comp.attempts] == ["call", "repair"]


async def test_replay_of_a_failing_route_is_exhausted_not_recorded(tmp_path: Path) -> None:
    live = Router.of([ScriptedModel([{"carrier": "usps", "reason": "x"}] * 2, name="fake:a")],
                     sleep=no_sleep)
    with pytest.raises(ModelsExhausted):
        await RecordingModel(live, tmp_path / "c.json").complete(request())
    assert not (tmp_path / "c.json").exists()
