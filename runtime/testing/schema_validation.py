"""JSON Schema validation with an exact ``multipleOf``.

Money fields are ``{"type": "number", "multipleOf": 0.01}``: the standard way to say "at most
two decimal places". The stock ``jsonschema`` validator checks ``multipleOf`` with float
division, so it rejects 0.07 and 19.99 (``0.07 / 0.01 == 7.000000000000001``). This validator
checks it with decimals, as the JSON Schema specification defines it (and as the Rust validator
schemathesis uses already does).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

import jsonschema
from jsonschema import ValidationError


def _multiple_of(
    validator: Any, divisor: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if isinstance(instance, bool) or not isinstance(instance, (int, float)):
        return
    try:
        remainder = Decimal(repr(instance)) % Decimal(repr(divisor))
    except (InvalidOperation, ValueError):  # inf / nan / a quotient too large to represent
        yield ValidationError(f"{instance!r} is not a multiple of {divisor!r}")
        return
    if remainder != 0:
        yield ValidationError(f"{instance!r} is not a multiple of {divisor!r}")


ExactValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"multipleOf": _multiple_of}
)


def validator_for(schema: dict[str, Any]) -> Any:
    """A 2020-12 validator for ``schema`` whose ``multipleOf`` is exact."""
    return ExactValidator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
