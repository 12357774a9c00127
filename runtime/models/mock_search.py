"""The mock's search for an answer the spec's guardrails accept.

``serve --mock`` should demonstrate a spec, so its invented answer must not only fit the output
schema but also pass the guardrails (``output.location_id`` must name a location of the input
that has stock, a rejected listing must carry a flag). The request's ``check`` callback (the
pipeline's: output contract plus guardrails, on the merged output) judges a candidate; this
module proposes candidates, much as the counterexample search of the generated tests proposes
values that break a rule: for each field a few values that often matter (every enum value, both
booleans, the bounds of a number, the strings and numbers of the input that fit the field), then a
greedy descent that keeps, field by field, the value leaving the fewest problems, then seeded
random combinations. The work is bounded (``MAX_CHECKS`` calls of ``check``); when nothing passes,
the answer with the fewest problems is returned and the pipeline reports the guardrail.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

__all__ = ["MAX_CHECKS", "satisfying"]

MAX_CHECKS = 400  # calls of the check callback per answer, at most
_PER_FIELD = 24  # candidate values per field, at most


def satisfying(
    base: dict[str, Any],
    properties: Mapping[str, Any],
    input_data: Any,
    check: Callable[[dict[str, Any]], Sequence[str]],
    generate: Callable[[Any, int], Any],
) -> dict[str, Any]:
    """``base`` if ``check`` accepts it, else the first candidate it accepts, else the candidate
    with the fewest problems. ``generate(schema, index)`` gives the index-th schema value."""
    budget = [MAX_CHECKS]

    def problems(answer: dict[str, Any]) -> int:
        budget[0] -= 1
        return len(check(answer))

    best, score = dict(base), problems(base)
    if score == 0:
        return best
    options = {name: _candidates(base[name], sub, input_data, generate)
               for name, sub in properties.items() if name in base}
    for _ in range(3):  # greedy rounds: one field at a time, keep what helps most
        improved = False
        for name, values in options.items():
            for value in values:
                if budget[0] <= 0:
                    return best
                if value == best[name]:
                    continue
                trial = {**best, name: value}
                found = problems(trial)
                if found < score:
                    best, score, improved = trial, found, True
                    if score == 0:
                        return best
        if not improved:
            break
    rng = random.Random(0)  # deterministic: the same input gets the same answer
    names = [n for n, values in options.items() if len(values) > 1]
    while names and budget[0] > 0:
        trial = {**best, **{n: rng.choice(options[n]) for n in names}}
        found = problems(trial)
        if found < score:
            best, score = trial, found
            if score == 0:
                break
    return best


def _candidates(first: Any, schema: Any, input_data: Any,
                generate: Callable[[Any, int], Any]) -> list[Any]:
    """A few distinct values for one field, ``first`` first."""
    found: list[Any] = [first]
    seen = {_key(first)}

    def add(value: Any) -> None:
        key = _key(value)
        if key not in seen and len(found) < _PER_FIELD:
            seen.add(key)
            found.append(value)

    if not isinstance(schema, Mapping):
        return found
    for index in range(1, 8):  # enum values in turn, counted numbers, longer lists
        add(generate(schema, index))
    kinds = _kinds(schema)
    if "boolean" in kinds:
        add(True)
        add(False)
    if kinds & {"integer", "number"}:
        for number in _numbers(input_data):
            if _fits_number(schema, number, "integer" in kinds and "number" not in kinds):
                add(int(number) if "number" not in kinds else number)
    if "string" in kinds and not schema.get("enum"):
        for text in _strings(input_data):
            if _fits_string(schema, text):
                add(text)
    if "array" in kinds:
        item = schema.get("items") or {}
        for index in range(4):
            add([generate(item, index)])
    return found


def _kinds(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind} if kind else set()
    for key in ("anyOf", "oneOf"):
        for variant in schema.get(key, ()):
            if isinstance(variant, Mapping):
                kinds |= _kinds(variant)
    return kinds


def _fits_number(schema: Mapping[str, Any], value: float, integer: bool) -> bool:
    if integer and value != int(value):
        return False
    lo, hi = schema.get("minimum"), schema.get("maximum")
    xlo, xhi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    return not ((lo is not None and value < lo) or (hi is not None and value > hi)
                or (xlo is not None and value <= xlo) or (xhi is not None and value >= xhi))


def _fits_string(schema: Mapping[str, Any], text: str) -> bool:
    lo, hi = int(schema.get("minLength", 0)), schema.get("maxLength")
    return len(text) >= lo and (hi is None or len(text) <= int(hi)) and "format" not in schema


def _walk(data: Any) -> Iterator[Any]:
    if isinstance(data, Mapping):
        for value in data.values():
            yield from _walk(value)
    elif isinstance(data, list):
        for value in data:
            yield from _walk(value)
    else:
        yield data


def _strings(data: Any) -> list[str]:
    return list(dict.fromkeys(v for v in _walk(data) if isinstance(v, str)))[:_PER_FIELD]


def _numbers(data: Any) -> list[float]:
    values = [v for v in _walk(data) if isinstance(v, int | float) and not isinstance(v, bool)]
    return list(dict.fromkeys(values))[:_PER_FIELD]


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
