"""Request-body field types that accept what the published OpenAPI schema describes, no more.

Pydantic's lax mode converts values the schema it publishes does not admit: ``true`` and ``"5"``
for an integer, a unix timestamp (a number or a digit string) for a date-time. A client reading
the schema would not send them, and schemathesis rightly counts each acceptance as a
schema-violating request accepted. These types are strict where the schema is (FastAPI validates
a body in Python mode, so a whole model cannot be strict: a date-time would refuse every string),
and add back what JSON Schema itself allows (``5.0`` is an integer there).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, Strict

# An RFC 3339 date-time starts so; the offset may be left out (the routes read it as UTC).
_ISO_DATETIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}")


def _whole_number(value: Any) -> Any:
    """``5.0`` is an integer in JSON Schema: accept it (a string or a boolean stays refused)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _iso_datetime(value: Any) -> Any:
    if not (isinstance(value, str) and _ISO_DATETIME.match(value)):
        raise ValueError("should be an ISO 8601 date-time such as 2026-05-01T14:30:00Z")
    return value


WholeNumber = Annotated[int, Strict(), BeforeValidator(_whole_number)]
# Bounds of an optional field go before the validator: put on the union (``WholeNumber | None =
# Field(ge=1)``) Pydantic publishes them as "ge", which no JSON Schema reader knows.
PositiveWholeNumber = Annotated[int, Strict(), Field(ge=1), BeforeValidator(_whole_number)]
NonNegativeWholeNumber = Annotated[int, Strict(), Field(ge=0), BeforeValidator(_whole_number)]
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime)]
