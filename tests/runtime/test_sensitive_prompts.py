"""Sensitive values never leave the process in a prompt (issue "Trust", item 1).

Every spec of ``specs/`` is compiled with every text input field (top level and nested) marked
``sensitive`` beside the fields the specs mark themselves (product-moderation's seller e-mail),
and served against the fake model server on loopback, which keeps every request body it gets.
A seeded share of its answers do not fit the schema, so repair asks are captured too. Every
example of every spec is sent: the captured prompts hold no sensitive value, and say which
fields were withheld.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rt_support import REPO, ScriptedStandIn, logged, running, write_revision

from specwright.compiler import compile_spec
from specwright.compiler.ir import CompiledSpec, Field, FieldType
from specwright.runtime.config import Deployment, RoutingSettings, Settings
from specwright.runtime.engine.sensitive import WITHHELD, scrub_echoes, sensitive_values
from specwright.runtime.fakeserver import FakeConfig, FakeServer, FaultMix
from specwright.runtime.http.app import create_app

SPECS = sorted(REPO.glob("specs/*.md"))


def _mark(t: FieldType) -> FieldType:
    if t.kind == "object":
        return t.model_copy(update={"fields": tuple(_mark_field(f) for f in t.fields)})
    if t.kind == "list" and t.items is not None:
        return t.model_copy(update={"items": _mark(t.items)})
    return t


def _mark_field(f: Field) -> Field:
    if f.type.kind == "text":
        return f.model_copy(update={"sensitive": True})
    return f.model_copy(update={"type": _mark(f.type)})


def every_text_input_sensitive(compiled: CompiledSpec) -> CompiledSpec:
    spec = compiled.spec.model_copy(
        update={"inputs": tuple(_mark_field(f) for f in compiled.spec.inputs)})
    return compiled.model_copy(update={"spec": spec})


def _secrets(compiled: CompiledSpec, data: dict[str, Any]) -> list[str]:
    return [v for v in sensitive_values(compiled.spec.inputs, data)
            if isinstance(v, str) and len(v) >= 3]


def _asked(body: bytes) -> list[str]:
    """The texts of a captured request that carry data: every message but the system prompt."""
    request = json.loads(body)
    return [json.dumps(m.get("content"), ensure_ascii=False)
            for m in request.get("messages", []) if m.get("role") != "system"]


@pytest.fixture
def sensitive_project(tmp_path: Path) -> tuple[Path, dict[str, CompiledSpec]]:
    compiled = {}
    for path in SPECS:
        marked = every_text_input_sensitive(compile_spec(path.read_text(), f"specs/{path.name}"))
        write_revision(tmp_path / "generated", marked, 1, 1)
        compiled[marked.spec.name] = marked
    (tmp_path / "specs").mkdir()
    return tmp_path, compiled


async def test_captured_prompts_over_every_example_hold_no_sensitive_value(
    sensitive_project: tuple[Path, dict[str, CompiledSpec]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, compiled = sensitive_project
    monkeypatch.setenv("FAKE_KEY", "sk-fake-000")
    faults = FaultMix({"schema_invalid": 0.5})
    async with FakeServer(FakeConfig(faults=faults, seed=7), capture=True) as fake:
        settings = Settings(
            deployments={
                "openai": Deployment(kind="openai", base_url=f"{fake.url}/v1",
                                     api_key_env="FAKE_KEY"),
                "anthropic": Deployment(kind="anthropic", base_url=fake.url,
                                        api_key_env="FAKE_KEY"),
            },
            routing=RoutingSettings(max_repairs=2, backoff_base_s=0.01, backoff_max_s=0.02),
        )
        app = create_app(settings, root)
        sent: list[tuple[str, dict[str, Any]]] = []
        async with running(app) as c:
            for name, spec in compiled.items():
                for example in spec.spec.examples:
                    r = await c.post(f"/specs/{name}/v1", json=example.input)
                    assert r.status_code < 500 or r.status_code == 502, r.text
                    sent.append((name, example.input))
        captured = fake.captured or []
    model_backed = [n for n, s in compiled.items() if s.model_decided]
    assert model_backed and "product-moderation" in model_backed
    secrets = {s for name, data in sent for s in _secrets(compiled[name], data)}
    assert len(secrets) >= 20  # e-mails, ids, titles, descriptions, notes...
    texts = [t for body in captured for t in _asked(body)]
    repairs = sum(1 for body in captured if len(json.loads(body).get("messages", [])) > 2)
    assert len(captured) >= len([n for n, _ in sent if n in model_backed]) and repairs > 0
    leaked = sorted({s for s in secrets for t in texts if s in t})
    assert leaked == [], f"{len(leaked)} sensitive values reached the model: {leaked[:5]}"
    assert all(WITHHELD in body.decode() and "Withheld fields:" in body.decode()
               for body in captured)


async def test_a_sensitive_value_the_model_echoes_is_redacted_in_the_log_only(
    make_app: Any,
) -> None:
    from rt_support import SHIPPING_INPUT

    email = "ann.smith@example.com"
    model = ScriptedStandIn([{"carrier": "ups", "reason": f"mail {email} about it"}])
    app = make_app(model_factory=lambda rev: model)
    async with running(app) as c:
        r = await c.post("/specs/shipping/v1", json=SHIPPING_INPUT | {"email": email})
        assert r.status_code == 200, r.text
        assert email in r.json()["reason"]  # the caller's own answer: as the model gave it
        run = await logged(app, r.headers["X-Specwright-Run-Id"])
        assert run.output is not None and run.output["reason"] == "mail [redacted] about it"
        assert email not in (await c.get(f"/runs/{run.id}")).text
    prompt = "".join(m.content for m in model.requests[0].messages)
    assert email not in prompt and '"email":"[withheld]"' in prompt.replace(" ", "")
    assert "Withheld fields: email, payment.card_number." in prompt


def test_echo_scrubbing_finds_texts_and_numbers_but_not_short_words() -> None:
    out = {"a": "to 4111111111111111 now", "b": ["x", {"c": 4111111111111111}], "d": "US"}
    scrubbed = scrub_echoes(out, ["4111111111111111", 4111111111111111, "US"])
    assert scrubbed == {"a": "to [redacted] now", "b": ["x", {"c": "[redacted]"}], "d": "US"}
    same = {"a": "nothing"}
    assert scrub_echoes(same, ["secret"]) is same
