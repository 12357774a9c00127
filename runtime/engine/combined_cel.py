"""A revision's decision tables and guardrails as two CEL programs over one scope per run.

Built once per revision (``RunPlan`` holds it). Per run, the input is converted into CEL values
once, into a ``cel.Context`` (the run's *scope*) that both programs execute in:

* the **table program** is a list of every *distinct* row condition of every table (tables often
  repeat a condition: a catch-all ``true``, a shared ``input.payment_status == "declined"``), and
  each table maps its rows onto that list;
* the **guardrail program** is a list of every guardrail's value, executed once the output is
  added to the scope.

Handing values to CEL is what costs: the binding converts every field of a map it is given, a few
microseconds each (it tries the types one after another), whatever the expression reads. So only
the fields some table or guardrail reads are handed over (``specwright.compiler.celscan.fields_read``), and,
where every expression allows it, as plain variables (``input.fraud_score`` read as
``__in__fraud_score``, ``specwright.compiler.celscan.flatten``) rather than as keys of an ``input`` map,
whose keys cost a conversion each too. An expression cannot observe a field it does not read, and
a plain variable holds exactly what the map's key held, so the values are those of
``specwright.compiler.evaluate``. Whatever raises here is evaluated again one by one by the caller, with the
expressions as compiled, for the exact results and messages.

Cheaper still: when every flattened condition and guardrail is in the plain grammar of
``specwright.runtime.engine.native_cel`` (comparisons with literals, ``&&``, ``||``, ``!``, ``in``), the scope is a
plain dict and the expressions run as Python closures, no value handed to CEL at all. A run whose
values those closures cannot judge exactly (``NativeUnsupported``) runs the CEL programs instead, in a
``cel.Context`` made from the same dict.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import cel

from specwright.compiler.celscan import fields_read, flatten
from specwright.compiler.evaluate import cel_program, to_cel_value
from specwright.compiler.ir import CompiledSpec, Field, FieldType
from specwright.runtime.engine.native_cel import Native, compile_native, plain_value
from specwright.runtime.errors import NativeUnsupported

log = logging.getLogger("specwright.pipeline")

INPUT_PREFIX, OUTPUT_PREFIX = "__in__", "__out__"
# Kinds whose CEL value is one builtin call away (``to_cel_value`` does exactly this for them).
_SCALAR_CONVERSIONS: dict[str, Callable[[Any], Any]] = {
    "number": float,
    "money": float,
    "integer": int,
    "boolean": bool,
}


@dataclass(frozen=True, slots=True, eq=False)
class CelValues:
    """``specwright.compiler.evaluate.to_cel_values`` over fixed fields, each field's conversion chosen
    once: the same values, without working out the type of every field on every run."""

    steps: tuple[tuple[str, Callable[[Any], Any], Any], ...]  # name, conversion, default
    texts: tuple[str, ...]  # the fields whose values may hold text (see ``plain``)

    @classmethod
    def of(cls, fields: tuple[Field, ...]) -> CelValues:
        steps = tuple(
            (
                f.name,
                _SCALAR_CONVERSIONS.get(f.type.kind) or _text_or(f.type),
                f.default if f.has_default else None,
            )
            for f in fields
        )
        texts = tuple(f.name for f in fields if f.type.kind not in _SCALAR_CONVERSIONS)
        return cls(steps, texts)

    def __call__(self, data: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, convert, default in self.steps:
            raw = data.get(name)
            if raw is None:
                raw = default
            values[name] = None if raw is None else convert(raw)
        return values

    def plain(self, values: Mapping[str, Any]) -> bool:
        """Every value can be judged natively (``specwright.runtime.engine.native_cel.plain_value``)."""
        return all(plain_value(values.get(name)) for name in self.texts)


def _text_or(ftype: FieldType) -> Callable[[Any], Any]:
    convert = partial(to_cel_value, ftype)
    if ftype.kind not in ("text", "enum"):
        return convert
    return lambda value: value if type(value) is str else convert(value)


@dataclass(frozen=True, slots=True, eq=False)
class CombinedCel:
    input_fields: tuple[Field, ...]  # the input fields some table or guardrail reads
    output_fields: tuple[Field, ...]  # the output fields some guardrail reads
    flat: bool  # fields are handed over as plain variables (else as ``input``/``output`` maps)
    table_program: Any  # ``cel.Program``: the list of distinct row conditions, or None
    table_rows: tuple[tuple[int, ...], ...]  # per table, per row: its condition's index
    guardrail_program: Any  # ``cel.Program``: the list of every guardrail's value, or None
    # The same two lists as Python closures (``specwright.runtime.engine.native_cel``), or None: CEL only.
    native_conditions: tuple[Native, ...] | None = None
    native_guardrails: tuple[Native, ...] | None = None
    input_values: CelValues = CelValues((), ())  # ``to_cel_values`` over ``input_fields``
    output_values: CelValues = CelValues((), ())  # ... over ``output_fields``

    def scope(self, input_values: Mapping[str, Any]) -> Any:
        """The run's scope with ``input_values`` (from ``to_cel_values`` over ``input_fields``):
        a ``cel.Context``, or a plain dict when the expressions run natively; None when there is
        nothing to run or the values do not convert."""
        if self.table_program is None and self.guardrail_program is None:
            return None
        if not self.flat:
            return _context({"input": dict(input_values)})
        variables = {INPUT_PREFIX + name: value for name, value in input_values.items()}
        if self.native_conditions is not None and self.input_values.plain(input_values):
            return variables
        return _context(variables)

    def table_flags(self, scope: Any) -> list[list[Any]] | None:
        """Every table's row flags (one list per table), or None if anything raised."""
        return self.flags_of(self.condition_values(scope))

    def flags_of(self, values: list[Any] | None) -> list[list[Any]] | None:
        """Every table's row flags, from ``condition_values``."""
        if values is None:
            return None
        return [[values[i] for i in rows] for rows in self.table_rows]

    def condition_values(self, scope: Any) -> list[Any] | None:
        """The value of every distinct row condition (``table_rows`` index this list), or None
        if anything raised."""
        if self.table_program is None or scope is None:
            return None
        values: Any = None
        if type(scope) is dict:
            values = _run_native(self.native_conditions, scope)
            if values is None:
                scope = _context(scope)
        if values is None and scope is not None:
            try:
                values = self.table_program.execute(scope)
            except Exception:  # noqa: BLE001 - some condition raised: evaluated one by one
                return None
        return values if isinstance(values, list) else None

    def guardrail_values(self, scope: Any, output_values: Mapping[str, Any]) -> list[Any] | None:
        """Every guardrail's value once ``output_values`` is in ``scope``, or None."""
        if self.guardrail_program is None or scope is None:
            return None
        try:
            if not self.flat:
                scope.add_variable("output", dict(output_values))
            elif type(scope) is dict:  # natively, unless these values need CEL
                variables = {**scope, **{OUTPUT_PREFIX + k: v for k, v in output_values.items()}}
                if self.output_values.plain(output_values):
                    values = _run_native(self.native_guardrails, variables)
                    if values is not None:
                        return values
                scope = cel.Context(variables)
            else:
                scope.update({OUTPUT_PREFIX + k: v for k, v in output_values.items()})
            values = self.guardrail_program.execute(scope)
        except Exception:  # noqa: BLE001 - some guardrail raised: evaluated one by one
            return None
        return values if isinstance(values, list) else None


def _run_native(natives: tuple[Native, ...] | None, variables: dict[str, Any]) -> list[Any] | None:
    """The closures' values, or None when some value is one they cannot judge (CEL will)."""
    if natives is None:
        return None
    try:
        return [native(variables) for native in natives]
    except NativeUnsupported:
        return None


def _context(variables: dict[str, Any]) -> Any:
    try:
        return cel.Context(variables)
    except Exception:  # noqa: BLE001 - evaluated one by one, which reports the problem
        return None


def combine(compiled: CompiledSpec) -> CombinedCel:
    spec = compiled.spec
    conditions = [row.condition for table in compiled.tables for row in table.rows]
    guardrails = [g.cel for g in compiled.guardrails]
    computed = [e for table in compiled.tables for row in table.rows for e in row.computed.values()]
    computed += [d.cel for table in compiled.tables for d in table.result_derived]
    input_fields = _read([*conditions, *guardrails, *computed], "input", spec.inputs)
    output_fields = _read(guardrails, "output", spec.outputs)
    in_names = [f.name for f in spec.inputs]
    out_names = [f.name for f in spec.outputs]
    flat_conditions = [flatten(c, "input", in_names, INPUT_PREFIX) for c in conditions]
    flat_guardrails = []
    for g in guardrails:
        text = flatten(g, "input", in_names, INPUT_PREFIX)
        flat_guardrails.append(
            None if text is None else flatten(text, "output", out_names, OUTPUT_PREFIX)
        )
    flat = all(t is not None for t in [*flat_conditions, *flat_guardrails])
    if flat:
        conditions = [t for t in flat_conditions if t is not None]
        guardrails = [t for t in flat_guardrails if t is not None]
    distinct: dict[str, int] = {}
    table_rows: list[tuple[int, ...]] = []
    position = 0
    for table in compiled.tables:
        indices = []
        for _ in table.rows:
            indices.append(distinct.setdefault(conditions[position], len(distinct)))
            position += 1
        table_rows.append(tuple(indices))
    table_program, guardrail_program = _program(list(distinct)), _program(guardrails)
    natives: tuple[tuple[Native, ...] | None, ...] = (None, None)
    if flat and (table_program is not None or guardrail_program is not None):
        # Natively only where the CEL programs exist too: they are the way out.
        compiled_conditions = [compile_native(c) for c in distinct] if table_program else []
        compiled_guardrails = [compile_native(g) for g in guardrails] if guardrail_program else []
        both = [*compiled_conditions, *compiled_guardrails]
        if all(n is not None for n in both):
            natives = (
                tuple(n for n in compiled_conditions if n is not None),
                tuple(n for n in compiled_guardrails if n is not None),
            )
    return CombinedCel(
        input_fields=input_fields,
        output_fields=output_fields,
        flat=flat,
        table_program=table_program,
        table_rows=tuple(table_rows),
        guardrail_program=guardrail_program,
        native_conditions=natives[0],
        native_guardrails=natives[1],
        input_values=CelValues.of(input_fields),
        output_values=CelValues.of(output_fields),
    )


def _read(expressions: Sequence[str], root: str, fields: tuple[Field, ...]) -> tuple[Field, ...]:
    """The fields of ``root`` that some expression reads (all of them if one may read any)."""
    names = [f.name for f in fields]
    read: set[str] = set()
    for expression in expressions:
        found = fields_read(expression, root, names)
        if found is None:
            return tuple(fields)
        read |= found
    return tuple(f for f in fields if f.name in read)


def _program(expressions: list[str]) -> Any:
    if not expressions:
        return None
    expression = "[" + ", ".join(f"({e})" for e in expressions) + "]"
    try:
        return cel_program(expression)
    except Exception as exc:  # noqa: BLE001 - never needed: the one-by-one path still works
        log.debug("not combined into one CEL program: %s", exc)
        return None
