"""Spec fields as z3 variables, and the CEL tree of ``smt_cel.py`` as z3 terms.

Each field of a decision table or guardrail gets one variable over exactly the values an input can
take after validation: yes/no a Bool; integer an Int; number a Real; money an Int of cents (at most
2 decimal places); one of: an index into its values; text an index into the literals the spec
compares it with, plus one more index for "any other text" (a concrete valid value is chosen, so a
counterexample can be run); date an Int day number; date and time a Real of seconds. Optional
fields without a default also get a Bool ``present``: absent is CEL ``null``.

Terms carry CEL's error semantics: ``null < 5`` is an error, ``false && error`` is false,
``true || error`` is true, so a guardrail that errors counts as broken, as at run time.

Imported only when a spec has decision tables (z3 is a large import).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import z3

from specwright.compiler.errors import NotAnalysable
from specwright.compiler.ir import Field
from specwright.compiler.overlap import other_text, valid_text
from specwright.compiler.smt_cel import Lit, Node, Ref
from specwright.compiler.timeofday import DAY_SECONDS, iso_time, time_seconds

_KINDS = {
    "boolean": "bool",
    "integer": "int",
    "number": "real",
    "money": "money",
    "enum": "enum",
    "text": "text",
    "date": "date",
    "datetime": "datetime",
    "time": "time",  # seconds since midnight
}
NO = z3.BoolVal(False)  # "never": shared, so ``err is NO`` skips building error terms
_ORDERED = frozenset({"int", "real", "money", "date", "datetime", "time"})
_NUMERIC = frozenset({"int", "real", "money"})


def fraction(value: float | int) -> Fraction:
    """A CEL number as an exact fraction of what was written (0.1 is 1/10, as a double compares)."""
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


@functools.lru_cache(maxsize=4096)
def real(value: Fraction) -> z3.ArithRef:
    """The constant (cached: building z3 terms from Python costs more than solving here)."""
    return z3.RealVal(f"{value.numerator}/{value.denominator}")


@functools.lru_cache(maxsize=4096)
def integer(value: int) -> z3.ArithRef:
    return z3.IntVal(value)


class Var:
    """One field as a z3 variable, with its domain and its conversions to and from JSON values."""

    def __init__(self, root: str, field: Field, nullable: bool, texts: list[str]) -> None:
        kind = _KINDS.get(field.type.kind)
        if kind is None:
            raise NotAnalysable(f"{root}.{field.name} ({field.type.kind})")
        self.root, self.field, self.kind = root, field, kind
        name = f"{root}.{field.name}"
        self.present: z3.BoolRef = z3.Bool(name + "?") if nullable else z3.BoolVal(True)
        self.nullable = nullable
        self.other: str | None = None
        self.texts: tuple[str, ...] = ()
        self.inexact = ""  # why the domain is not every valid value ("" when it is)
        if kind == "bool":
            self.val: z3.ExprRef = z3.Bool(name)
        elif kind in ("real", "datetime"):
            self.val = z3.Real(name)
        else:
            self.val = z3.Int(name)
        if kind == "enum":
            self.texts = field.type.values
        elif kind == "text":
            valid = sorted({t for t in texts if self.valid_text(t)}) if root == "input" else texts
            self.texts = tuple(dict.fromkeys(valid))
            self.other = other_text(field.type, self.texts)
            if self.other is None and root == "input":
                self.inexact = f"no other value of {field.name} than the ones the spec names"

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def absent(self) -> z3.BoolRef:
        """True when the field is absent (the shared ``NO`` when it is never absent)."""
        return z3.Not(self.present) if self.nullable else NO

    def valid_text(self, text: str) -> bool:
        return valid_text(self.field.type, text)

    def domain(self) -> list[z3.BoolRef]:
        """The constraints every valid value satisfies."""
        ftype, kind, v = self.field.type, self.kind, self.val
        found: list[z3.BoolRef] = []
        if kind in ("enum", "text"):
            count = len(self.texts) + (1 if self.other is not None else 0)
            found += [v >= 0, v < count]
        elif kind == "date":
            found += [v >= 1, v <= dt.date.max.toordinal()]
        elif kind == "time":
            found += [v >= 0, v <= DAY_SECONDS - 1]
        elif kind in _NUMERIC and self.root == "input":
            number = self.number()
            for bound, test in (
                (ftype.minimum, lambda b: number >= b),
                (ftype.maximum, lambda b: number <= b),
                (ftype.exclusive_minimum, lambda b: number > b),
                (ftype.exclusive_maximum, lambda b: number < b),
            ):
                if bound is not None:
                    found.append(test(real(fraction(bound))))
        return found

    def number(self) -> z3.ArithRef:
        """The value as a number (money: cents / 100)."""
        if self.kind == "money":
            return z3.ToReal(self.val) / 100
        return self.val

    def encode(self, value: Any) -> z3.ExprRef | None:
        """A CEL literal in this variable's terms; None when no value of the field equals it."""
        kind = self.kind
        if kind == "bool":
            return z3.BoolVal(value) if isinstance(value, bool) else None
        if kind in _NUMERIC and isinstance(value, int | float) and not isinstance(value, bool):
            exact = fraction(value)
            if kind == "int" and exact.denominator == 1:
                return integer(int(exact))
            return real(exact)
        if kind in ("enum", "text") and isinstance(value, str):
            return integer(self.texts.index(value)) if value in self.texts else None
        if kind == "date" and isinstance(value, str):
            try:
                return z3.IntVal(dt.date.fromisoformat(value).toordinal())
            except ValueError:
                raise NotAnalysable(f"the date {value!r}") from None
        if kind == "time" and isinstance(value, str):
            seconds = time_seconds(value)
            if seconds is None or len(value) != len("00:00:00"):
                # CEL compares the text: only the canonical HH:MM:SS orders as time does
                raise NotAnalysable(f"the time of day {value!r} (write it as HH:MM:SS)")
            return z3.IntVal(seconds)
        if kind == "datetime" and isinstance(value, dt.datetime):
            return real(Fraction(value.timestamp()).limit_denominator(10**6))
        raise NotAnalysable(f"{self.root}.{self.name} compared with {value!r}")

    def compared(self) -> z3.ExprRef:
        return self.number() if self.kind in _NUMERIC else self.val

    def fix(self, value: Any) -> z3.BoolRef:
        """The constraint: this field has the JSON ``value`` (None: absent)."""
        if value is None:
            return z3.Not(self.present)
        kind = self.kind
        if kind == "money":
            target: z3.ExprRef = z3.IntVal(int(round(Fraction(repr(float(value))) * 100)))
        elif kind in ("enum", "text"):
            index = self.texts.index(value) if value in self.texts else len(self.texts)
            target = integer(index)
        elif kind == "date":
            target = z3.IntVal(dt.date.fromisoformat(value).toordinal())
        elif kind == "time":
            target = z3.IntVal(time_seconds(str(value)) or 0)
        elif kind == "datetime":
            stamp = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
            target = real(Fraction(stamp).limit_denominator(10**6))
        elif kind == "bool":
            target = z3.BoolVal(bool(value))
        elif kind == "int":
            target = integer(int(value))
        else:
            target = real(fraction(value))
        return self.when_present(self.val == target)

    def when_present(self, condition: z3.BoolRef) -> z3.BoolRef:
        """``condition`` and the field is present (just ``condition`` when it always is)."""
        return z3.And(self.present, condition) if self.nullable else condition

    def decode(self, model: z3.ModelRef) -> Any:
        """This field's JSON value in ``model`` (None: absent)."""
        if not z3.is_true(model.eval(self.present, model_completion=True)):
            return None
        value = model.eval(self.val, model_completion=True)
        kind = self.kind
        if kind == "bool":
            return z3.is_true(value)
        if kind in ("real", "datetime"):
            exact = Fraction(value.as_fraction())
            if kind == "datetime":
                moment = dt.datetime.fromtimestamp(float(exact), dt.UTC)
                return moment.isoformat().replace("+00:00", "Z")
            return int(exact) if exact.denominator == 1 else float(exact)
        number = value.as_long()
        if kind == "money":
            return number // 100 if number % 100 == 0 else number / 100
        if kind in ("enum", "text"):
            return self.texts[number] if number < len(self.texts) else self.other
        if kind == "date":
            return dt.date.fromordinal(number).isoformat()
        if kind == "time":
            return iso_time(number)
        return number


@dataclass(frozen=True, slots=True)
class Term:
    """A translated subexpression: ``kind`` bool/num (``v`` a z3 term), ref (``var``), lit (``v``
    a Python value) or list (``v`` a tuple of Terms). ``err``: when evaluating it raises."""

    kind: str
    v: Any
    err: z3.BoolRef
    var: Var | None = None




class Translator:
    """Translates CEL trees over the given variables (``(root, name) -> Var``)."""

    def __init__(self, variables: dict[tuple[str, str], Var]) -> None:
        self.vars = variables

    def condition(self, node: Node) -> tuple[z3.BoolRef, z3.BoolRef]:
        """(value, error) of a boolean expression."""
        term = self.boolean(self.term(node))
        return term.v, term.err

    def term(self, node: Node) -> Term:
        if isinstance(node, Lit):
            return Term("lit", node.value, NO)
        if isinstance(node, Ref):
            var = self.vars.get((node.root, node.name))
            if var is None:
                raise NotAnalysable(f"{node.root}.{node.name}")
            return Term("ref", None, NO, var)
        args = node.args
        op = node.op
        if op == "list":
            return Term("list", tuple(self.term(a) for a in args), NO)
        if op == "!":
            inner = self.boolean(self.term(args[0]))
            return Term("bool", z3.Not(inner.v), inner.err)
        if op in ("&&", "||"):
            a, b = (self.boolean(self.term(x)) for x in args)
            return _logic(op, a, b)
        if op == "?:":
            c = self.boolean(self.term(args[0]))
            yes, no = self.term(args[1]), self.term(args[2])
            if self.numeric(yes) or self.numeric(no):
                y, n = self.number(yes), self.number(no)
            else:
                y, n = self.boolean(yes), self.boolean(no)
            err = either(c.err, y.err, n.err) if y.err is NO and n.err is NO else z3.Or(
                c.err, z3.And(c.v, y.err), z3.And(z3.Not(c.v), n.err)
            )
            return Term(y.kind, z3.If(c.v, y.v, n.v), err)
        if op in ("int", "double"):
            inner = self.number(self.term(args[0]))
            value = z3.ToReal(inner.v) if z3.is_int(inner.v) else inner.v
            if op == "int":  # CEL's int() of a double: toward zero
                value = z3.If(value >= 0, z3.ToInt(value), -z3.ToInt(-value))
            return Term("num", value, inner.err)
        if op == "neg":
            inner = self.number(self.term(args[0]))
            return Term("num", -inner.v, inner.err)
        if op == "round":  # a computed result's round(x, places): halves away from zero, exact
            inner = self.number(self.term(args[0]))
            places = args[1].value if isinstance(args[1], Lit) else 0
            scale = z3.RealVal(10 ** int(places))
            half = z3.RealVal(Fraction(1, 2))
            x = inner.v * scale
            whole = z3.If(x >= 0, z3.ToInt(x + half), -z3.ToInt(-x + half))
            return Term("num", z3.ToReal(whole) / scale, inner.err)
        if op in ("+", "-", "*", "/"):
            return self.arithmetic(op, args[0], args[1])
        if op == "in":
            left, right = self.term(args[0]), self.term(args[1])
            if right.kind != "list":
                raise NotAnalysable("'in' over something other than a written list")
            tests = [self.compare("==", left, item) for item in right.v]
            return Term(
                "bool", z3.Or(*(t.v for t in tests)) if tests else NO, either(*(t.err for t in tests))
            )
        return self.compare(op, self.term(args[0]), self.term(args[1]))

    @staticmethod
    def numeric(term: Term) -> bool:
        """Whether ``term`` is a number (so a conditional over it is a number too)."""
        if term.kind == "ref":
            return term.var is not None and term.var.kind in _NUMERIC
        if term.kind == "lit":
            return isinstance(term.v, int | float) and not isinstance(term.v, bool)
        return term.kind == "num"

    def boolean(self, term: Term) -> Term:
        if term.kind == "bool":
            return term
        if term.kind == "lit" and isinstance(term.v, bool):
            return Term("bool", z3.BoolVal(term.v), NO)
        if term.kind == "ref" and term.var is not None and term.var.kind == "bool":
            var = term.var
            return Term("bool", var.when_present(var.val), var.absent)
        raise NotAnalysable("a value used as a condition that is not yes/no")

    def number(self, term: Term) -> Term:
        if term.kind == "num":
            return term
        if term.kind == "lit" and isinstance(term.v, int | float) and not isinstance(term.v, bool):
            return Term("num", real(fraction(term.v)), NO)
        if term.kind == "ref" and term.var is not None and term.var.kind in _NUMERIC:
            var = term.var
            return Term("num", var.number(), var.absent)
        raise NotAnalysable("arithmetic on a value that is not a number")

    def arithmetic(self, op: str, left: Node, right: Node) -> Term:
        a, b = self.number(self.term(left)), self.number(self.term(right))
        err = either(a.err, b.err)
        if op == "+":
            return Term("num", a.v + b.v, err)
        if op == "-":
            return Term("num", a.v - b.v, err)
        if op == "*":
            if not (isinstance(left, Lit) or isinstance(right, Lit)):
                raise NotAnalysable("a product of two fields (not linear)")
            return Term("num", a.v * b.v, err)
        if not isinstance(right, Lit) or not right.value:
            raise NotAnalysable("a division by something other than a number")
        if isinstance(right.value, int) and z3.is_int(a.v):
            raise NotAnalysable("a division of whole numbers (CEL rounds it)")
        return Term("num", a.v / b.v, err)

    def compare(self, op: str, a: Term, b: Term) -> Term:
        if a.kind == "lit" and b.kind != "lit":
            a, b = b, a
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        if "list" in (a.kind, b.kind):
            raise NotAnalysable("a comparison with a list")
        if b.kind == "lit" and b.v is None:
            if op not in ("==", "!="):
                raise NotAnalysable("an order comparison with null")
            absent = a.var.absent if a.kind == "ref" and a.var else NO
            return Term("bool", absent if op == "==" else z3.Not(absent), a.err)
        if a.kind == "lit":
            raise NotAnalysable("a comparison of two literals")
        if a.kind == "ref" and b.kind == "lit":
            assert a.var is not None
            var = a.var
            encoded = var.encode(b.v)
            if op in ("==", "!="):
                same = NO if encoded is None else var.when_present(var.compared() == encoded)
                return Term("bool", same if op == "==" else z3.Not(same), NO)
            if var.kind not in _ORDERED or encoded is None:
                raise NotAnalysable(f"an order comparison of {var.root}.{var.name}")
            return Term("bool", _order(op, var.compared(), encoded), var.absent)
        if a.kind == "ref" and b.kind == "ref":
            return self._refs(op, a, b)
        if "bool" in (a.kind, b.kind):
            x, y = self.boolean(a), self.boolean(b)
            if op not in ("==", "!="):
                raise NotAnalysable("an order comparison of yes/no values")
            same = x.v == y.v
            return Term("bool", same if op == "==" else z3.Not(same), either(x.err, y.err))
        x, y = self.number(a), self.number(b)
        err = either(x.err, y.err)
        if op in ("==", "!="):
            return Term("bool", (x.v == y.v) if op == "==" else (x.v != y.v), err)
        return Term("bool", _order(op, x.v, y.v), err)

    def _refs(self, op: str, a: Term, b: Term) -> Term:
        x, y = a.var, b.var
        assert x is not None and y is not None
        numeric = x.kind in _NUMERIC and y.kind in _NUMERIC
        same_kind = x.kind == y.kind and x.kind in ("bool", "date", "datetime", "time")
        same_enum = x.kind == y.kind == "enum" and x.texts == y.texts
        if not (numeric or same_kind or same_enum):
            raise NotAnalysable(f"a comparison of {x.root}.{x.name} with {y.root}.{y.name}")
        both = z3.And(x.present, y.present)
        if op in ("==", "!="):
            same = z3.Or(
                z3.And(both, x.compared() == y.compared()), z3.And(x.absent, y.absent)
            )
            return Term("bool", same if op == "==" else z3.Not(same), NO)
        if x.kind in ("bool", "enum"):
            raise NotAnalysable("an order comparison of values without an order")
        return Term("bool", _order(op, x.compared(), y.compared()), either(x.absent, y.absent))


def _order(op: str, a: Any, b: Any) -> z3.BoolRef:
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    raise NotAnalysable(f"the operator {op}")


def either(*errors: z3.BoolRef) -> z3.BoolRef:
    """The disjunction of error conditions, ``NO`` itself when none can happen."""
    real_ones = [e for e in errors if e is not NO]
    if not real_ones:
        return NO
    return real_ones[0] if len(real_ones) == 1 else z3.Or(*real_ones)


def _logic(op: str, a: Term, b: Term) -> Term:
    """CEL's commutative && and ||: a definite false (true) wins over an error in the other side."""
    if a.err is NO and b.err is NO:
        return Term("bool", z3.And(a.v, b.v) if op == "&&" else z3.Or(a.v, b.v), NO)
    ok_a, ok_b = z3.Not(a.err), z3.Not(b.err)
    if op == "&&":
        decisive = z3.Or(z3.And(ok_a, z3.Not(a.v)), z3.And(ok_b, z3.Not(b.v)))
        value = z3.And(a.v, b.v)
    else:
        decisive = z3.Or(z3.And(ok_a, a.v), z3.And(ok_b, b.v))
        value = z3.Or(a.v, b.v)
    err = z3.And(z3.Or(a.err, b.err), z3.Not(decisive))
    return Term("bool", value, err)
