"""Type checks a guardrail needs before it runs: comparisons of a field with a literal or another
field (``celscan.py`` finds the paths).

In CEL ``input.hazmat == "yes"`` is not an error, just false: comparisons across types are
silently false (and ordering across types fails only at run time). So ``path OP literal``,
``literal OP path``, ``path OP path`` and ``path in [literals]`` are checked here: the literal's
kind must fit the field's type, an enum literal must be one of its values, a date literal a date.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from specwright.compiler.errors import did_you_mean
from specwright.compiler.feel import SCALAR, expected
from specwright.compiler.ir import FieldType
from specwright.compiler.timeofday import iso_time, time_seconds

if TYPE_CHECKING:
    from specwright.compiler.celscan import Path, Token

COMPARE = frozenset({"==", "!=", "<", "<=", ">", ">="})
# Tokens after which an operand of a comparison starts, and before which one ends.
_LEFT = frozenset({"(", "&&", "||", ",", "?", ":", "[", "{"})
_RIGHT = frozenset({")", "&&", "||", ",", "?", ":", "]", "}"})
Problems = list[tuple[int, str]]


def matching(tokens: list[Token], j: int) -> int | None:
    """Index of the ``]`` closing the ``[`` at ``j``."""
    depth = 0
    for k in range(j, len(tokens)):
        depth += {"[": 1, "]": -1}.get(tokens[k].text, 0)
        if depth == 0:
            return k
    return None


def _family(ftype: FieldType) -> str:
    return {"integer": "number", "money": "number", "enum": "text", "date": "text",
                                                             "time": "text"}.get(
        ftype.kind, ftype.kind
    )


def _literal_family(tok: Token) -> str | None:
    if tok.kind == "string":
        return "text"
    if tok.kind == "number":
        return "number"
    return {"true": "boolean", "false": "boolean", "null": "null"}.get(tok.text)


def check_comparisons(tokens: list[Token], paths: list[Path], problems: Problems) -> None:
    """``path OP literal``, ``literal OP path``, ``path OP path`` and ``path in [literals]``."""
    for path in paths:
        ftype = path.type
        if ftype is None or ftype.kind not in SCALAR:
            continue
        before = tokens[path.first - 1].text if path.first > 0 else "("
        op = tokens[path.last + 1] if path.last + 1 < len(tokens) else None
        if (
            op is not None
            and op.text == "in"
            and path.last + 2 < len(tokens)
            and tokens[path.last + 2].text == "["
        ):
            close = matching(tokens, path.last + 2)
            if before in _LEFT and close is not None:
                for tok in tokens[path.last + 3 : close]:
                    if tok.text != ",":
                        _compare(path, "==", tok, problems)
            continue
        if before not in _LEFT or op is None or op.text not in COMPARE:
            continue
        rest = tokens[path.last + 2 :]
        if len(rest) >= 1 and (len(rest) == 1 or rest[1].text in _RIGHT):
            _compare(path, op.text, rest[0], problems)
        other = next((p for p in paths if p.first == path.last + 2), None)
        if other is not None and other.type is not None and other.type.kind in SCALAR:
            end = other.last + 1
            if (end >= len(tokens) or tokens[end].text in _RIGHT) and _family(
                other.type
            ) != _family(ftype):
                problems.append(
                    (
                        other.start,
                        f"{path.dotted} is {expected(ftype)} but "
                        f"{other.dotted} is {expected(other.type)}: they cannot be compared",
                    )
                )
    for index, tok in enumerate(tokens[:-2]):  # literal OP path
        right = next((p for p in paths if p.first == index + 2), None)
        if right is None or tokens[index + 1].text not in COMPARE:
            continue
        if (index == 0 or tokens[index - 1].text in _LEFT) and _literal_family(tok) is not None:
            end = right.last + 1
            if end >= len(tokens) or tokens[end].text in _RIGHT:
                _compare(right, tokens[index + 1].text, tok, problems)


def _compare(path: Path, op: str, tok: Token, problems: Problems) -> None:
    ftype = path.type
    family = _literal_family(tok)
    if ftype is None or family is None or family == "null":
        return
    want = _family(ftype)
    name = path.dotted
    if ftype.kind == "datetime":
        problems.append(
            (
                tok.start,
                f"{name} is a date and time: compare it with "
                'timestamp("2024-01-31T09:00:00Z"), not ' + tok.text,
            )
        )
    elif want != family:
        fix = f": write {name} == true (or just {name})" if ftype.kind == "boolean" else ""
        problems.append(
            (tok.start, f"{name} is {expected(ftype)}, but it is compared with {tok.text}{fix}")
        )
    elif ftype.kind == "enum":
        value = _string_value(tok.text)
        if op not in ("==", "!="):
            problems.append(
                (tok.start, f"{name} is {expected(ftype)}: compare it with == or !=, not {op}")
            )
        elif value is not None and value not in ftype.values:
            hint = did_you_mean(value, ftype.values)
            problems.append(
                (tok.start, f"{tok.text} is not a value of {name} ({expected(ftype)}){hint}")
            )
    elif ftype.kind == "time":
        value = _string_value(tok.text)
        if value is not None and not (time_seconds(value) is not None and len(value) == 8):
            problems.append((tok.start, f"{name} is a time of day, compared as HH:MM:SS text, "
                             f"but {tok.text} is not one (write \"{_time_fix(value)}\")"))
    elif ftype.kind == "date":
        value = _string_value(tok.text)
        if value is not None and not _is_date(value):
            problems.append(
                (tok.start, f"{name} is a date, but {tok.text} is not a date (write 2024-01-31)")
            )


def _string_value(text: str) -> str | None:
    if text[:1] in "rRbB" or text[:3] in ('"""', "'''"):
        return None
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _time_fix(value: str) -> str:
    seconds = time_seconds(value.split("+")[0].split("-")[0].rstrip("Zz"))
    return iso_time(seconds) if seconds is not None else "17:00:00"


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is not None
