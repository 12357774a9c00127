"""Guardrails: CEL over ``input`` and ``output``, checked at compile time in four steps.

1. Static reading (``celscan.py``): unknown fields (with did-you-mean) and comparisons of a field
   with a literal of the wrong type or an unknown enum value, located at the exact column.
2. Compilation: syntax errors located where CEL reports them.
3. CEL's type checker over the spec's declared types (``cel_check.py``): every sub-expression,
   in every branch and inside macros, must type, and the whole must be true or false.
4. Evaluation on deterministic samples (``samples.py``): the expression must run and give true or
   false when every optional field is present, and also when optional fields are absent (null),
   which the checker cannot see. A failure that only happens then names the optional field and
   the guard to add (``input.x != null && ...``): ``has(input.x)`` does not help, an absent
   field is present as null.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from specwright.compiler import cel_check
from specwright.compiler.celscan import Path, scan, tokenize
from specwright.compiler.derived_inline import (
    as_inputs,
    derived_fields,
    derived_values,
    inline_derived,
)
from specwright.compiler.evaluate import (
    cel_error,
    cel_program,
    format_value,
    is_nullable,
    to_cel_values,
)
from specwright.compiler.ir import (
    REVIEW_LABEL,
    CompiledDerived,
    CompiledGuardrail,
    Field,
    Guardrail,
    Loc,
    Spec,
)
from specwright.compiler.limits import (
    MAX_QUANTIFIER_DEPTH,
    MAX_WORK,
    expression_problems,
    quantifier_depth,
    quantifier_work,
)
from specwright.compiler.money import exact_money
from specwright.compiler.report import Reporter
from specwright.compiler.samples import Sample, samples


class CheckedGuardrail(NamedTuple):
    compiled: CompiledGuardrail
    output_reads: frozenset[str]  # top-level Output fields it reads
    reads_all_output: bool  # it reads ``output`` as a whole


class _Context(NamedTuple):
    description: str
    input: dict[str, Any]  # JSON sample values
    output: dict[str, Any]
    derived: tuple[CompiledDerived, ...] = ()  # read as ``derived.<name>`` before inlining

    def cel(self, spec: Spec) -> dict[str, Any]:
        values = {
            "input": to_cel_values(spec.inputs, self.input),
            "output": to_cel_values(spec.outputs, self.output),
        }
        if self.derived:
            values["derived"] = derived_values(self.derived, values["input"])
        return values


def compile_guardrails(
    spec: Spec, report: Reporter, derived: tuple[CompiledDerived, ...] = ()
) -> tuple[CheckedGuardrail, ...]:
    """Check and compile every guardrail. Returns those without problems. A guardrail may read
    the ``derived`` values as ``derived.<name>``; its compiled CEL has them inlined."""
    inputs, outputs = samples(spec.inputs), samples(spec.outputs)
    complete = _pairs([s for s in inputs if s.complete], [s for s in outputs if s.complete],
                      derived)
    absent = _pairs([s for s in inputs if not s.complete], [s for s in outputs if not s.complete],
                    derived)
    checked: list[CheckedGuardrail] = []
    labels: dict[str, Guardrail] = {}
    for guardrail in spec.guardrails:
        first = labels.setdefault(guardrail.label, guardrail)
        if first is not guardrail:
            report.at_loc(
                guardrail.loc,
                f"guardrail '{guardrail.label}' appears twice (first on line "
                f"{first.loc.line}): give each guardrail its own label",
            )
        before = report.count
        found = _check(spec, guardrail, complete, absent, report)
        if report.count == before and found is not None:
            paths, cel = found
            outputs_read = [p for p in paths if p.root == "output"]
            compiled = CompiledGuardrail(label=guardrail.label, cel=cel, line=guardrail.loc.line)
            checked.append(
                CheckedGuardrail(
                    compiled,
                    frozenset(p.names[0] for p in outputs_read if p.names),
                    any(not p.names for p in outputs_read),
                )
            )
    return tuple(checked)


def compile_condition(
    spec: Spec, report: Reporter, derived: tuple[CompiledDerived, ...] = ()
) -> CompiledGuardrail | None:
    """The front matter's ``review when``, checked exactly like a guardrail (a condition over
    input and output that must give true or false on every sample), or None."""
    if spec.review is None:
        return None
    inputs, outputs = samples(spec.inputs), samples(spec.outputs)
    complete = _pairs([s for s in inputs if s.complete], [s for s in outputs if s.complete],
                      derived)
    absent = _pairs([s for s in inputs if not s.complete], [s for s in outputs if not s.complete],
                    derived)
    before = report.count
    paths = _check(spec, spec.review, complete, absent, report)
    if report.count != before or paths is None:
        return None
    expression = spec.review.expression.strip()
    if derived:
        expression = inline_derived(expression, derived)
    return CompiledGuardrail(label=REVIEW_LABEL, cel=expression, line=spec.review.loc.line)


def _what(label: str) -> str:
    """How messages name the condition: a guardrail by its label, or the review condition."""
    return "review when" if label == REVIEW_LABEL else f"guardrail '{label}'"


def _pairs(
    inputs: Sequence[Sample], outputs: Sequence[Sample], derived: tuple[CompiledDerived, ...] = ()
) -> list[_Context]:
    count = max(len(inputs), len(outputs))
    if not inputs or not outputs:
        return []
    return [
        _Context(
            _describe(inputs[i % len(inputs)], outputs[i % len(outputs)]),
            inputs[i % len(inputs)].values,
            outputs[i % len(outputs)].values,
            derived,
        )
        for i in range(count)
    ]


def _describe(inp: Sample, out: Sample) -> str:
    return (
        inp.description
        if inp.description == out.description
        else f"{inp.description}, {out.description}"
    )


def _at(guardrail: Guardrail, offset: int) -> Loc:
    """The file location of a character of the expression."""
    prefix = guardrail.expression[:offset]
    newlines = prefix.count("\n")
    if not newlines:
        return Loc(line=guardrail.loc.line, col=guardrail.loc.col + offset)
    return Loc(line=guardrail.loc.line + newlines, col=offset - prefix.rfind("\n"))


def _check(
    spec: Spec,
    guardrail: Guardrail,
    complete: list[_Context],
    absent: list[_Context],
    report: Reporter,
) -> tuple[list[Path], str] | None:
    """The paths the guardrail reads and the CEL it compiles to, or None (reported)."""
    label, expression = guardrail.label, guardrail.expression
    if not expression.strip():
        report.at_loc(
            guardrail.loc,
            f"{_what(label)} has no expression: write it in CEL, "
            "e.g. `output.refund_amount <= input.order_total`",
        )
        return None
    limited = expression_problems(expression)  # size and nesting, before any parser
    for offset, problem in limited:
        report.at_loc(_at(guardrail, offset), f"guardrail '{label}': {problem}")
    if limited:
        return None
    derived = complete[0].derived if complete else ()
    found = scan(expression, spec.inputs, spec.outputs, derived_fields(derived))
    for offset, problem in found.problems:
        report.at_loc(_at(guardrail, offset), f"{_what(label)}: {problem}")
    if found.problems:
        return None
    if (work := _work_problem(expression, found.paths)) is not None:
        report.at_loc(_at(guardrail, work[0]), f"guardrail '{label}': {work[1]}")
        return None
    try:
        cel_program(expression)
    except ValueError as exc:
        line, col, message = _syntax_error(str(exc))
        lines = expression.split("\n")
        offset = sum(len(text) + 1 for text in lines[: line - 1]) + col - 1
        report.at_loc(_at(guardrail, offset), f"{_what(label)}: CEL syntax error: {message}")
        return None
    typed = cel_check.problems(
        as_inputs(expression, derived) if derived else expression,
        (*spec.inputs, *derived_fields(derived)),
        spec.outputs,
    )
    for offset, problem in typed:
        report.at_loc(_at(guardrail, offset), f"{_what(label)}: {problem}")
    if typed:
        return None
    cel = exact_money(expression, tokenize(expression) or [], found.paths).strip()
    if derived:
        cel = inline_derived(cel, derived)
    for context in complete:
        if failure := _run(cel, context.cel(spec)):
            report.at_loc(
                guardrail.loc,
                f"{_what(label)} {failure} (on a sample where {context.description})",
            )
            return None
    for context in absent:
        if failure := _run(cel, context.cel(spec)):
            _report_absent(spec, guardrail, found.paths, complete[0], failure, report, cel)
            return None
    return found.paths, cel


def _work_problem(expression: str, paths: list[Path]) -> tuple[int, str] | None:
    """Quantifiers nested too deep, or over lists so large one evaluation takes too long."""
    tokens = tokenize(expression) or []
    depth = quantifier_depth(tokens)
    if depth > MAX_QUANTIFIER_DEPTH:
        return 0, (f"quantifiers (all, exists, ...) nest {depth} deep; the limit is "
                   f"{MAX_QUANTIFIER_DEPTH}: split the check into several guardrails")
    steps, offset = quantifier_work(tokens, paths)
    if steps > MAX_WORK:
        return offset, (f"the nested quantifiers take up to {steps:,} steps over the lists' "
                        f"sizes; the limit is {MAX_WORK:,}: lower the lists' \"max items\", or "
                        "nest fewer quantifiers")
    return None


def _run(expression: str, context: dict[str, Any]) -> str | None:
    """None when the expression gives true or false, else what went wrong."""
    try:
        value = cel_program(expression).execute(context)
    except Exception as exc:  # noqa: BLE001 - CEL raises plain Python errors of several kinds
        return f"cannot be evaluated: {cel_error(exc)}"
    return None if isinstance(value, bool) else f"gives {format_value(value)}, not true or false"


_POSITION = re.compile(r"<input>:(\d+):(\d+): (.*)")


def _syntax_error(text: str) -> tuple[int, int, str]:
    match = _POSITION.search(text)
    if match is None:
        return 1, 1, text.splitlines()[0] if text else "invalid expression"
    message = match.group(3).removeprefix("Syntax error: ")
    expecting = message.find(" expecting {")
    if expecting > 0 and len(message) - expecting > 40:
        message = message[:expecting]
    return int(match.group(1)), int(match.group(2)), message


def _report_absent(
    spec: Spec,
    guardrail: Guardrail,
    paths: list[Path],
    typical: _Context,
    problem: str,
    report: Reporter,
    cel: str,
) -> None:
    label = guardrail.label
    culprits: dict[str, Path] = {}
    for path in paths:
        if not path.nullable or path.indexed or path.root not in ("input", "output"):
            continue
        fields = spec.inputs if path.root == "input" else spec.outputs
        for prefix in _nullable_prefixes(fields, path.names):
            dotted = ".".join((path.root, *prefix))
            if path.root == "input":
                context = typical._replace(input=_without(typical.input, prefix))
            else:
                context = typical._replace(output=_without(typical.output, prefix))
            if dotted not in culprits and _run(cel, context.cel(spec)):
                culprits[dotted] = path
    if not culprits:
        report.at_loc(
            guardrail.loc,
            f"{_what(label)} {problem} (on a sample where optional "
            "fields are absent and lists are empty)",
        )
        return
    names = sorted(culprits)
    uses_has = "has(" in guardrail.expression
    hint = " (has() is true for an absent optional field: compare with null)" if uses_has else ""
    report.at_loc(
        _at(guardrail, culprits[names[0]].start),
        f"{_what(label)} fails when optional field {' or '.join(names)} is absent: "
        f"guard it, e.g. `{names[0]} != null && ...`{hint}",
    )


def _nullable_prefixes(fields: Sequence[Field], names: tuple[str, ...]) -> list[tuple[str, ...]]:
    found = []
    for depth, name in enumerate(names):
        field = next((f for f in fields if f.name == name), None)
        if field is None:
            break
        if is_nullable(field):
            found.append(names[: depth + 1])
        fields = field.type.fields
    return found


def _without(values: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """A copy of ``values`` where the field at ``names`` is absent."""
    copy = dict(values)
    if len(names) == 1:
        copy.pop(names[0], None)
    elif isinstance(copy.get(names[0]), dict):
        copy[names[0]] = _without(copy[names[0]], names[1:])
    return copy
