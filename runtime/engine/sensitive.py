"""Sensitive values never leave the process in a prompt, and a model's echo of one is not logged.

A field marked ``sensitive`` in a spec is withheld from the model: in the input JSON of the
prompt its value is replaced by ``WITHHELD``, and the user message ends with a note naming the
withheld fields, so the model knows they exist and that it cannot see them. The repair ask
repeats the first ask's messages (already withheld) with the model's own previous answer and the
problems found, so it holds no sensitive value either. The value the caller sent is what the
decision tables and guardrails see: only the prompt's copy is changed.

A model may still produce a sensitive input value (a value the caller also sent in a field that
is not sensitive, or a guess). Before a run is logged, every sensitive input value found in its
output is replaced by ``[redacted]`` (``scrub_echoes``). The 200 answer is left as the model
gave it: it goes back to the caller who sent the value, and changing it would hand the caller
an output the guardrails did not check.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from specwright.compiler.ir import Field, FieldType
from specwright.runtime.engine.redaction import REDACTED, redact

WITHHELD = "[withheld]"
MIN_ECHO_CHARS = 4  # shorter sensitive texts ("US", "1") would redact ordinary words


def withhold(fields: Iterable[Field], data: Any) -> Any:
    """A copy of ``data`` with every sensitive value replaced by ``WITHHELD``."""
    return redact(fields, data, WITHHELD)


def sensitive_paths(fields: Iterable[Field], prefix: str = "") -> list[str]:
    """``["email", "payment.card_number", "lines[].iban"]``: where the sensitive fields are."""
    out: list[str] = []
    for f in fields:
        path = prefix + f.name
        if f.sensitive:
            out.append(path)
        else:
            out += _type_paths(f.type, path)
    return out


def _type_paths(t: FieldType | None, path: str) -> list[str]:
    if t is None:
        return []
    if t.kind == "object":
        return sensitive_paths(t.fields, path + ".")
    if t.kind == "list":
        return _type_paths(t.items, path + "[]")
    return []


def withheld_note(paths: list[str]) -> str:
    """The sentence that tells the model which fields it cannot see."""
    names = ", ".join(paths)
    return (
        f"\n\nWithheld fields: {names}. These fields are sensitive: their values are not shown "
        f'to you (they appear as "{WITHHELD}"). Decide without them, and never guess or repeat '
        "their values in your answer."
    )


def sensitive_values(fields: Iterable[Field], data: Any) -> list[Any]:
    """Every value of a sensitive field in ``data`` (nested objects and lists included)."""
    found: list[Any] = []
    if not isinstance(data, dict):
        return found
    for f in fields:
        if f.name not in data:
            continue
        value = data[f.name]
        if f.sensitive:
            found += _leaves(value)
        else:
            found += _values_in(f.type, value)
    return found


def _values_in(t: FieldType, value: Any) -> list[Any]:
    if t.kind == "object":
        return sensitive_values(t.fields, value)
    if t.kind == "list" and t.items is not None and isinstance(value, list):
        return [v for item in value for v in _values_in(t.items, item)]
    return []


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v for item in value.values() for v in _leaves(item)]
    if isinstance(value, list):
        return [v for item in value for v in _leaves(item)]
    return [] if value is None or isinstance(value, bool) else [value]


def scrub_echoes(value: Any, secrets: list[Any]) -> Any:
    """``value`` with every secret replaced by ``[redacted]``: inside strings for texts (and
    numbers written out) of at least ``MIN_ECHO_CHARS`` characters, and a number equal to a
    secret number. Returns ``value`` itself when nothing was found."""
    texts = sorted({s if isinstance(s, str) else str(s) for s in secrets
                    if len(s if isinstance(s, str) else str(s)) >= MIN_ECHO_CHARS},
                   key=len, reverse=True)
    numbers = {s for s in secrets if isinstance(s, int | float)}
    if not texts and not numbers:
        return value
    return _scrub(value, texts, numbers)


def _scrub(value: Any, texts: list[str], numbers: set[Any]) -> Any:
    if isinstance(value, str):
        out = value
        for t in texts:
            if t in out:
                out = out.replace(t, REDACTED)
        return value if out == value else out
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return REDACTED if value in numbers else value
    if isinstance(value, dict):
        items = {k: _scrub(v, texts, numbers) for k, v in value.items()}
        return value if all(items[k] is value[k] for k in value) else items
    if isinstance(value, list):
        scrubbed = [_scrub(v, texts, numbers) for v in value]
        return value if all(a is b for a, b in zip(scrubbed, value, strict=True)) else scrubbed
    return value
