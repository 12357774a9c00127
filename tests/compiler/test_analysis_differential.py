"""The exact analysis against brute force, with the runtime's own evaluation (``evaluate.py``).

Generated tables (hypothesis) over an integer, a one-of, an optional money amount and a yes/no
column, with every hit policy and guardrails over inputs and outputs. The brute force runs every
input of a grid that is exhaustive for these cells (every integer of the field's range; money at
and around every literal, in whole cents), so each claim is checked both ways: a reported gap,
overlap, unused row or broken guardrail has an input on the grid, and the grid finds none that
was not reported. Every reported counterexample is replayed as is. The example specs are held to
the same: no gap and no broken guardrail claimed, none found on a large boundary-and-random sample.
"""

from __future__ import annotations

import itertools
import random
import re
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

import semantic_kit as k  # noqa: E402

from specwright.compiler import compile_spec  # noqa: E402
from specwright.compiler.analysis import analyse  # noqa: E402
from specwright.compiler.evaluate import (  # noqa: E402
    TableError,
    TableNoMatch,
    cel_program,
    evaluate_guardrails,
    evaluate_table,
    to_cel_values,
)
from specwright.compiler.guardrails import compile_guardrails  # noqa: E402
from specwright.compiler.ir import CompiledTable, Field, Spec  # noqa: E402
from specwright.compiler.overlap import Column, representatives  # noqa: E402
from specwright.compiler.report import Reporter  # noqa: E402
from specwright.compiler.samples import samples  # noqa: E402
from specwright.compiler.tables import _compile  # noqa: E402 - the table even when it has findings

INPUTS = (
    k.f("a", "integer", minimum=0, maximum=20),
    k.f("b", "enum", values=("p", "q", "r")),
    k.f("c", "money", required=False, minimum=0),
    k.f("d", "boolean"),
)
OUTPUTS = (k.f("out", "enum", values=("x", "y", "z")), k.f("flag", "boolean"))
GRID = {
    "a": list(range(21)),
    "b": ["p", "q", "r"],
    "c": [None, 0, 0.01, 4.99, 5, 5.01, 9.99, 10, 10.01, 10.49, 10.5, 10.51, 11, 1e6],
    "d": [True, False],
}
CELLS = {
    "a": st.sampled_from(["-", "< 3", "<= 3", "> 15", ">= 15", "3..15", "7", "not(7)", "]3..9[",
                          "0..20", "< 0"]),
    "b": st.sampled_from(["-", '"p"', '"p", "q"', 'not("r")', '"r"']),
    "c": st.sampled_from(["-", "null", "> 10.5", "<= 10.5", "[0..10]", "> 10", ">= 10.01",
                          "not(null)"]),
    "d": st.sampled_from(["-", "yes", "no"]),
}
GUARDS = (
    ("x needs a small a", 'output.out != "x" || input.a < 12'),
    ("y is flagged", 'output.out != "y" || output.flag'),
    ("amounts flag", "input.c == null || output.flag || input.c > 5.0"),
)


def _table(rows: list[tuple[str, ...]], policy: str) -> Any:
    body = "\n".join(" | ".join(r) for r in rows)
    return k.table("out", "a | b | c | d | out | flag\n" + body, policy=policy)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[tuple[str, ...]], str]:
    count = draw(st.integers(1, 5))
    rows = [
        (*(draw(CELLS[c]) for c in "abcd"), draw(st.sampled_from("xyz")),
         draw(st.sampled_from(["yes", "no"])))
        for _ in range(count)
    ]
    return rows, draw(st.sampled_from(["first", "unique", "any", "priority"]))


def _grid() -> list[dict[str, Any]]:
    return [dict(zip("abcd", v, strict=True)) for v in itertools.product(*GRID.values())]


def _values(point: dict[str, Any]) -> dict[str, Any]:
    return to_cel_values(INPUTS, {k_: v for k_, v in point.items() if v is not None})


def _parse(shown: str) -> dict[str, Any]:
    """``a=3, c absent, d=yes`` -> JSON values (the fields of this test only)."""
    found: dict[str, Any] = {}
    for part in shown.split(", "):
        if part.endswith(" absent"):
            found[part.removesuffix(" absent")] = None
            continue
        name, value = part.split("=", 1)
        found[name] = {"yes": True, "no": False}.get(value, value)
        if name in ("a", "c"):
            found[name] = float(value) if name == "c" else int(value)
    return found


@settings(max_examples=40, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_generated_tables_agree_with_brute_force(drawn: tuple[list[tuple[str, ...]], str]) -> None:
    rows, policy = drawn
    spec = k.spec(INPUTS, OUTPUTS, tables=(_table(rows, policy),),
                  guardrails=tuple(k.guard(label, cel, line=40 + i)
                                   for i, (label, cel) in enumerate(GUARDS)))
    report = Reporter(spec.source)
    table = _compile(spec, spec.tables[0], report)
    assert table is not None
    messages = [d.message for d in report.diagnostics]
    grid = _grid()
    matched = [[bool(f) for f in cel_program(table.cel).execute({"input": _values(p)})] for p in grid]

    # gaps
    gap = [m for m in messages if " has a gap: " in m]
    no_match = [p for p, flags in zip(grid, matched, strict=True) if not any(flags)]
    assert bool(gap) == bool(no_match), (gap, no_match[:3])
    if gap:
        shown = _parse(gap[0].split("no row matches ")[1].split(": add a row")[0])
        for point in grid:  # every value of the columns left out still matches no row
            if all(point[name] == value for name, value in shown.items()):
                assert not any(matched[grid.index(point)]), point

    # rows never matched, rows never used
    for index, row in enumerate(table.rows):
        ever = any(flags[index] for flags in matched)
        assert (f"{table.name}, row {row.number} can never match" in " ".join(messages)) == (not ever)
        if policy in ("first", "priority") and ever:
            chosen = {evaluate_table(table, _values(p)).rows for p in grid}
            used = any(row.number in rows_ for rows_ in chosen)
            last_default = index == len(table.rows) - 1 and row.condition == "true"
            reported = f"{table.name}, row {row.number} is never used" in " ".join(messages)
            assert reported == (not used and not last_default), (row.number, messages)

    # overlaps (unique, any)
    if policy in ("unique", "any"):
        for i, j in itertools.combinations(range(len(table.rows)), 2):
            both = any(flags[i] and flags[j] for flags in matched)
            differ = table.rows[i].results != table.rows[j].results
            expected = both and (policy == "unique" or differ)
            reported = any(f"rows {i + 1} and {j + 1} overlap" in m for m in messages)
            assert reported == expected, (i, j, messages)

    # guardrails
    findings = {f.guardrail: f for f in analyse(spec, (table,), compile_guardrails(spec, report))}
    compiled_guards = [g.compiled for g in compile_guardrails(spec, Reporter(spec.source))]
    broken: dict[str, dict[str, Any]] = {}
    for point in grid:
        try:
            outcome = evaluate_table(table, _values(point), required=("out", "flag"))
        except TableError:
            continue
        output = to_cel_values(OUTPUTS, outcome.results)
        for result in evaluate_guardrails(compiled_guards, _values(point), output):
            if not result.passed:
                broken.setdefault(result.label, point)
    assert set(findings) == set(broken), (findings, broken)
    for label, finding in findings.items():
        outcome = evaluate_table(table, _values(finding.input), required=("out", "flag"))
        output = to_cel_values(OUTPUTS, outcome.results)
        results = evaluate_guardrails(compiled_guards, _values(finding.input), output)
        assert [r.label for r in results if not r.passed and r.label == label] == [label]


# ----------------------------------------------------------------------------- the example specs

ROOT = Path(__file__).resolve().parents[2]


def _sample_inputs(spec: Spec, tables: tuple[CompiledTable, ...], count: int) -> list[dict[str, Any]]:
    """Every input field at its boundary representatives (each table literal, values around it)
    and at random values inside its constraints, on top of a valid typical input."""
    base = samples(spec.inputs)[0].values
    rng = random.Random(19)
    pools: dict[str, list[Any]] = {}
    for field in spec.inputs:
        if field.type.kind in ("list", "object"):
            continue
        cells = [_tests(t, field) for t in tables if field.name in t.inputs]
        column = Column(field.name, field.type, not field.required and not field.has_default)
        pools[field.name] = [_json(v, field) for v in representatives(column, itertools.chain(*cells))]
    found = []
    for _ in range(count):
        point = dict(base)
        for name, pool in pools.items():
            value = rng.choice(pool) if rng.random() < 0.8 else _random(spec, name, rng)
            if value is None:
                point.pop(name, None)
            else:
                point[name] = value
        found.append(point)
    return found


def _tests(table: CompiledTable, field: Field) -> list[Any]:
    from specwright.compiler.feel import parse_unary_tests, type_tests

    index = table.inputs.index(field.name)
    nullable = not field.required and not field.has_default
    return [type_tests(parse_unary_tests(row.cells[index]), row.cells[index], field.name,
                       field.type, nullable) for row in table.rows]


def _json(value: Any, field: Field) -> Any:
    if field.type.kind == "datetime" and value is not None:
        return value.isoformat()
    if field.type.kind == "money" and value is not None:
        return round(value, 2)
    return value


def _random(spec: Spec, name: str, rng: random.Random) -> Any:
    field = next(f for f in spec.inputs if f.name == name)
    ftype = field.type
    if ftype.kind in ("integer", "number", "money"):
        low = ftype.minimum if ftype.minimum is not None else (ftype.exclusive_minimum or 0)
        high = ftype.maximum if ftype.maximum is not None else low + 5000
        value = rng.uniform(float(low), float(high))
        value = int(value) if ftype.kind == "integer" else round(value, 2)
        return value if value != ftype.exclusive_minimum else high
    if ftype.kind == "enum":
        return rng.choice(ftype.values)
    if ftype.kind == "boolean":
        return rng.random() < 0.5
    return samples(spec.inputs)[0].values.get(name)


def test_the_example_specs_claims_hold_on_a_large_sample() -> None:
    checked = 0
    for path in sorted((ROOT / "specs").glob("*.md")):
        compiled = compile_spec(path.read_text(), f"specs/{path.name}")
        spec = compiled.spec
        required = [f.name for f in spec.outputs if f.required]
        decided = set(compiled.table_decided)
        guards = [g for g in compiled.guardrails
                  if set(re.findall(r"output\.(\w+)", g.cel)) <= decided
                  and re.search(r"output\.", g.cel)]
        for point in _sample_inputs(spec, compiled.tables, 3000):
            values = to_cel_values(spec.inputs, point)
            output: dict[str, Any] = {}
            for table in compiled.tables:
                try:  # compiled without a gap claim: every input gets a row
                    output.update(evaluate_table(table, values, required=required).results)
                except TableNoMatch as exc:  # pragma: no cover - the failure being tested for
                    raise AssertionError(f"{path.name}: {exc.message}") from None
            results = evaluate_guardrails(guards, values, to_cel_values(spec.outputs, output))
            assert all(r.passed for r in results), (path.name, point, results)
            checked += 1
    assert checked == len(list((ROOT / "specs").glob("*.md"))) * 3000
