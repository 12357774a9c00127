"""Static reading of a guardrail's CEL, before it is compiled or run.

The CEL binding has no type checker, so this module reads the token stream itself: it finds every
``input.a.b`` / ``output.x`` path (never inside string literals; comprehension variables such as
``l`` in ``input.lines.exists(l, l.stock > 0)`` are bound to the list's item type), resolves it
against the spec's fields, and checks comparisons of a field with a literal or another field
(``input.hazmat == "yes"`` is silently false in CEL; here it is an error).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from compiler.errors import did_you_mean
from compiler.feel import SCALAR, expected
from compiler.ir import Field, FieldType


class Token(NamedTuple):
    kind: str  # string, number, ident, op
    text: str
    start: int  # offset in the expression


_TOKEN = re.compile(
    r"""(?P<ws>\s+|//[^\n]*)
    | (?P<string>[rRbB]{0,2}(?:\"\"\"(?:.|\n)*?\"\"\"|'''(?:.|\n)*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'))
    | (?P<number>(?:\d+\.\d+|\.\d+|\d+)(?:[eE][+-]?\d+)?[uU]?|0[xX][0-9a-fA-F]+[uU]?)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!?:.,()\[\]{}])""",
    re.X,
)
MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
KEYWORDS = frozenset({"true", "false", "null", "in"})
TYPE_NAMES = frozenset({"int", "uint", "double", "string", "bool", "bytes", "list", "map", "type",
                        "null_type", "dyn", "timestamp", "duration"})
COMPARE = frozenset({"==", "!=", "<", "<=", ">", ">="})
# Tokens after which an operand of a comparison starts, and before which one ends.
_LEFT = frozenset({"(", "&&", "||", ",", "?", ":", "[", "{"})
_RIGHT = frozenset({")", "&&", "||", ",", "?", ":", "]", "}"})


def tokenize(expression: str) -> list[Token] | None:
    """The tokens, or None when the text is not CEL (the compiler reports that)."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(expression):
        match = _TOKEN.match(expression, pos)
        if match is None:
            return None
        if match.lastgroup != "ws":
            tokens.append(Token(match.lastgroup or "", match.group(), pos))
        pos = match.end()
    return tokens


@dataclass(frozen=True, slots=True)
class Path:
    root: str  # "input", "output", or a comprehension variable
    names: tuple[str, ...]  # resolved field names after the root
    type: FieldType | None  # None: the whole input/output, or not known
    start: int  # offset of the root token
    first: int  # index of the root token
    last: int  # index of the path's last token
    nullable: bool  # some field along the path is optional (and has no default)
    indexed: bool  # the path goes through a list index: input.lines[0].sku

    @property
    def dotted(self) -> str:
        return ".".join((self.root, *self.names))


@dataclass
class Scan:
    paths: list[Path] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (offset, message)


def scan(expression: str, inputs: Sequence[Field], outputs: Sequence[Field]) -> Scan:
    """Every path the expression reads, and every problem found without running it."""
    result = Scan()
    tokens = tokenize(expression)
    if tokens is None:
        return result
    roots = {"input": inputs, "output": outputs}
    bound: list[tuple[int, str, FieldType | None]] = []  # (depth it ends at, name, item type)
    depth = 0
    previous: Path | None = None
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.text in "([{" and tok.kind == "op":
            depth += 1
        elif tok.text in ")]}" and tok.kind == "op":
            depth -= 1
            bound = [b for b in bound if b[0] <= depth]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        after_dot = i > 0 and tokens[i - 1].text == "."
        if tok.kind != "ident" or after_dot or (nxt is not None and nxt.text == "("):
            _bind_macro(tokens, i, depth, previous, bound)
            i += 1
            continue
        variables = {name: ftype for _, name, ftype in bound}
        if tok.text in roots or tok.text in variables:
            fields = roots.get(tok.text)
            start_type = None if fields is not None else variables[tok.text]
            previous = _path(tokens, i, fields, start_type, result)
            result.paths.append(previous)
            i = previous.last + 1
            continue
        if tok.text not in KEYWORDS | TYPE_NAMES:
            hint = did_you_mean(tok.text, ["input", "output", *variables])
            result.problems.append((tok.start, f"unknown name {tok.text}{hint}: a guardrail reads "
                                    "input.<field> and output.<field>"))
        i += 1
    _check_comparisons(tokens, result)
    return result


def _bind_macro(tokens: list[Token], i: int, depth: int, previous: Path | None,
                bound: list[tuple[int, str, FieldType | None]]) -> None:
    """At ``.exists(`` etc.: bind the comprehension variable to the receiver's item type."""
    tok = tokens[i]
    if tok.kind != "ident" or tok.text not in MACROS or i < 1 or tokens[i - 1].text != ".":
        return
    names = []
    j = i + 2
    while j + 1 < len(tokens) and tokens[j].kind == "ident" and tokens[j + 1].text == ",":
        names.append(tokens[j].text)
        j += 2
    receiver = previous.type if previous is not None and previous.last == i - 2 else None
    item = receiver.items if receiver is not None and receiver.kind == "list" else None
    for name in names:
        bound.append((depth + 1, name, item if len(names) == 1 else None))


def _path(tokens: list[Token], i: int, fields: Sequence[Field] | None, ftype: FieldType | None,
          result: Scan) -> Path:
    """Resolve ``root(.name | [index])*`` starting at token ``i``; stop before a method call."""
    root = tokens[i]
    names: list[str] = []
    nullable = indexed = False
    known = fields is not None or ftype is not None
    j = i
    while j + 1 < len(tokens):
        nxt = tokens[j + 1]
        if nxt.text == "[":
            close = _matching(tokens, j + 1)
            if close is None:
                break
            indexed = True
            if known and fields is None and ftype is not None and ftype.kind == "list":
                ftype = ftype.items
            else:
                known = False
            j = close
            continue
        if nxt.text != "." or j + 2 >= len(tokens) or tokens[j + 2].kind != "ident":
            break
        if j + 3 < len(tokens) and tokens[j + 3].text == "(":
            break  # a method call: input.lines.size(), input.code.matches("...")
        name = tokens[j + 2]
        j += 2
        if not known:
            continue
        where = ".".join((root.text, *names))
        choices = fields if fields is not None else ftype.fields if ftype else ()
        if fields is None and (ftype is None or ftype.kind != "object" or not ftype.fields):
            if ftype is not None and ftype.kind != "object":
                result.problems.append(
                    (name.start, f"{where} is {_kind(ftype)}: it has no field {name.text}")
                )
            known = False
            continue
        match = next((f for f in choices if f.name == name.text), None)
        if match is None:
            section = {"input": "an Input field", "output": "an Output field"}.get(where)
            hint = did_you_mean(name.text, [f.name for f in choices])
            result.problems.append(
                (name.start, f"{where}.{name.text} is not {section or 'a field of ' + where}{hint}")
            )
            known = False
            continue
        names.append(match.name)
        nullable = nullable or (not match.required and not match.has_default)
        fields, ftype = None, match.type
    resolved = ftype if known and fields is None else None
    return Path(root.text, tuple(names), resolved, root.start, i, j, nullable, indexed)


def _matching(tokens: list[Token], j: int) -> int | None:
    depth = 0
    for k in range(j, len(tokens)):
        depth += {"[": 1, "]": -1}.get(tokens[k].text, 0)
        if depth == 0:
            return k
    return None


def _kind(ftype: FieldType) -> str:
    return {"list": "a list", "object": "an object"}.get(ftype.kind, expected(ftype))


def _family(ftype: FieldType) -> str:
    return {"integer": "number", "money": "number", "enum": "text", "date": "text"}.get(ftype.kind, ftype.kind)


def _literal_family(tok: Token) -> str | None:
    if tok.kind == "string":
        return "text"
    if tok.kind == "number":
        return "number"
    return {"true": "boolean", "false": "boolean", "null": "null"}.get(tok.text)


def _check_comparisons(tokens: list[Token], result: Scan) -> None:
    """``path OP literal``, ``literal OP path``, ``path OP path`` and ``path in [literals]``."""
    for path in result.paths:
        ftype = path.type
        if ftype is None or ftype.kind not in SCALAR:
            continue
        before = tokens[path.first - 1].text if path.first > 0 else "("
        op = tokens[path.last + 1] if path.last + 1 < len(tokens) else None
        if op is not None and op.text == "in" and path.last + 2 < len(tokens) and tokens[path.last + 2].text == "[":
            close = _matching(tokens, path.last + 2)
            if before in _LEFT and close is not None:
                for tok in tokens[path.last + 3 : close]:
                    if tok.text != ",":
                        _compare(path, "==", tok, result)
            continue
        if before not in _LEFT or op is None or op.text not in COMPARE:
            continue
        rest = tokens[path.last + 2 :]
        if len(rest) >= 1 and (len(rest) == 1 or rest[1].text in _RIGHT):
            _compare(path, op.text, rest[0], result)
        other = next((p for p in result.paths if p.first == path.last + 2), None)
        if other is not None and other.type is not None and other.type.kind in SCALAR:
            end = other.last + 1
            if (end >= len(tokens) or tokens[end].text in _RIGHT) and _family(other.type) != _family(ftype):
                result.problems.append((other.start, f"{path.dotted} is {expected(ftype)} but "
                                        f"{other.dotted} is {expected(other.type)}: they cannot be compared"))
    for index, tok in enumerate(tokens[:-2]):  # literal OP path
        right = next((p for p in result.paths if p.first == index + 2), None)
        if right is None or tokens[index + 1].text not in COMPARE:
            continue
        if (index == 0 or tokens[index - 1].text in _LEFT) and _literal_family(tok) is not None:
            end = right.last + 1
            if end >= len(tokens) or tokens[end].text in _RIGHT:
                _compare(right, tokens[index + 1].text, tok, result)


def _compare(path: Path, op: str, tok: Token, result: Scan) -> None:
    ftype = path.type
    family = _literal_family(tok)
    if ftype is None or family is None or family == "null":
        return
    want = _family(ftype)
    name = path.dotted
    if ftype.kind == "datetime":
        result.problems.append((tok.start, f"{name} is a date and time: compare it with "
                                'timestamp("2024-01-31T09:00:00Z"), not ' + tok.text))
    elif want != family:
        fix = f": write {name} == true (or just {name})" if ftype.kind == "boolean" else ""
        result.problems.append((tok.start, f"{name} is {expected(ftype)}, but it is compared "
                                f"with {tok.text}{fix}"))
    elif ftype.kind == "enum":
        value = _string_value(tok.text)
        if op not in ("==", "!="):
            result.problems.append((tok.start, f"{name} is {expected(ftype)}: compare it with "
                                    f"== or !=, not {op}"))
        elif value is not None and value not in ftype.values:
            hint = did_you_mean(value, ftype.values)
            result.problems.append((tok.start, f"{tok.text} is not a value of {name} "
                                    f"({expected(ftype)}){hint}"))
    elif ftype.kind == "date":
        value = _string_value(tok.text)
        if value is not None and not _is_date(value):
            result.problems.append((tok.start, f"{name} is a date, but {tok.text} is not a date "
                                    "(write 2024-01-31)"))


def _string_value(text: str) -> str | None:
    if text[:1] in "rRbB" or text[:3] in ('"""', "'''"):
        return None
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is not None
