"""Decision-table cells as CEL and JSON: typed unary tests (``feel.py``) rendered for the runtime,
and result cells read as one literal of the output field's type.

Literals are rendered deterministically: integers as integers, numbers and money as doubles
(``1000.0``, so comparisons are double against double), text with JSON escaping in double
quotes, datetimes as ``timestamp("...Z")`` in UTC.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from specwright.compiler.feel import (
    ANY,
    Compare,
    FeelError,
    Lit,
    Test,
    UnaryTests,
    expected,
    parse_unary_tests,
    strip_cell,
    type_literal,
)
from specwright.compiler.ir import FieldType


def cel_literal(lit: Lit) -> str:
    """A typed literal as CEL source. Doubles always carry a decimal point or exponent."""
    if lit.kind == "int":
        return str(int(lit.value))
    if lit.kind == "double":
        return repr(float(lit.value))
    if lit.kind == "bool":
        return "true" if lit.value else "false"
    if lit.kind == "timestamp":
        return f"timestamp({json.dumps(iso_datetime(lit.value))})"
    if lit.kind == "null":
        return "null"
    if lit.kind == "ref":  # another Input field: ``> input.credit_limit``
        return f"input.{lit.value}"
    if lit.kind == "duration":
        return f'duration("{int(lit.value)}s")'
    return json.dumps(str(lit.value), ensure_ascii=False)


def iso_datetime(value: dt.datetime) -> str:
    """RFC 3339 in UTC with a Z, as CEL's timestamp() and JSON expect."""
    text = value.astimezone(dt.UTC).replace(tzinfo=None).isoformat()
    return text + "Z"


def json_value(lit: Lit) -> Any:
    """A typed literal as a JSON value (results of table rows)."""
    return iso_datetime(lit.value) if lit.kind == "timestamp" else lit.value


def cell_to_cel(cell: UnaryTests, path: str, nullable: bool) -> str:
    """CEL that is true when the value at ``path`` passes the cell.

    For a nullable field, comparisons are guarded with ``path != null`` so an absent value never
    passes a positive test (and so passes ``not(...)``); ``-`` passes anything, absent included.
    """
    if not cell.tests:
        return "true"
    nulls = [t for t in cell.tests if isinstance(t, Compare) and t.value.kind == "null"]
    values = [t for t in cell.tests if t not in nulls]
    parts = [f"{path} {t.op} null" for t in nulls if isinstance(t, Compare)]
    if values:
        equals = [t.value for t in values if isinstance(t, Compare) and t.op == "=="]
        if len(equals) == len(values):
            if len(equals) == 1:
                parts.append(f"{path} == {cel_literal(equals[0])}")
            else:
                parts.append(f"{path} in [{', '.join(cel_literal(v) for v in equals)}]")
        else:
            rendered = [_test_cel(t, path) for t in values]
            expr = rendered[0] if len(rendered) == 1 else "(" + " || ".join(rendered) + ")"
            parts.append(f"({path} != null && {expr})" if nullable else expr)
    positive = parts[0] if len(parts) == 1 else "(" + " || ".join(parts) + ")"
    return f"!({positive})" if cell.negated else positive


def _test_cel(test: Test, path: str) -> str:
    if isinstance(test, Compare):
        return f"{path} {test.op} {cel_literal(test.value)}"
    low = f"{path} {'>' if test.lo_open else '>='} {cel_literal(test.lo)}"
    high = f"{path} {'<' if test.hi_open else '<='} {cel_literal(test.hi)}"
    return f"({low} && {high})"


def parse_result(text: str, ftype: FieldType) -> Lit | None:
    """A result cell: one literal of the output field's type, or None for ``-``."""
    text = strip_cell(text)
    if text in ANY:
        return None
    if not text:
        raise FeelError("the cell is empty: write a value")
    if ftype.kind == "text":
        quoted = len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'"
        return Lit("string", text, re.sub(r"\\(.)", r"\1", text[1:-1]) if quoted else text)
    try:
        cell = parse_unary_tests(text)
    except FeelError:
        cell = UnaryTests(())
    test = cell.tests[0] if len(cell.tests) == 1 and not cell.negated else None
    if not isinstance(test, Compare) or test.op != "==" or test.value.text != text:
        raise FeelError(f"'{text}' is not one value: write {expected(ftype)}")
    try:
        lit = type_literal(test.value, ftype)
    except FeelError as exc:
        raise FeelError(f"'{text}' {exc}") from None
    if lit.kind == "null":
        raise FeelError(f"'{text}': write - to leave the field unset")
    return lit
