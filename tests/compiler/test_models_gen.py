"""IR -> models.py: importable, strict where the schema is, money as Decimal."""

from __future__ import annotations

import datetime
import itertools
import json
import sys
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from specwright.compiler.ir import CompiledSpec
from specwright.compiler.models_gen import models_source, python_name

_ids = itertools.count()


def load(source: str) -> ModuleType:
    name = f"specwright_test_models_{next(_ids)}"
    module = ModuleType(name)
    sys.modules[name] = module
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


@pytest.fixture
def mod(full: CompiledSpec) -> ModuleType:
    return load(models_source(full, 1))


def valid_input(full: CompiledSpec) -> dict[str, Any]:
    return dict(full.spec.examples[0].input)


def rejects(model: type[BaseModel], data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as info:
        model.model_validate_json(json.dumps(data))
    return [e["msg"] for e in info.value.errors()]


def test_header_and_classes(full: CompiledSpec, mod: ModuleType) -> None:
    src = models_source(full, 1)
    assert src.startswith("# carrier-selection: Carrier selection, contract v1\n")
    assert "Do not edit" in src and "specs/carrier-selection.md" in src
    assert "r1" not in src.replace("rr", "")  # the revision number is not embedded
    for name in ("Input", "Output", "LineItem", "Address"):
        cls = getattr(mod, name)
        assert issubclass(cls, BaseModel) and cls.model_config["extra"] == "forbid"
    assert mod.Input.model_config["title"] == "CarrierSelectionInputV1"
    assert mod.Address.model_config["title"] == "CarrierSelectionAddressV1"
    assert load(models_source(full, 3)).Output.model_config["title"] == "CarrierSelectionOutputV3"


def test_valid_input_round_trips(full: CompiledSpec, mod: ModuleType) -> None:
    m = mod.Input.model_validate_json(json.dumps(valid_input(full)))
    assert m.hazmat is False and m.priority == 3 and m.region is None
    assert m.declared_value == Decimal("40") and m.lines[0].unit_price == Decimal("9.99")
    assert m.ordered_at.tzinfo is not None
    dumped = json.loads(m.model_dump_json())
    assert dumped["lines"][0]["unit_price"] == 9.99 and dumped["declared_value"] == 40


def test_money(full: CompiledSpec, mod: ModuleType) -> None:
    base = valid_input(full)
    ok = mod.Input.model_validate_json(json.dumps({**base, "declared_value": 0.07}))
    assert ok.declared_value == Decimal("0.07")
    assert '"declared_value":0.07' in ok.model_dump_json()
    assert mod.Input.model_validate({**base, "declared_value": "12.50"}).declared_value == Decimal(
        "12.50")
    msgs = rejects(mod.Input, {**base, "declared_value": 0.123})
    assert msgs == ["Decimal input should have no more than 2 decimal places"]
    assert rejects(mod.Input, {**base, "declared_value": -0.01})
    assert rejects(mod.Input, {**base, "declared_value": "NaN"})
    assert rejects(mod.Input, {**base, "declared_value": True})
    # exact bounds: gt -100 / lt 100.5 compared as decimals
    assert mod.Input.model_validate({**base, "discount": 100.49}).discount == Decimal("100.49")
    assert rejects(mod.Input, {**base, "discount": 100.5})
    prop = mod.Input.model_json_schema()["properties"]["declared_value"]
    assert prop["type"] == "number" and prop["minimum"] == 0
    assert prop["x-specwright-type"] == "money"


@pytest.mark.parametrize(
    ("field", "value"),
    [("promised_days", "5"), ("promised_days", True), ("promised_days", 5.5),
     ("hazmat", "yes"), ("hazmat", 1), ("weight_kg", "1.5"), ("weight_kg", True),
     ("order_id", 5), ("channel", "WEB"), ("ordered_at", "2024-05-01T10:00:00"),
     ("ship_on", "2024-13-01"), ("order_id", ""), ("weight_kg", 0), ("hazmat", None),
     ("order_id", None), ("lines", []), ("tags", ["x" * 11])],
)
def test_strict_scalars_reject(full: CompiledSpec, mod: ModuleType, field: str, value: Any) -> None:
    assert rejects(mod.Input, {**valid_input(full), field: value})


def test_lenient_where_the_schema_is(full: CompiledSpec, mod: ModuleType) -> None:
    base = valid_input(full)
    m = mod.Input.model_validate_json(json.dumps({**base, "promised_days": 5.0, "weight_kg": 3,
                                                  "region": None, "ship_on": "2024-02-29"}))
    assert m.promised_days == 5 and isinstance(m.promised_days, int) and m.weight_kg == 3.0
    assert m.ship_on == datetime.date(2024, 2, 29)
    assert rejects(mod.Input, {**base, "extra": 1}) == ["Extra inputs are not permitted"]


def test_keyword_and_shadowing_names_use_aliases(full: CompiledSpec, mod: ModuleType) -> None:
    assert python_name("from") == "from_" and python_name("schema") == "schema_"
    assert python_name("order_id") == "" and python_name("model_name") == ""
    m = mod.Input.model_validate({**valid_input(full), "from": "x", "schema": 1.5})
    assert m.from_ == "x"
    dumped = m.model_dump(mode="json", by_alias=True)
    assert dumped["from"] == "x" and dumped["schema"] == 1.5
    assert "from" in mod.Input.model_json_schema()["properties"]


def test_nested_and_output(mod: ModuleType) -> None:
    out = mod.Output.model_validate({"carrier": "dhl", "service": "ground", "insured": False,
                                     "reason": "ok", "refund": 1.5, "eta": None})
    assert out.refund == Decimal("1.5")
    assert json.loads(out.model_dump_json())["refund"] == 1.5
    with pytest.raises(ValidationError):
        mod.Output.model_validate({"carrier": "ontrac", "service": "ground", "insured": False,
                                   "reason": "ok"})
    with pytest.raises(ValidationError):
        mod.Address.model_validate({"street": "x", "country": "USA"})


def test_pydantic_schema_generates_cleanly(mod: ModuleType) -> None:
    for cls in (mod.Input, mod.Output):
        s = cls.model_json_schema()
        assert s["title"].startswith("CarrierSelection") and s["additionalProperties"] is False
    assert mod.Input.model_json_schema()["properties"]["promised_days"] == {
        "maximum": 14, "minimum": 1, "title": "Promised Days", "type": "integer"}
