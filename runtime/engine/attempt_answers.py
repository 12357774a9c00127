"""What the execution log keeps of each attempt's answer: the raw text, redacted.

The router keeps every attempt's raw answer (capped) and its guardrail results, so the log can
explain why an answer was rejected. Before the run is written, an answer of a spec with
sensitive output fields is redacted like the output itself: parsed, its sensitive values
replaced, written back as JSON. An answer that cannot be read as JSON cannot be redacted field by
field, so none of it is kept.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from specwright.compiler.ir import Field
from specwright.runtime.engine.redaction import redact
from specwright.runtime.models.parsing import ParseError, parse_json_object
from specwright.runtime.records import Attempt

UNREADABLE = "[not kept: the answer is not one JSON object and this spec has sensitive outputs]"


def redact_answers(attempts: tuple[Attempt, ...], outputs: tuple[Field, ...],
                   sensitive: bool) -> tuple[Attempt, ...]:
    """``attempts`` with their answers redacted when the spec's outputs are sensitive."""
    if not sensitive or not any(a.answer for a in attempts):
        return attempts
    return tuple(replace(a, answer=_redacted(a.answer, outputs)) if a.answer else a
                 for a in attempts)


def _redacted(text: str, outputs: tuple[Field, ...]) -> str:
    try:
        data: Any = parse_json_object(text)
    except ParseError:
        return UNREADABLE
    return json.dumps(redact(outputs, data), ensure_ascii=False)


def last_guardrails(attempts: tuple[Attempt, ...]) -> list[dict[str, Any]]:
    """The guardrail results of the last attempt whose answer reached the guardrails."""
    for a in reversed(attempts):
        if a.guardrails is not None:
            return [dict(g) for g in a.guardrails]
    return []
