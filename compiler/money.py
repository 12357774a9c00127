"""Money compared exactly in guardrails: comparisons of money arithmetic are decided in cents.

Money is a decimal with at most 2 places, but CEL has no decimal type: money reaches CEL as a
double, and double arithmetic is binary (``10.2 + 10.1 + 0.3`` is ``20.599999999999998``, so
``== 20.6`` would be false). A comparison whose sides do arithmetic (``+ - * /``) on a money
field is therefore rewritten, before it is checked or run, to compare the *difference* of its
sides with half a cent::

    A == B   ->   (-0.005 < double(A) - double(B) && double(A) - double(B) < 0.005)
    A <  B   ->   double(A) - double(B) <= -0.005        (and so on for != <= > >=)

For sums and differences of amounts (and of literals with at most 2 decimals) this is exactly the
decimal comparison: the double error stays far below half a cent for any amount under 10^12, and
two different amounts differ by at least a cent. A product or a quotient (``input.total * 0.5``)
is compared to the cent: sides closer than half a cent are equal. Comparisons without arithmetic
(``output.refund <= input.total``) are exact as they are and are left alone, as are
comparisons with ``null`` and every expression without a money field, except a comparison of
two sides written with amounts only (``10.2 + 10.1 + 0.3 == 20.6``: number literals with at most
2 decimals), which is decided in cents too.

The rewritten text is what the compiled guardrail holds (``logic.json`` shows it), so the CEL
program and the runtime's Python fast path (``specwright.runtime.engine.native_cel``, which reads ``double()``)
evaluate the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from specwright.compiler.celscan import Path, Token

__all__ = ["HALF_CENT", "exact_money"]

HALF_CENT = "0.005"
_RELATIONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_STOPS = frozenset({"&&", "||", "?", ":", ","}) | _RELATIONS
_OPEN, _CLOSE = "([{", ")]}"
_ENDS_OPERAND = frozenset({"ident", "number", "string"})


def exact_money(expression: str, tokens: Sequence[Token], paths: Sequence[Path]) -> str:
    """``expression`` with every comparison of money arithmetic decided in cents."""
    money = [(p.first, p.last) for p in paths if p.type is not None and p.type.kind == "money"]
    if not money and not any(t.kind == "number" and "." in t.text for t in tokens):
        return expression
    edits: list[tuple[int, int, str]] = []  # (start offset, end offset, replacement)
    for k, tok in enumerate(tokens):
        if tok.kind != "op" or tok.text not in _RELATIONS:
            continue
        lo, hi = _left(tokens, k), _right(tokens, k)
        if lo is None or hi is None:
            continue
        left, right = (lo, k - 1), (k + 1, hi)
        tops = [_top(tokens, left), _top(tokens, right)]
        if any(tokens[i].text in _STOPS and tokens[i].kind == "op" for top in tops for i in top):
            continue  # a comparison or a condition inside parentheses: not an amount
        if not any(first in top for first, _ in money for top in tops) and not (
            _amounts(tokens, tops[0]) and _amounts(tokens, tops[1])
        ):
            continue
        if not (_arithmetic(tokens, tops[0]) or _arithmetic(tokens, tops[1])):
            continue
        if any(tokens[i].text == "null" for i in (lo, k - 1, k + 1, hi)):
            continue
        a, b = _text(expression, tokens, left), _text(expression, tokens, right)
        edits.append((tokens[lo].start, _end(tokens[hi]), _rewrite(tok.text, a, b)))
    # Nested comparisons (a comparison inside a quantifier of another) are rewritten outermost
    # first would lose the inner edit: apply only edits that do not overlap an earlier one.
    out, last = [], 0
    for start, end, text in sorted(edits):
        if start < last:
            continue
        out.append(expression[last:start])
        out.append(text)
        last = end
    out.append(expression[last:])
    return "".join(out)


def _rewrite(op: str, a: str, b: str) -> str:
    diff = f"double({a}) - double({b})"
    return {
        "==": f"(-{HALF_CENT} < {diff} && {diff} < {HALF_CENT})",
        "!=": f"({diff} <= -{HALF_CENT} || {diff} >= {HALF_CENT})",
        "<": f"({diff} <= -{HALF_CENT})",
        "<=": f"({diff} < {HALF_CENT})",
        ">": f"({diff} >= {HALF_CENT})",
        ">=": f"({diff} > -{HALF_CENT})",
    }[op]


def _left(tokens: Sequence[Token], k: int) -> int | None:
    """Index of the first token of the relation's left operand."""
    depth, j = 0, k - 1
    while j >= 0:
        text, op = tokens[j].text, tokens[j].kind == "op"
        if op and text in _CLOSE:
            depth += 1
        elif op and text in _OPEN:
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and op and text in _STOPS:
            break
        j -= 1
    return j + 1 if j + 1 < k else None


def _right(tokens: Sequence[Token], k: int) -> int | None:
    """Index of the last token of the relation's right operand."""
    depth, j = 0, k + 1
    while j < len(tokens):
        text, op = tokens[j].text, tokens[j].kind == "op"
        if op and text in _OPEN:
            depth += 1
        elif op and text in _CLOSE:
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and op and text in _STOPS:
            break
        j += 1
    return j - 1 if j - 1 > k else None


def _top(tokens: Sequence[Token], side: tuple[int, int]) -> list[int]:
    """The side's token indices outside calls, lists and maps (grouping parentheses are
    looked into): what the side itself computes, not what a call or a quantifier does."""
    found, stack = [], []  # stack: whether each open bracket is a grouping parenthesis
    for i in range(side[0], side[1] + 1):
        tok = tokens[i]
        if tok.kind == "op" and tok.text in _OPEN:
            call = tok.text != "(" or (i > side[0] and tokens[i - 1].kind == "ident")
            stack.append(not call)
            continue
        if tok.kind == "op" and tok.text in _CLOSE:
            if stack:
                stack.pop()
            continue
        if all(stack):
            found.append(i)
    return found


def _amounts(tokens: Sequence[Token], top: list[int]) -> bool:
    """The side is written with amounts only: number literals with at most 2 decimals and
    arithmetic (``10.2 + 10.1 + 0.3``), as a money literal is written."""
    numbers = [tokens[i].text for i in top if tokens[i].kind == "number"]
    return bool(numbers) and all(
        tokens[i].kind == "number" or (tokens[i].kind == "op" and tokens[i].text in "+-*/")
        for i in top
    ) and all(_cents(text) for text in numbers)


def _cents(text: str) -> bool:
    whole, dot, decimals = text.partition(".")
    return whole.isdigit() and (not dot or (decimals.isdigit() and len(decimals) <= 2))


def _arithmetic(tokens: Sequence[Token], top: list[int]) -> bool:
    """A binary ``+ - * / %`` among ``top`` (a leading or unary minus is not arithmetic)."""
    for i in top:
        tok = tokens[i]
        if tok.kind != "op" or tok.text not in "+-*/%" or i == 0:
            continue
        before = tokens[i - 1]
        if before.kind in _ENDS_OPERAND or before.text in (")", "]"):
            return True
    return False


def _end(tok: Token) -> int:
    return tok.start + len(tok.text)


def _text(expression: str, tokens: Sequence[Token], side: tuple[int, int]) -> str:
    return expression[tokens[side[0]].start:_end(tokens[side[1]])]
