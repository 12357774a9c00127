"""JSON Schema validation with an exact ``multipleOf``.

Money fields are ``{"type": "number", "multipleOf": 0.01}``: the standard way to say "at most
two decimal places". The stock ``jsonschema`` validator checks ``multipleOf`` with float
division, so it rejects 0.07 and 19.99 (``0.07 / 0.01 == 7.000000000000001``). This validator
checks it exactly on the numbers as written, as the JSON Schema specification defines it (and as
the Rust validator schemathesis uses already does). It passes the official JSON-Schema-Test-Suite
(``tests/conformance/``), but for the few cases listed there with their reasons.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any

import jsonschema
from jsonschema import ValidationError
from referencing import Registry


def _multiple_of(
    validator: Any, divisor: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if isinstance(instance, bool) or not isinstance(instance, (int, float)):
        return
    try:
        # Fractions, not decimals: a decimal remainder needs the quotient within the context's
        # 28 digits, so 1e308 (a multiple of 0.5) would be refused.
        remainder = _exact(instance) % _exact(divisor)
    except (ArithmeticError, ValueError):  # inf / nan: not a multiple of anything
        yield ValidationError(f"{instance!r} is not a multiple of {divisor!r}")
        return
    if remainder != 0:
        yield ValidationError(f"{instance!r} is not a multiple of {divisor!r}")


def _exact(number: int | float) -> Fraction:
    """The number as written (``repr``: 0.01 is 1/100, not the float nearest to it)."""
    return Fraction(Decimal(repr(number)))


ExactValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"multipleOf": _multiple_of}
)


def validator_for(schema: dict[str, Any] | bool, registry: Registry[Any] | None = None) -> Any:
    """A 2020-12 validator for ``schema`` whose ``multipleOf`` is exact.

    ``format`` is asserted (the suite's default treats it as an annotation only), because the
    generated models reject a malformed date or date-time too. ``registry`` holds
    the documents an external ``$ref`` may name; without it only the 2020-12 metaschemas resolve
    (nothing is fetched over the network).
    """
    extra: dict[str, Any] = {} if registry is None else {"registry": registry}
    return ExactValidator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
                          **extra)
