"""Limits on what one spec may ask of the compiler and the server, checked before any parser.

A spec is text anyone with write access to ``specs/`` can change, and the server compiles it
while it serves every other spec. So the size of what goes to a parser and the work an
expression can cause are bounded here, each with a located error naming the fix:

* the file (``MAX_SPEC_CHARS``); invisible characters (zero-width, bidirectional controls) and
  words mixing Latin letters with Cyrillic or Greek look-alikes anywhere in it;
* YAML (front matter, examples) without anchors and aliases: an alias repeats a node without
  copying it, so ten lines can stand for a billion values (the "billion laughs");
* a decision table's rows (``MAX_TABLE_ROWS``) and a cell's length;
* a CEL expression's length (``MAX_EXPRESSION_CHARS``) and nesting (``MAX_NESTING``): the CEL
  parser recurses per nested operand and dies with the process (a segfault) on deep input; and
  its work: quantifiers (``all``, ``exists``...) nested at most ``MAX_QUANTIFIER_DEPTH`` deep,
  and the evaluations they imply over the lists' declared sizes at most ``MAX_WORK``. Lists
  without a declared maximum are bounded at run time (``quantifier_depth`` tells the runtime
  which guardrails to measure).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from specwright.compiler.celscan import Path, Token

MAX_SPEC_CHARS = 1_000_000
MAX_EXPRESSION_CHARS = 2_000
MAX_CELL_CHARS = 500
MAX_NESTING = 32  # brackets, and runs of ! or - (each is a level for the CEL parser)
MAX_QUANTIFIER_DEPTH = 3
MAX_WORK = 100_000  # quantifier steps per evaluation, over the lists' declared sizes
MAX_TABLE_ROWS = 1_000
QUANTIFIERS = frozenset({"all", "exists", "exists_one", "map", "filter"})

_INVISIBLE = re.compile("[\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_WORD = re.compile(r"\w+")
_LATIN = re.compile(r"[A-Za-z]")
_CONFUSABLE_SCRIPTS = ("CYRILLIC", "GREEK")


def char_name(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed character')}"


def text_problems(text: str) -> list[tuple[int, int, str]]:
    """(line, col, message) for invisible characters and look-alike letters in ``text``; a text
    over ``MAX_SPEC_CHARS`` gets that one problem only (nothing else is read)."""
    if len(text) > MAX_SPEC_CHARS:
        return [(1, 1, f"the spec is {len(text):,} characters long; the limit is "
                       f"{MAX_SPEC_CHARS:,}: split it into several specs, or move long prose "
                       "out of it")]
    problems: list[tuple[int, int, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.isascii():
            continue
        for match in _INVISIBLE.finditer(line):
            if number == 1 and match.start() == 0 and match.group() == "\ufeff":
                continue  # a byte-order mark
            problems.append((number, match.start() + 1,
                             f"invisible character {char_name(match.group())}: delete it "
                             "(it makes two names that look the same differ)"))
        for word in _WORD.finditer(line):
            problem = mixed_script(word.group())
            if problem:
                problems.append((number, word.start() + 1, problem))
        if len(problems) > 20:
            break
    return problems[:20]


def mixed_script(word: str) -> str | None:
    """A message when ``word`` mixes Latin letters with Cyrillic or Greek ones (look-alikes)."""
    if word.isascii() or not _LATIN.search(word):
        return None
    for char in word:
        if not char.isascii() and char.isalpha():
            name = unicodedata.name(char, "")
            if name.startswith(_CONFUSABLE_SCRIPTS):
                return (f'"{word}" mixes Latin letters with {char_name(char)}, which looks like '
                        "a Latin letter: retype the word in Latin letters")
    return None


def yaml_problem(text: str) -> tuple[int, int, str] | None:
    """(line, col, message) (0-based line within ``text``) for the first YAML anchor or alias."""
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, yaml.AnchorToken | yaml.AliasToken):
                mark = token.start_mark
                return (mark.line, mark.column + 1,
                        "YAML anchors and aliases (&name, *name) are not allowed here: write "
                        "the values out")
    except yaml.YAMLError:
        return None  # the YAML parser reports it, located
    return None


def expression_problems(expression: str) -> list[tuple[int, str]]:
    """(offset, message) for an expression too long, too deeply nested, or holding characters
    outside string literals that are not ASCII. Linear in the text; runs before any parser."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        return [(0, f"the expression is {len(expression):,} characters long; the limit is "
                    f"{MAX_EXPRESSION_CHARS:,}: split it into several guardrails")]
    depth, run, quote = 0, 0, ""
    previous = ""
    i = 0
    while i < len(expression):
        char = expression[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif not char.isascii():
            return [(i, f"{char_name(char)} outside a string: CEL names are ASCII; retype it "
                        + ("(it looks like a Latin letter)" if char.isalpha() else "or delete it"))]
        if not quote and char in "!-":
            run = run + 1 if previous in "!-" or (previous.isspace() and run) else 1
        elif not char.isspace():
            run = 0
        if max(depth, run) > MAX_NESTING:
            return [(i, f"the expression nests deeper than {MAX_NESTING} levels: split it into "
                        "several guardrails")]
        previous = char
        i += 1
    return []


def quantifier_depth(tokens: Sequence[Token]) -> int:
    """How deep quantifiers (``l.all(x, ...)``...) nest in the expression. A quantifier over the
    result of another (``l.map(x, l).all(y, ...)``) counts one deeper too: its work multiplies."""
    best, depth = 0, 0
    open_at: list[tuple[int, int]] = []  # (bracket depth of the call, its level), innermost last
    closed: dict[int, int] = {}  # index of a quantifier call's ")" -> that quantifier's level
    for k, tok in enumerate(tokens):
        if tok.kind == "op" and tok.text in "([{":
            depth += 1
            if (tok.text == "(" and k >= 2 and tokens[k - 1].text in QUANTIFIERS
                    and tokens[k - 2].text == "."):
                outer = open_at[-1][1] if open_at else 0
                level = max(outer, closed.get(k - 3, 0)) + 1
                open_at.append((depth, level))
                best = max(best, level)
        elif tok.kind == "op" and tok.text in ")]}":
            if open_at and open_at[-1][0] == depth:
                closed[k] = open_at.pop()[1]
            depth -= 1
    return best


def quantifier_work(tokens: Sequence[Token], paths: Sequence[Path]) -> tuple[int, int]:
    """(steps, offset): the most evaluations nested quantifiers imply over the lists' declared
    sizes (the larger of minimum and maximum items; a list without either counts 1), and where
    the innermost quantifier of that chain is."""
    ends = {p.last: p for p in paths}
    best, where = 1, 0
    stack: list[tuple[int, int]] = []  # (bracket depth, product so far)
    depth = 0
    for k, tok in enumerate(tokens):
        if tok.kind == "op" and tok.text in "([{":
            depth += 1
            if (tok.text == "(" and k >= 2 and tokens[k - 1].text in QUANTIFIERS
                    and tokens[k - 2].text == "."):
                target = ends.get(k - 3)
                size = 1
                if target is not None and target.type is not None and target.type.kind == "list":
                    size = max(target.type.min_length or 0, target.type.max_length or 0, 1)
                product = (stack[-1][1] if stack else 1) * size
                stack.append((depth, product))
                if product > best:
                    best, where = product, tokens[k - 1].start
        elif tok.kind == "op" and tok.text in ")]}":
            if stack and stack[-1][0] == depth:
                stack.pop()
            depth -= 1
    return best, where


# ----------------------------------------------------------------------------- at run time

MAX_RUN_WORK = 1_000_000  # quantifier steps one guardrail may take on one input


@functools.lru_cache(maxsize=4096)
def expression_quantifier_depth(expression: str) -> int:
    from specwright.compiler.celscan import tokenize

    return quantifier_depth(tokenize(expression) or [])


def list_items(*values: Any) -> int:
    """How many list items ``values`` hold at every depth (without recursion)."""
    count, stack = 0, list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, list | tuple):
            count += len(value)
            stack.extend(value)
        elif isinstance(value, Mapping):
            stack.extend(value.values())
    return count


def run_work_problem(depth: int, items: int) -> str | None:
    """Why a guardrail with quantifiers nested ``depth`` deep is not evaluated on values holding
    ``items`` list items (each nested quantifier may visit every item), or None."""
    if depth < 2 or items ** depth <= MAX_RUN_WORK:
        return None
    return (f"not evaluated: {depth} nested quantifiers over {items:,} list items could take "
            f"{items ** depth:,} steps (the limit is {MAX_RUN_WORK:,}); send shorter lists")
