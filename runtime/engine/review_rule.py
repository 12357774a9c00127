"""Which runs open a review case: the spec's ``review when``, or the old default.

A spec that declares ``review when: <CEL>`` opens a case for every answered run whose input and
output meet it. A spec that declares none keeps the rule from before the key existed: a run is
escalated when a ``one of`` output's value is ``escalate`` or ``escalated``.

Built once per revision (``RunPlan``). The common condition, one boolean output field
(``output.needs_review``), is read from the output directly; anything else runs as CEL over only
the fields it reads.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from specwright.compiler.celscan import fields_read
from specwright.compiler.evaluate import cel_error, cel_program
from specwright.compiler.ir import CompiledSpec
from specwright.runtime.engine.combined_cel import CelValues

log = logging.getLogger("specwright.review")

ESCALATION_VALUES = frozenset({"escalate", "escalated"})
_PLAIN_FLAG = re.compile(r"output\.([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True, slots=True, eq=False)
class ReviewRule:
    escalation_fields: tuple[str, ...]  # the default rule: enum outputs that may say escalate
    flag: str | None = None  # ``review when: output.<boolean field>``: read it
    program: Any = None  # ``cel.Program`` of the condition, when it is more than a flag
    inputs: CelValues | None = None
    outputs: CelValues | None = None
    line: int = 0

    def applies(self, input_json: dict[str, Any], output_json: dict[str, Any]) -> bool:
        """True when this answered run opens a review case."""
        if self.flag is not None:
            return output_json.get(self.flag) is True
        if self.program is None:
            return any(output_json.get(n) in ESCALATION_VALUES for n in self.escalation_fields)
        assert self.inputs is not None and self.outputs is not None
        context = {"input": self.inputs(input_json), "output": self.outputs(output_json)}
        try:
            value = self.program.execute(context)
        except Exception as exc:  # noqa: BLE001 - CEL raises plain Python errors of several kinds
            # Checked at compile time on samples; if a real input still breaks it, a person
            # looks rather than nobody.
            log.warning("review when (spec line %d) failed, case opened: %s", self.line,
                        cel_error(exc))
            return True
        return value is True


def build_review_rule(compiled: CompiledSpec) -> ReviewRule:
    spec = compiled.spec
    enums = tuple(f.name for f in spec.outputs if f.type.kind == "enum")
    review = compiled.review
    if review is None:
        return ReviewRule(escalation_fields=enums)
    match = _PLAIN_FLAG.fullmatch(review.cel.strip())
    if match is not None:
        field = next((f for f in spec.outputs if f.name == match[1]), None)
        if field is not None and field.type.kind == "boolean":
            return ReviewRule(escalation_fields=(), flag=field.name, line=review.line)
    return ReviewRule(
        escalation_fields=(),
        program=cel_program(review.cel),
        inputs=CelValues.of(_read(review.cel, "input", spec.inputs)),
        outputs=CelValues.of(_read(review.cel, "output", spec.outputs)),
        line=review.line,
    )


def _read(expression: str, root: str, fields: tuple[Any, ...]) -> tuple[Any, ...]:
    names = fields_read(expression, root, [f.name for f in fields])
    return tuple(f for f in fields if names is None or f.name in names)
