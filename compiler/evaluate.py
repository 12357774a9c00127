"""Evaluate compiled decision tables and guardrails with CEL.

One implementation shared by the compiler (example and sample checks at compile time) and the
runtime (every run), so both agree on what a table row and a guardrail mean.

Values handed to CEL (see ``to_cel_values``): text, enum and date -> ``str`` (dates as ISO
``YYYY-MM-DD``, which compare correctly as strings); integer -> ``int``; number and money ->
``float``; yes/no -> ``bool``; datetime -> timezone-aware ``datetime`` (a CEL timestamp);
list -> ``list``; object -> ``dict``; an absent optional field -> ``None`` (CEL ``null``).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from specwright.compiler.cel_engine import engine
from specwright.compiler.errors import TableConflict, TableError, TableNoMatch
from specwright.compiler.hitpolicy import gather, gathers, ranked
from specwright.compiler.ir import CompiledGuardrail, CompiledRow, CompiledTable, Field, FieldType
from specwright.compiler.limits import expression_quantifier_depth, list_items, run_work_problem
from specwright.compiler.result_expr import compute, derived_read, problem_with, to_json
from specwright.compiler.timeofday import canonical_time

if TYPE_CHECKING:
    import cel

__all__ = [
    "GuardrailResult",
    "TableConflict",
    "TableError",
    "TableNoMatch",
    "TableOutcome",
    "cel_error",
    "cel_program",
    "display",
    "display_result",
    "evaluate_guardrails",
    "evaluate_table",
    "format_value",
    "is_nullable",
    "row_results",
    "to_cel_value",
    "to_cel_values",
]


# ----------------------------------------------------------------------------- errors and results


class TableOutcome(NamedTuple):
    rows: tuple[int, ...]  # the rows whose results were used (1-based, as the expert counts)
    results: dict[str, Any]  # output field -> JSON value; empty when nothing matched


class GuardrailResult(NamedTuple):
    label: str
    passed: bool
    line: int
    error: str | None = None  # the CEL error when the guardrail could not be evaluated


# ----------------------------------------------------------------------------- values


def is_nullable(field: Field) -> bool:
    """An optional field without a default: absent in the input means ``null`` in CEL."""
    return not field.required and not field.has_default


def to_cel_values(fields: Iterable[Field], data: Mapping[str, Any]) -> dict[str, Any]:
    """Convert a validated input or output (JSON or Python values) to the values CEL sees.

    Every declared field gets a key: absent fields take their default, or ``None``. Keys not
    declared are dropped. Nested objects and lists are converted recursively.
    """
    values: dict[str, Any] = {}
    for field in fields:
        raw = data.get(field.name)
        if raw is None and field.has_default:
            raw = field.default
        values[field.name] = None if raw is None else to_cel_value(field.type, raw)
    return values


def to_cel_value(ftype: FieldType, value: Any) -> Any:
    """Convert one non-null value of type ``ftype`` to its CEL value."""
    kind = ftype.kind
    if value is None:
        return None
    if kind in ("number", "money"):
        return float(value)
    if kind == "integer":
        return int(value)
    if kind == "boolean":
        return bool(value)
    if kind == "date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if kind == "datetime":
        return _aware(value)
    if kind == "time":
        return canonical_time(value)
    if kind == "list":
        items = ftype.items
        return [to_cel_value(items, v) if items else v for v in value]
    if kind == "object":
        if not ftype.fields:
            return dict(value)
        return to_cel_values(ftype.fields, value)
    if isinstance(value, enum.Enum):
        value = value.value
    return str(value)


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def _iso(value: dt.datetime) -> str:
    if value.tzinfo is None:
        return value.isoformat()
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def format_value(value: Any) -> str:
    """A value as it reads in a message: JSON for text, ``null`` for absent."""
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def display(value: Any, ftype: FieldType | None = None) -> str:
    """A value as a domain expert reads it in a diagnostic: yes/no, bare enum values and dates,
    quoted text (when ``ftype`` says it is text), whole numbers without ``.0``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if ftype and ftype.kind == "text" else value
    if isinstance(value, list):
        items = ftype.items if ftype else None
        return "[" + ", ".join(display(v, items) for v in value) + "]"
    return format_value(value)


def display_result(name: str, value: Any) -> str:
    """``name=value`` as in diagnostics; a computed result (``CompiledRow.written``) reads
    ``name = <expression>``."""
    if isinstance(value, str) and value.startswith("= "):
        return f"{name} {value}"
    return f"{name}={display(value)}"


# ----------------------------------------------------------------------------- CEL programs


@functools.lru_cache(maxsize=1024)
def cel_program(expression: str) -> cel.Program:
    """Compile a CEL expression once (pure: same string, same program)."""
    program: cel.Program = engine().compile(expression)
    return program


# ----------------------------------------------------------------------------- tables


def evaluate_table(
    table: CompiledTable,
    input_values: Mapping[str, Any],
    *,
    required: Iterable[str] = (),
    source: str = "",
) -> TableOutcome:
    """Evaluate ``table`` on CEL input values (from ``to_cel_values``) and apply its hit policy.

    ``required`` names the output fields that must get a value: when no row matches and the table
    decides one of them, ``TableNoMatch`` is raised (gathering tables never raise: no match is an
    empty list; but ``collect sum``/``min``/``max`` of no values is no value, and raises when
    required). The hit policies are ``specwright.compiler.hitpolicy``. A ``unique`` table
    matching several rows, or an ``any`` table whose matching rows disagree, raises
    ``TableConflict``; a computed result its output does not allow raises ``TableError``.
    ``source`` (the spec path) only improves messages.
    """
    where = (
        f"'{table.name}' ({source}:{table.line})"
        if source
        else f"'{table.name}' (line {table.line})"
    )
    try:
        flags = cel_program(table.cel).execute({"input": dict(input_values)})
    except Exception as exc:  # noqa: BLE001 - CEL raises plain Python errors of several kinds
        message = f"{where} could not be evaluated: {cel_error(exc)}"
        raise TableError(message, table.name, table.line) from exc
    matched = [row for row, hit in zip(table.rows, flags, strict=True) if hit is True]
    policy = table.hit_policy
    if gathers(table):
        matched = ranked(table, matched)
        results = gather(table, [row_results(table, row, input_values, where) for row in matched])
        if table.aggregation is None or results or not set(required) & set(table.outputs):
            return TableOutcome(tuple(row.number for row in matched), results)
        raise _no_match(table, where, input_values)  # sum/min/max of no values, but required
    if not matched:
        if set(required) & set(table.outputs):
            raise _no_match(table, where, input_values)
        return TableOutcome((), {})
    if policy == "unique" and len(matched) > 1:
        numbers = tuple(row.number for row in matched)
        both = "both" if len(numbers) == 2 else "all"
        message = f"{where} is unique but rows {_and(numbers)} {both} match"
        raise TableConflict(message, table.name, table.line, numbers)
    if policy == "any":
        first = row_results(table, matched[0], input_values, where)
        different = [
            row for row in matched[1:] if row_results(table, row, input_values, where) != first
        ]
        if different:
            numbers = (matched[0].number, different[0].number)
            message = (
                f"{where}: rows {numbers[0]} and {numbers[1]} both match but give different "
                f"results ({_results(first)} vs "
                f"{_results(row_results(table, different[0], input_values, where))})"
            )
            raise TableConflict(message, table.name, table.line, numbers)
        return TableOutcome(tuple(row.number for row in matched), first)
    chosen = ranked(table, matched)[0] if policy == "priority" else matched[0]
    return TableOutcome((chosen.number,), row_results(table, chosen, input_values, where))


def row_results(
    table: CompiledTable, row: CompiledRow, input_values: Mapping[str, Any], where: str = ""
) -> dict[str, Any]:
    """The row's results for this input: its values, and what its computed cells give
    (``result_expr``: exact, and checked against the output's type and constraints)."""
    if not row.computed:
        return dict(row.results)
    results = dict(row.results)
    derived: dict[str, Any] | None = None
    for name, expression in row.computed.items():
        ftype = table.computed[name]
        if derived is None and derived_read(expression):
            derived = result_derived_values(table, input_values)
        try:
            value = compute(expression, input_values, derived)
        except ArithmeticError as exc:
            problem = str(exc)
        else:
            found = problem_with(value, ftype)
            if found is None:
                results[name] = to_json(value, ftype)
                continue
            problem = f"{name} = {value} {found}"
        where = where or f"'{table.name}' (line {table.line})"
        message = f"{where}, row {row.number} (line {row.line}): = {expression}: {problem}"
        raise TableError(message, table.name, table.line, (row.number,))
    return results


def result_derived_values(
    table: CompiledTable, input_values: Mapping[str, Any]
) -> dict[str, Any]:
    """The derived values the table's computed results read (``CompiledTable.result_derived``),
    for this input: None where one cannot be computed (the result then says it has no value)."""
    values: dict[str, Any] = {}
    for value in table.result_derived:
        try:
            values[value.name] = cel_program(value.cel).execute({"input": dict(input_values)})
        except Exception:  # noqa: BLE001 - CEL raises plain Python errors of several kinds
            values[value.name] = None
    return values


def _no_match(table: CompiledTable, where: str, input_values: Mapping[str, Any]) -> TableNoMatch:
    shown = ", ".join(
        f"{n} absent" if input_values.get(n) is None else f"{n}={format_value(input_values[n])}"
        for n in table.inputs
    )
    return TableNoMatch(f"no row of {where} matches {shown or 'this input'}", table.name, table.line)


def _and(numbers: Sequence[int]) -> str:
    return ", ".join(str(n) for n in numbers[:-1]) + f" and {numbers[-1]}"


def _results(results: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={format_value(v)}" for k, v in results.items())


# ----------------------------------------------------------------------------- guardrails


def evaluate_guardrails(
    guardrails: Iterable[CompiledGuardrail],
    input_values: Mapping[str, Any],
    output_values: Mapping[str, Any],
) -> tuple[GuardrailResult, ...]:
    """Evaluate every guardrail on CEL values (from ``to_cel_values``), in order.

    A guardrail passes only when it evaluates to ``true``. One that raises (a type error, a missing
    key, a division by zero) or yields a non-boolean fails, with the reason in ``error``.
    """
    context = {"input": dict(input_values), "output": dict(output_values)}
    results = []
    items: int | None = None  # list items in the values, counted when a guardrail needs it
    for guardrail in guardrails:
        depth = expression_quantifier_depth(guardrail.cel)
        if depth > 1:  # nested quantifiers: bounded work (specwright.compiler.limits)
            items = list_items(input_values, output_values) if items is None else items
            if (too_much := run_work_problem(depth, items)) is not None:
                results.append(GuardrailResult(guardrail.label, False, guardrail.line, too_much))
                continue
        try:
            value = cel_program(guardrail.cel).execute(context)
        except Exception as exc:  # noqa: BLE001 - CEL raises plain Python errors of several kinds
            results.append(GuardrailResult(guardrail.label, False, guardrail.line, cel_error(exc)))
            continue
        if isinstance(value, bool):
            results.append(GuardrailResult(guardrail.label, value, guardrail.line))
        else:
            error = f"evaluated to {format_value(value)}, not true or false"
            results.append(GuardrailResult(guardrail.label, False, guardrail.line, error))
    return tuple(results)


def cel_error(exc: BaseException) -> str:
    """A CEL evaluation error as one readable line."""
    if isinstance(exc, KeyError):
        return f"no such key: {exc.args[0]!r}" if exc.args else "no such key"
    text = (str(exc).strip() or type(exc).__name__).splitlines()[0]
    if text.startswith("No such overload"):
        return "No such overload: the operand types do not match (CEL does not convert types)"
    if text.startswith("Unsupported operation"):
        first = text.split(". ")[0]
        hint = (
            " (write 1.0, not 1, next to a number)" if "float" in first and "int" in first else ""
        )
        return f"{first}: CEL does not convert between types{hint}"
    return text
