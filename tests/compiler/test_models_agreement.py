"""models.py and the JSON Schemas accept the same documents.

* schema-valid => Pydantic-valid, for instances generated from the schema by hypothesis-jsonschema
  (money restricted to at most 2 decimals: the one rule the schema cannot express);
* Pydantic-invalid => schema-invalid for mutations of valid instances (wrong types, nulls, extra
  and missing keys, out-of-range values), except more than 2 decimals on money;
* Pydantic-valid => schema-valid except the documented leniency: money from a numeric string.
"""

from __future__ import annotations

import copy
import datetime
import functools
import importlib.util
import itertools
import json
import math
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from pydantic import BaseModel, ValidationError

from specwright.compiler.ir import CompiledSpec
from specwright.compiler.models_gen import models_source
from specwright.compiler.schema import direction_schema
from specwright.runtime.testing.schema_validation import validator_for

SPECS = Path(__file__).resolve().parents[2] / "specs"
_ids = itertools.count()
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time")  # type: ignore[misc]
def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.fullmatch(value):
        return False
    datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def _conftest() -> ModuleType:
    """The sibling conftest (hand-built IR), imported by path: test dirs are not packages."""
    name = "specwright_tests_compiler_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("conftest.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@functools.lru_cache(maxsize=1)
def _specs() -> tuple[tuple[str, CompiledSpec], ...]:
    from specwright.compiler import compile_spec

    out = [("full", _conftest().full_spec())]
    for path in sorted(SPECS.glob("*.md")):
        out.append((path.stem, compile_spec(path.read_text(encoding="utf-8"),
                                            f"specs/{path.name}")))
    return tuple(out)


def compiled_specs() -> list[tuple[str, CompiledSpec]]:
    return list(_specs())


CASES = [(name, c, d) for name, c in compiled_specs() for d in ("input", "output")]


@functools.cache
def loaded(name: str) -> ModuleType:
    c = dict(compiled_specs())[name]
    mod = ModuleType(f"specwright_agreement_{name.replace('-', '_')}_{next(_ids)}")
    sys.modules[mod.__name__] = mod
    exec(compile(models_source(c, 1), mod.__name__, "exec"), mod.__dict__)
    return mod


ANNOTATIONS = ("description", "default", "title", "examples", "x-specwright-type")


def _money(schema: dict[str, Any]) -> st.SearchStrategy[float]:
    """Money amounts with at most 2 decimals (cents / 100), within the schema's bounds."""
    lo, hi = -10**12, 10**12
    if "minimum" in schema:
        lo = max(lo, math.ceil(schema["minimum"] * 100))
    if "exclusiveMinimum" in schema:
        lo = max(lo, math.floor(schema["exclusiveMinimum"] * 100) + 1)
    if "maximum" in schema:
        hi = min(hi, math.floor(schema["maximum"] * 100))
    if "exclusiveMaximum" in schema:
        hi = min(hi, math.ceil(schema["exclusiveMaximum"] * 100) - 1)
    return st.integers(lo, hi).map(lambda c: c / 100)


def strategy_for(schema: dict[str, Any], root: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Objects and arrays built here; every leaf type drawn by hypothesis-jsonschema.

    (hypothesis-jsonschema 0.23.1 cannot draw objects with the installed hypothesis: its object
    strategy calls ``many.more()``, which hypothesis removed.)
    """
    if "$ref" in schema:
        return strategy_for(root["$defs"][schema["$ref"].rsplit("/", 1)[1]], root)
    if "anyOf" in schema:
        return st.one_of(*(strategy_for(s, root) for s in schema["anyOf"]))
    if schema.get("type") == "object":
        props = schema["properties"]
        required = {k: strategy_for(props[k], root) for k in schema["required"]}
        optional = {k: strategy_for(v, root) for k, v in props.items() if k not in required}
        return st.fixed_dictionaries(required, optional=optional)
    if schema.get("type") == "array":
        return st.lists(strategy_for(schema["items"], root), min_size=schema.get("minItems", 0),
                        max_size=min(schema.get("maxItems", 4), 4))
    if schema.get("x-specwright-type") == "money":
        return _money(schema)
    return from_schema({k: v for k, v in schema.items() if k not in ANNOTATIONS})


@functools.cache
def strategy(name: str, direction: str) -> tuple[st.SearchStrategy[Any], str]:
    c = dict(compiled_specs())[name]
    schema = direction_schema(c, direction, 1)  # type: ignore[arg-type]
    return strategy_for(schema, schema), json.dumps(schema)


def model_of(name: str, direction: str) -> type[BaseModel]:
    return getattr(loaded(name), "Input" if direction == "input" else "Output")  # type: ignore[no-any-return]


def pydantic_errors(model: type[BaseModel], instance: Any) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    for validate in (model.model_validate, lambda x: model.model_validate_json(json.dumps(x))):
        try:
            validate(instance)
        except ValidationError as exc:
            errors += [dict(e) for e in exc.errors()]
    return errors


AGREEMENT = settings(derandomize=True, database=None, max_examples=50, deadline=None,
                     suppress_health_check=list(HealthCheck))
MUTATIONS = settings(AGREEMENT, max_examples=3)  # each example checks every single mutation


@pytest.mark.parametrize(("name", "direction"), [(n, d) for n, _, d in CASES])
@AGREEMENT
@given(data=st.data())
def test_schema_valid_implies_model_valid(name: str, direction: str, data: st.DataObject) -> None:
    strat, schema_text = strategy(name, direction)
    schema = json.loads(schema_text)
    instance = data.draw(strat)
    validator_for(schema).validate(instance)
    assert pydantic_errors(model_of(name, direction), instance) == []


CANDIDATES: list[Any] = ["5", 5, 5.0, 5.5, 0.07, 0.125, -1, 10**6, True, None, "", "x" * 250,
                         "2024-05-01", "2024-05-01T10:00:00", "2024-05-01T10:00:00+02:00", [],
                         {}, ["a"], "US", "12.50"]


def mutations(instance: Any) -> Iterator[Any]:
    """Every single-point mutation of ``instance``: replaced values, removed and extra keys."""
    def paths(node: Any, prefix: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
        if isinstance(node, dict):
            yield prefix + ("<extra>",)
            for k, v in node.items():
                yield prefix + (k,)
                yield from paths(v, prefix + (k,))
        elif isinstance(node, list) and node:
            yield prefix + (0,)
            yield from paths(node[0], prefix + (0,))

    for path in paths(instance, ()):
        *parent_path, last = path
        for value in [*CANDIDATES, "<delete>"]:
            mutated = copy.deepcopy(instance)
            parent = mutated
            for p in parent_path:
                parent = parent[p]
            if last == "<extra>":
                parent["zz_extra"] = 1
            elif value == "<delete>":
                if isinstance(parent, dict):
                    del parent[last]
            else:
                parent[last] = value
            yield mutated


def leaf_errors(err: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    if not err.context:
        return [err]
    return [leaf for sub in err.context if sub.schema != {"type": "null"}
            for leaf in leaf_errors(sub)]


def lenient(err: jsonschema.ValidationError) -> bool:
    """A schema error the model deliberately does not make: money from a numeric string."""
    s = err.schema
    return (isinstance(s, dict) and err.validator == "type"
            and s.get("x-specwright-type") == "money" and isinstance(err.instance, str))


@pytest.mark.parametrize(("name", "direction"), [(n, d) for n, _, d in CASES])
@MUTATIONS
@given(data=st.data())
def test_model_and_schema_reject_alike(name: str, direction: str, data: st.DataObject) -> None:
    strat, schema_text = strategy(name, direction)
    validator = validator_for(json.loads(schema_text))
    model = model_of(name, direction)
    base = data.draw(strat)
    for mutated in mutations(base):
        schema_errors = list(validator.iter_errors(mutated))
        model_errors = pydantic_errors(model, mutated)
        if not schema_errors:  # schema-valid: the model may only add the 2-decimals rule
            assert {e["type"] for e in model_errors} <= {"decimal_max_places"}, (mutated,
                                                                                model_errors)
        elif not model_errors:  # model-valid: only documented leniencies
            leaves = [leaf for e in schema_errors for leaf in leaf_errors(e)]
            assert leaves and all(lenient(e) for e in leaves), (mutated, schema_errors)
