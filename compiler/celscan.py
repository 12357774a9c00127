"""Static reading of a guardrail's CEL, before it is compiled or run.

It runs before CEL's type checker (``cel_check.py``) because it says more: the field meant
(did-you-mean), an enum value that is not one of the field's values, a date literal that is not
a date, the fix for ``input.hazmat == "yes"``. It reads the token stream itself: it finds every
``input.a.b`` / ``output.x`` path (never inside string literals; comprehension variables such as
``l`` in ``input.lines.exists(l, l.stock > 0)`` are bound to the list's item type), resolves it
against the spec's fields, and checks comparisons of a field with a literal or another field
(``input.hazmat == "yes"`` is silently false in CEL; here it is an error).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from specwright.compiler.celtypes import check_comparisons, matching
from specwright.compiler.errors import did_you_mean
from specwright.compiler.feel import expected
from specwright.compiler.ir import Field, FieldType


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
TYPE_NAMES = frozenset(
    {
        "int",
        "uint",
        "double",
        "string",
        "bool",
        "bytes",
        "list",
        "map",
        "type",
        "null_type",
        "dyn",
        "timestamp",
        "duration",
    }
)


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


def scan(
    expression: str,
    inputs: Sequence[Field],
    outputs: Sequence[Field],
    derived: Sequence[Field] = (),
) -> Scan:
    """Every path the expression reads, and every problem found without running it.
    ``derived``: the spec's derived values as fields, read as ``derived.<name>``."""
    result = Scan()
    tokens = tokenize(expression)
    if tokens is None:
        return result
    roots = {"input": inputs, "output": outputs}
    if derived:
        roots["derived"] = derived
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
            hint = did_you_mean(tok.text, [*roots, *variables])
            result.problems.append(
                (
                    tok.start,
                    f"unknown name {tok.text}{hint}: a guardrail reads "
                    "input.<field> and output.<field>",
                )
            )
        i += 1
    check_comparisons(tokens, result.paths, result.problems)
    return result


def _bind_macro(
    tokens: list[Token],
    i: int,
    depth: int,
    previous: Path | None,
    bound: list[tuple[int, str, FieldType | None]],
) -> None:
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


def _path(
    tokens: list[Token],
    i: int,
    fields: Sequence[Field] | None,
    ftype: FieldType | None,
    result: Scan,
) -> Path:
    """Resolve ``root(.name | [index])*`` starting at token ``i``; stop before a method call."""
    root = tokens[i]
    names: list[str] = []
    nullable = indexed = False
    known = fields is not None or ftype is not None
    j = i
    while j + 1 < len(tokens):
        nxt = tokens[j + 1]
        if nxt.text == "[":
            close = matching(tokens, j + 1)
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
            section = {"input": "an Input field", "output": "an Output field",
                       "derived": "a derived value"}.get(where)
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


def _kind(ftype: FieldType) -> str:
    return {"list": "a list", "object": "an object"}.get(ftype.kind, expected(ftype))


def fields_read(expression: str, root: str, names: Sequence[str]) -> frozenset[str] | None:
    """The top-level fields of ``root`` (``input`` or ``output``) that ``expression`` reads, or
    None when it may read any of them.

    Used to hand CEL only the fields an expression can observe (converting a value into CEL costs
    microseconds per field, however small the expression). The answer is conservative: every use
    of ``root`` must be ``root.<declared field>`` not followed by ``(``; anything else (the whole
    object, ``root[...]``, a macro or method on it, a comprehension variable named ``root``,
    text that does not tokenize) answers None, meaning "all of them".
    """
    tokens = tokenize(expression)
    if tokens is None:
        return None
    declared = set(names)
    read: set[str] = set()
    for i, tok in enumerate(tokens):
        if tok.kind != "ident" or tok.text != root:
            continue
        if i > 0 and tokens[i - 1].text == ".":
            continue  # a field that happens to be named like the root: input.output
        window = tokens[i + 1 : i + 4]
        if len(window) < 2 or window[0].text != "." or window[1].kind != "ident":
            return None
        if window[1].text not in declared or (len(window) == 3 and window[2].text == "("):
            return None
        read.add(window[1].text)
    return frozenset(read)


def flatten(expression: str, root: str, names: Sequence[str], prefix: str) -> str | None:
    """``expression`` with every ``root.<field>`` read as the plain name ``<prefix><field>``, or
    None when that is not the same expression.

    Same expression: every use of ``root`` is one ``fields_read`` accepts, none stands directly
    inside ``has(...)`` (which needs a field selection), and no name in the expression starts
    with ``prefix``. Strings, comments and spacing are kept as written.
    """
    tokens = tokenize(expression)
    if tokens is None or fields_read(expression, root, names) is None:
        return None
    if any(tok.kind == "ident" and tok.text.startswith(prefix) for tok in tokens):
        return None
    pieces: list[str] = []
    done = 0  # offset in expression up to which pieces hold the text
    for i, tok in enumerate(tokens):
        if tok.kind != "ident" or tok.text != root or (i > 0 and tokens[i - 1].text == "."):
            continue
        if i > 1 and tokens[i - 1].text == "(" and tokens[i - 2].text == "has":
            return None
        field = tokens[i + 2]  # fields_read checked: root . <declared field>
        pieces.append(expression[done : tok.start])
        pieces.append(prefix + field.text)
        done = field.start + len(field.text)
    pieces.append(expression[done:])
    return "".join(pieces)
