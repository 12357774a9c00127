"""The solver-free guardrail proof (``guard_proof.py``) against z3, on the same tables.

Hypothesis generates two tables (intervals and single values over an integer, a one-of, an
optional money amount, a yes/no, a text and a date column; every hit policy) and guardrails that
combine single-field tests with ``&&``, ``||`` and ``!``. For each guardrail the proof's answer
must be z3's (``proven`` exactly when z3 finds no input that breaks it), and ``analyse`` must
report the same findings, counterexamples included, with the proof on and with z3 alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

import semantic_kit as k  # noqa: E402

from specwright.compiler import analysis  # noqa: E402
from specwright.compiler.analysis import analyse  # noqa: E402
from specwright.compiler.guard_proof import proven  # noqa: E402
from specwright.compiler.guardrails import compile_guardrails  # noqa: E402
from specwright.compiler.ir import CompiledTable, Spec  # noqa: E402
from specwright.compiler.report import Reporter  # noqa: E402
from specwright.compiler.smt_cel import parse_cel  # noqa: E402
from specwright.compiler.tables import _compile  # noqa: E402 - the table even when it has findings

ROOT = Path(__file__).resolve().parents[2]
INPUTS = (
    k.f("a", "integer", minimum=0, maximum=20),
    k.f("b", "enum", values=("p", "q", "r")),
    k.f("c", "money", required=False, minimum=0),
    k.f("d", "boolean"),
    k.f("e", "text", max_length=5),
    k.f("g", "date"),
)
OUTPUTS = (
    k.f("out", "enum", values=("x", "y", "z")),
    k.f("flag", "boolean", required=False),
)
CELLS = {
    "a": ["-", "< 3", "<= 3", "> 15", ">= 15", "3..15", "7", "not(7)", "]3..9[", "0..20", "< 0"],
    "b": ["-", '"p"', '"p", "q"', 'not("r")', '"r"'],
    "c": ["-", "null", "> 10.5", "<= 10.5", "[0..10]", "> 10", ">= 10.01", "not(null)"],
    "d": ["-", "yes", "no"],
    "e": ["-", '"hi"', '"hi", "yo"', 'not("hi")', '"toolong"'],
    "g": ["-", "< 2024-03-01", "2024-01-01..2024-12-31", ">= 2025-01-01", "2024-06-15"],
}
ATOMS = (
    "input.a < 12", "input.a >= 4", "input.a == 7", "input.a > 2.5", 'input.b == "p"',
    'input.b in ["p", "q"]', "input.c == null", "input.c > 5.0", "input.c <= 10.5", "input.d",
    'input.e == "hi"', 'input.e != "zz"', 'input.g < "2024-06-01"', 'input.g >= "2025-01-01"',
    'output.out == "x"', 'output.out != "y"', 'output.out in ["x", "z"]', "output.flag",
    "output.flag == null", "output.flag != true",
)


@st.composite
def conditions(draw: st.DrawFn, depth: int = 2) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(ATOMS))
    op = draw(st.sampled_from(["&&", "||", "!"]))
    if op == "!":
        return f"!({draw(conditions(depth - 1))})"
    return f"({draw(conditions(depth - 1))} {op} {draw(conditions(depth - 1))})"


@st.composite
def cases(draw: st.DrawFn) -> tuple[Spec, list[str]]:
    out_rows = [
        (*(draw(st.sampled_from(CELLS[c])) for c in "abcde"), draw(st.sampled_from("xyz")))
        for _ in range(draw(st.integers(1, 5)))
    ]
    flag_rows = [
        (*(draw(st.sampled_from(CELLS[c])) for c in "acg"), draw(st.sampled_from(["yes", "no"])))
        for _ in range(draw(st.integers(1, 4)))
    ]
    out = k.table("out", "a | b | c | d | e | out\n" + "\n".join(" | ".join(r) for r in out_rows),
                  policy=draw(st.sampled_from(["first", "unique", "any", "priority"])))
    flag = k.table("flag", "a | c | g | flag\n" + "\n".join(" | ".join(r) for r in flag_rows),
                   policy=draw(st.sampled_from(["first", "unique", "any"])), line=60)
    guards = draw(st.lists(conditions(), min_size=1, max_size=4, unique=True))
    spec = k.spec(INPUTS, OUTPUTS, tables=(out, flag),
                  guardrails=tuple(k.guard(f"g{i}", cel, line=100 + i) for i, cel in enumerate(guards)))
    return spec, guards


def _tables(spec: Spec) -> tuple[CompiledTable, ...]:
    report = Reporter(spec.source)
    compiled = tuple(_compile(spec, t, report) for t in spec.tables)
    assert all(t is not None for t in compiled), report.diagnostics
    return tuple(t for t in compiled if t is not None)


def _z3_only(spec: Spec, tables: tuple[CompiledTable, ...]) -> list[analysis.Finding]:
    with mock.patch.object(analysis, "proven", lambda *args: False):
        return analyse(spec, tables, compile_guardrails(spec, Reporter(spec.source)))


@settings(max_examples=120, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_the_proof_and_z3_agree_on_every_guardrail(case: tuple[Spec, list[str]]) -> None:
    spec, _ = case
    tables = _tables(spec)
    checked = compile_guardrails(spec, Reporter(spec.source))
    by_z3 = _z3_only(spec, tables)
    broken = {f.guardrail for f in by_z3}
    for guard in checked:
        if guard.reads_all_output or not guard.output_reads:
            continue
        tree = parse_cel(guard.compiled.cel)
        said = proven(spec, tables, guard.compiled, tree, guard.output_reads)
        assert said == (guard.compiled.label not in broken), (guard.compiled.cel, by_z3)
    assert analyse(spec, tables, checked) == by_z3


def _one(spec: Spec, cel: str) -> tuple[bool, list[analysis.Finding]]:
    tables = _tables(spec)
    (guard,) = compile_guardrails(spec, Reporter(spec.source))
    said = proven(spec, tables, guard.compiled, parse_cel(cel), guard.output_reads)
    return said, _z3_only(spec, tables)


def _spec(rows: str, cel: str, policy: str = "first") -> Spec:
    return k.spec(INPUTS, OUTPUTS, tables=(k.table("out", "a | out\n" + rows, policy=policy),),
                  guardrails=(k.guard("only", cel),))


def test_a_guardrail_that_holds_is_proven_and_z3_agrees() -> None:
    said, by_z3 = _one(_spec("< 12 | x\n- | y", 'output.out != "x" || input.a < 12'),
                       'output.out != "x" || input.a < 12')
    assert said and by_z3 == []


def test_a_broken_guardrail_is_left_to_z3_which_finds_it() -> None:
    cel = 'output.out != "x" || input.a < 11'
    said, by_z3 = _one(_spec("< 12 | x\n- | y", cel), cel)
    assert not said
    assert [(f.kind, f.input["a"]) for f in by_z3] == [("guardrail", 11)]


def test_arithmetic_and_two_fields_compared_are_left_to_z3() -> None:
    for cel in ('output.out != "x" || input.a + 1 < 13', 'output.out != "x" || input.a < input.a + 1'):
        said, by_z3 = _one(_spec("< 12 | x\n- | y", cel), cel)
        assert not said and by_z3 == [], cel


def test_an_ordered_test_of_a_text_is_left_to_z3_which_says_it_cannot_read_it() -> None:
    cel = 'output.out != "x" || input.e < "m"'
    said, by_z3 = _one(_spec("< 12 | x\n- | y", cel), cel)
    assert not said
    assert [f.kind for f in by_z3] == ["inexact"]


def test_tables_of_a_cell_form_it_does_not_know_are_left_to_z3() -> None:
    spec = _spec("< 12 | x\n- | y", 'output.out != "x" || input.a < 12')
    tables = _tables(spec)
    (guard,) = compile_guardrails(spec, Reporter(spec.source))
    odd = tables[0].model_copy(update={"rows": tuple(
        r.model_copy(update={"condition": r.condition + " && true"}) for r in tables[0].rows)})
    assert not proven(spec, (odd,), guard.compiled, parse_cel(guard.compiled.cel),
                      guard.output_reads)


def test_the_example_specs_compile_without_importing_z3() -> None:
    """Every guardrail over their tables is proven without the solver; an edit that breaks one
    needs z3 for its counterexample. (returns-evaluation computes its refund in a result cell and
    package-type's columns are derived values: z3 proves those, so they are left out.)"""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from specwright.compiler import compile_spec\n"
        "from specwright.compiler.errors import SpecError\n"
        "for path in sorted(Path('specs').glob('*.md')):\n"
        "    if path.stem not in ('returns-evaluation', 'package-type'):\n"
        "        compile_spec(path.read_text(), f'specs/{path.name}')\n"
        "assert 'z3' not in sys.modules, 'z3 was imported'\n"
        "text = Path('specs/order-validation.md').read_text()\n"
        "row = '| hold     | large_first_order  | yes          |'\n"
        "assert row in text\n"
        "try:\n"
        "    compile_spec(text.replace(row, row.replace('| yes ', '| no  ')), 'specs/order-validation.md')\n"
        "except SpecError as exc:\n"
        "    assert 'can break guardrail' in str(exc.diagnostics[0]), exc.diagnostics\n"
        "else:\n"
        "    raise AssertionError('the broken guardrail was not found')\n"
        "assert 'z3' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_a_table_too_large_to_run_every_combination_is_left_to_z3() -> None:
    rows = "".join(f"{i} | x\n" for i in range(0, 20)) + "- | y"
    for cel, holds in (('output.out != "x" || input.a < 12', False),
                       ('output.out != "x" || input.a < 21', True)):
        spec = _spec(rows, cel)
        tables = _tables(spec)
        (guard,) = compile_guardrails(spec, Reporter(spec.source))
        tree = parse_cel(guard.compiled.cel)
        assert proven(spec, tables, guard.compiled, tree, guard.output_reads) is holds, cel
        with mock.patch("specwright.compiler.guard_proof.MAX_ROW_RUNS", 10):
            assert not proven(spec, tables, guard.compiled, tree, guard.output_reads)
