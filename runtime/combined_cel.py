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
the fields some table or guardrail reads are handed over (``compiler.celscan.fields_read``), and,
where every expression allows it, as plain variables (``input.fraud_score`` read as
``__in__fraud_score``, ``compiler.celscan.flatten``) rather than as keys of an ``input`` map,
whose keys cost a conversion each too. An expression cannot observe a field it does not read, and
a plain variable holds exactly what the map's key held, so the values are those of
``compiler.evaluate``. Whatever raises here is evaluated again one by one by the caller, with the
expressions as compiled, for the exact results and messages.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cel

from compiler.celscan import fields_read, flatten
from compiler.evaluate import cel_program
from compiler.ir import CompiledSpec, Field

log = logging.getLogger("specwright.pipeline")

INPUT_PREFIX, OUTPUT_PREFIX = "__in__", "__out__"


@dataclass(frozen=True, slots=True, eq=False)
class CombinedCel:
    input_fields: tuple[Field, ...]  # the input fields some table or guardrail reads
    output_fields: tuple[Field, ...]  # the output fields some guardrail reads
    flat: bool  # fields are handed over as plain variables (else as ``input``/``output`` maps)
    table_program: Any  # ``cel.Program``: the list of distinct row conditions, or None
    table_rows: tuple[tuple[int, ...], ...]  # per table, per row: its condition's index
    guardrail_program: Any  # ``cel.Program``: the list of every guardrail's value, or None

    def scope(self, input_values: Mapping[str, Any]) -> Any:
        """The run's ``cel.Context`` with ``input_values`` (from ``to_cel_values`` over
        ``input_fields``), or None when there is nothing to run or the values do not convert."""
        if self.table_program is None and self.guardrail_program is None:
            return None
        variables = (
            {INPUT_PREFIX + name: value for name, value in input_values.items()}
            if self.flat
            else {"input": dict(input_values)}
        )
        try:
            return cel.Context(variables)
        except Exception:  # noqa: BLE001 - evaluated one by one, which reports the problem
            return None

    def table_flags(self, scope: Any) -> list[list[Any]] | None:
        """Every table's row flags (one list per table), or None if anything raised."""
        if self.table_program is None or scope is None:
            return None
        try:
            values = self.table_program.execute(scope)
        except Exception:  # noqa: BLE001 - some condition raised: evaluated one by one
            return None
        if not isinstance(values, list):
            return None
        return [[values[i] for i in rows] for rows in self.table_rows]

    def guardrail_values(self, scope: Any, output_values: Mapping[str, Any]) -> list[Any] | None:
        """Every guardrail's value once ``output_values`` is in ``scope``, or None."""
        if self.guardrail_program is None or scope is None:
            return None
        try:
            if self.flat:
                scope.update({OUTPUT_PREFIX + k: v for k, v in output_values.items()})
            else:
                scope.add_variable("output", dict(output_values))
            values = self.guardrail_program.execute(scope)
        except Exception:  # noqa: BLE001 - some guardrail raised: evaluated one by one
            return None
        return values if isinstance(values, list) else None


def combine(compiled: CompiledSpec) -> CombinedCel:
    spec = compiled.spec
    conditions = [row.condition for table in compiled.tables for row in table.rows]
    guardrails = [g.cel for g in compiled.guardrails]
    input_fields = _read([*conditions, *guardrails], "input", spec.inputs)
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
    return CombinedCel(
        input_fields=input_fields,
        output_fields=output_fields,
        flat=flat,
        table_program=_program(list(distinct)),
        table_rows=tuple(table_rows),
        guardrail_program=_program(guardrails),
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
