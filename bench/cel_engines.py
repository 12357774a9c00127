"""The CEL engines compared: the evaluating binding (``common-expression-language``, Rust), Google's
``cel-expr-python`` (C++, with a static type checker) and the Python fast path (``native_cel``).

Four parts, all in one process and one run:

1. **Agreement on our CEL**: every expression the compiler generates for the repository's specs
   (each table row's condition, each table's program, each guardrail and ``review when``) on
   every sample pair (``compiler/samples.py``) and every example of the spec, evaluated by both
   engines with the same values; plus a corpus of tricky cases (int/double mixing, money in
   cents, null and optional fields, strings, list macros, timestamps, division by zero,
   overflow). Outcomes are equal when both give the same value of the same type, or both fail.
2. **Error messages** for typical expert mistakes: what running the expression on a sample says
   (the only check the binding allows), what ``cel-expr-python``'s checker says, and what the
   compiler now reports (``compiler/cel_check.py``).
3. **Speed per evaluation**: one guardrail, one table, and a revision's distinct row conditions
   and guardrails as one program, per engine, with the ratio to the binding in the same run.
4. **Compile and check time** per expression.

    python bench/cel_engines.py [--repeat 20000] [--json out.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cel as rust  # noqa: E402
from benchlib import REPO, machine, table, write_json  # noqa: E402
from cel_expr_python import cel as cpp  # noqa: E402

from specwright.compiler import compile_spec  # noqa: E402
from specwright.compiler.cel_check import problems  # noqa: E402
from specwright.compiler.celscan import flatten  # noqa: E402
from specwright.compiler.errors import SpecError  # noqa: E402
from specwright.compiler.evaluate import to_cel_values  # noqa: E402
from specwright.compiler.ir import CompiledSpec  # noqa: E402
from specwright.compiler.samples import samples  # noqa: E402
from specwright.runtime.engine.combined_cel import (  # noqa: E402
    INPUT_PREFIX,
    OUTPUT_PREFIX,
    CombinedCel,
    combine,
)
from specwright.runtime.engine.native_cel import compile_native  # noqa: E402
from specwright.runtime.errors import NativeUnsupported  # noqa: E402

DYN = cpp.Type.Map(cpp.Type.STRING, cpp.Type.DYN)
ENV = cpp.NewEnv(variables={"input": DYN, "output": DYN, "x": cpp.Type.DYN, "y": cpp.Type.DYN})
FAILED = "error"
UTC = dt.UTC

# (expression, variables): the tricky corpus, run by both engines as written.
TRICKY: list[tuple[str, dict[str, Any]]] = [
    ("x > 1000", {"x": 1000.5}),  # a number field against an int literal
    ("x > 1000", {"x": 999.99}),
    ("x == 1", {"x": 1.0}),
    ("x != 1", {"x": 1.0}),
    ("x in [1, 2, 3]", {"x": 2.0}),
    ("x < 1.5", {"x": 1}),
    ("x + 1", {"x": 1.5}),  # arithmetic does not mix int and double
    ("x + 1.0", {"x": 1.5}),
    ("x * 100.0 == 1020.0", {"x": 10.2}),  # money as doubles
    ("int(x * 100.0) == 1020", {"x": 10.2}),
    ("int(x * 100.0 + 0.5) == 1020", {"x": 10.2}),
    ("double(x) - double(y) < 0.005 && double(x) - double(y) > -0.005", {"x": 20.6, "y": 20.6}),
    ("10.2 + 10.1 + 0.3 == 20.6", {}),
    ("x == null", {"x": None}),
    ("x != null && x > 5.0", {"x": None}),
    ("x > 5.0", {"x": None}),  # null in an ordering: an error in both?
    ("has(x.a)", {"x": {"a": None}}),
    ("has(x.a)", {"x": {}}),
    ("x.a", {"x": {}}),  # a missing key
    ("x.a == null", {"x": {"a": None}}),
    ("x.size() > 2", {"x": "abc"}),
    ("size(x) == 3", {"x": "héé"}),
    ("x.startsWith('ab') && x.endsWith('c')", {"x": "abc"}),
    ("x.contains('b')", {"x": "abc"}),
    ("x.matches('^[A-Z]{2}$')", {"x": "US"}),
    ("x + y", {"x": "a", "y": "b"}),
    ("x < y", {"x": "apple", "y": "banana"}),
    ("x < y", {"x": "2024-01-31", "y": "2024-02-01"}),  # dates as ISO text
    ("x.exists(i, i > 2)", {"x": [1, 2, 3]}),
    ("x.all(i, i > 0)", {"x": []}),
    ("x.exists_one(i, i == 2)", {"x": [1, 2, 2]}),
    ("x.filter(i, i > 1).size()", {"x": [1, 2, 3]}),
    ("x.map(i, i * 2)", {"x": [1, 2]}),
    ("x.exists(l, l.stock > 0 && l.id == y)", {"x": [{"stock": 0, "id": "a"}, {"stock": 2, "id": "b"}], "y": "b"}),
    ("size(x) == 0", {"x": []}),
    ("x in y", {"x": "b", "y": ["a", "b"]}),
    ("x > timestamp('2024-01-01T00:00:00Z')", {"x": dt.datetime(2024, 3, 1, tzinfo=UTC)}),
    ("x - y > duration('24h')", {"x": dt.datetime(2024, 3, 2, tzinfo=UTC), "y": dt.datetime(2024, 3, 1, tzinfo=UTC)}),
    ("x.getFullYear() == 2024", {"x": dt.datetime(2024, 3, 1, tzinfo=UTC)}),
    ("x == y", {"x": dt.datetime(2024, 3, 1, tzinfo=UTC), "y": dt.datetime(2024, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))}),
    ("x / y", {"x": 1, "y": 0}),
    ("x / y", {"x": 1.0, "y": 0.0}),
    ("x % y", {"x": 1, "y": 0}),
    ("x / y", {"x": 7, "y": 2}),
    ("x / y", {"x": -7, "y": 2}),
    ("x % y", {"x": -7, "y": 2}),
    ("x + 1", {"x": 9223372036854775807}),
    ("-x", {"x": -9223372036854775808}),
    ("x * 2", {"x": 4611686018427387904}),
    ("9223372036854775807 + 1 > 0", {}),
    ("x == 'yes'", {"x": True}),  # comparing across types: false, or an error?
    ("x == 1", {"x": "1"}),
    ("x > 1", {"x": "2"}),
    ("x && y", {"x": True, "y": 1}),
    ("x || y", {"x": True, "y": 1}),
    ("y || x", {"x": True, "y": 1}),
    ("x ? 1 : 'a'", {"x": True}),
    ("x", {"x": 1}),
    ("1u == 1", {}),
    ("x == 1u", {"x": 1}),
    ("int('12') + 1", {}),
    ("double('1.5') > 1.0", {}),
    ("string(x) == '1.5'", {"x": 1.5}),
    ("x == y", {"x": [1, 2], "y": [1.0, 2.0]}),
    ("x == y", {"x": {"a": 1}, "y": {"a": 1}}),
    ("x['a'] == 1", {"x": {"a": 1}}),
    ("x[1] == 2", {"x": [1, 2]}),
    ("x[5] == 2", {"x": [1, 2]}),
    ("'\\u00e9' == x", {"x": "é"}),
    ("x == 1.0 / 0.0", {"x": float("inf")}),
    ("max(x, y) == 2", {"x": 1, "y": 2}),  # not standard CEL
    ("x.lowerAscii() == 'ab'", {"x": "AB"}),  # a strings extension
]


# ----------------------------------------------------------------------------- running


def run_rust(expression: str, variables: dict[str, Any]) -> Any:
    try:
        return rust.compile(expression).execute(variables)
    except Exception as exc:  # noqa: BLE001 - the binding raises several kinds
        return (FAILED, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")


def run_cpp(expression: str, variables: dict[str, Any]) -> Any:
    try:
        value = ENV.compile(expression).eval(data=variables)
    except Exception as exc:  # noqa: BLE001 - compile or conversion errors
        return (FAILED, f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    if value.type() == cpp.Type.ERROR:
        return (FAILED, str(value.value()).splitlines()[0])
    return value.plain_value()


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types (True is not 1, 1 is not 1.0), or both failed."""
    if _failed(a) or _failed(b):
        return _failed(a) and _failed(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def _failed(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and value[0] == FAILED


def shown(value: Any) -> str:
    return value[1][:90] if _failed(value) else repr(value)[:90]


# ----------------------------------------------------------------------------- part 1


def compiled_specs() -> list[CompiledSpec]:
    return [compile_spec(p.read_text(), f"specs/{p.name}") for p in sorted((REPO / "specs").glob("*.md"))]


def spec_cases(compiled: CompiledSpec) -> list[tuple[str, dict[str, Any]]]:
    spec = compiled.spec
    ins, outs = samples(spec.inputs), samples(spec.outputs)
    pairs = [(ins[i % len(ins)].values, outs[i % len(outs)].values) for i in range(max(len(ins), len(outs)))]
    pairs += [(e.input, e.output) for e in spec.examples]
    contexts = []
    for i, o in pairs:
        try:
            contexts.append({"input": to_cel_values(spec.inputs, i), "output": to_cel_values(spec.outputs, o)})
        except (TypeError, ValueError):  # a partial example output that does not convert
            continue
    expressions = [r.condition for t in compiled.tables for r in t.rows]
    expressions += [t.cel for t in compiled.tables] + [g.cel for g in compiled.guardrails]
    expressions += [compiled.review.cel] if compiled.review else []
    return [(e, c) for e in dict.fromkeys(expressions) for c in contexts]


def agreement(specs: list[CompiledSpec]) -> dict[str, Any]:
    generated = [case for c in specs for case in spec_cases(c)]
    rows: list[list[Any]] = []
    counts = {"generated": [0, 0], "tricky": [0, 0]}
    for kind, cases in (("generated", generated), ("tricky", TRICKY)):
        for expression, variables in cases:
            a, b = run_rust(expression, variables), run_cpp(expression, variables)
            counts[kind][0] += 1
            if not same(a, b):
                counts[kind][1] += 1
                rows.append([kind, expression[:60], str(variables)[:50], shown(a), shown(b)])
    # checker false positives: generated CEL the typed checker refuses
    refused = [
        (c.spec.name, e, p)
        for c in specs
        for e in dict.fromkeys([r.condition for t in c.tables for r in t.rows] + [g.cel for g in c.guardrails])
        if (p := problems(e, c.spec.inputs, c.spec.outputs))
    ]
    return {"counts": counts, "disagreements": rows, "checker_refused_generated": refused}


# ----------------------------------------------------------------------------- part 2

MISTAKES = [  # (spec, mistake, guardrail expression)
    ("inventory-routing", "misspelled field", "input.quantty > 0"),
    ("inventory-routing", "misspelled field in a macro", "input.locations.exists(l, l.stok > 0)"),
    ("inventory-routing", "text compared with a number", "input.locations.exists(l, l.location_id > 3)"),
    ("inventory-routing", "int + double arithmetic", "input.quantity + 0.5 > 2.0"),
    ("inventory-routing", "wrong function", "input.locations.count() > 0"),
    ("inventory-routing", "misspelled function", "sizee(input.locations) > 0"),
    ("inventory-routing", "not a condition", "input.quantity * 2"),
    ("inventory-routing", "type error behind ||", "output.split_shipment || size(input.quantity) > 0"),
    ("order-validation", "yes/no compared with text", 'input.address_verified == "yes"'),
    ("order-validation", "enum value misspelled", 'output.decision == "acept" || true'),
]


def guardrail_spec(name: str, expression: str) -> str:
    text = (REPO / "specs" / f"{name}.md").read_text()
    head, marker, rest = text.partition("## Guardrails\n")
    return f"{head}{marker}\n- Added for the comparison: `{expression}`\n{rest}"


def messages(specs: list[CompiledSpec]) -> list[list[str]]:
    by_name = {c.spec.name: c for c in specs}
    rows = []
    for name, mistake, expression in MISTAKES:
        spec = by_name[name].spec
        ins, outs = samples(spec.inputs)[0], samples(spec.outputs)[0]
        sample = {"input": to_cel_values(spec.inputs, ins.values), "output": to_cel_values(spec.outputs, outs.values)}
        ran = run_rust(expression, sample)
        binding = shown(ran) if _failed(ran) else f"runs: {ran!r}"
        try:
            checker = ENV_TYPED(spec, expression)
        except RuntimeError as exc:
            checker = str(exc).split("ERROR: ", 1)[-1].splitlines()[0]
        try:
            compile_spec(guardrail_spec(name, expression), f"specs/{name}.md")
            compiler = "(no error)"
        except SpecError as exc:
            compiler = str(exc).strip().splitlines()[0]
        rows.append([mistake, f"`{expression}`", binding, checker, compiler])
    return rows


def ENV_TYPED(spec: Any, expression: str) -> str:  # noqa: N802 - reads as the checker's env
    from specwright.compiler.cel_check import _env

    kind = _env(tuple(spec.inputs), tuple(spec.outputs)).compile(expression).return_type()
    return f"(accepted: its type is {kind.name().lower()})"


# ----------------------------------------------------------------------------- parts 3 and 4


def per_call(fn: Callable[[], Any], repeat: int) -> float:
    """Microseconds per call, best of three rounds."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best * 1e6


def speed(specs: list[CompiledSpec], repeat: int) -> list[list[Any]]:
    order = next(c for c in specs if c.spec.name == "order-validation")
    spec = order.spec
    ins = to_cel_values(spec.inputs, samples(spec.inputs)[0].values)
    outs = to_cel_values(spec.outputs, samples(spec.outputs)[0].values)
    both = {"input": ins, "output": outs}
    guardrail = order.guardrails[0].cel
    conditions = list(dict.fromkeys(r.condition for t in order.tables for r in t.rows))
    revision = "[" + ", ".join(f"({e})" for e in [*conditions, *(g.cel for g in order.guardrails)]) + "]"
    rows = []
    for label, expression, variables in (
        ("one guardrail", guardrail, both),
        ("one table (row flags)", order.tables[0].cel, {"input": ins}),
        ("revision: distinct conditions + guardrails", revision, both),
    ):
        timings = _timings(expression, variables, spec, repeat)
        base = timings["binding, dict"]
        for engine, micros in timings.items():
            rows.append([label, engine, f"{micros:.2f}", f"{micros / base:.2f}x"])
    return rows


def _timings(expression: str, variables: dict[str, Any], spec: Any, repeat: int) -> dict[str, float]:
    r_prog, c_prog = rust.compile(expression), ENV.compile(expression)
    assert same(r_prog.execute(variables), c_prog.eval(data=variables).plain_value())
    activation, context = ENV.Activation(variables), rust.Context(variables)
    timings = {
        "binding, dict": per_call(lambda: r_prog.execute(variables), repeat),
        "cel-expr-python, dict": per_call(lambda: c_prog.eval(data=variables).plain_value(), repeat),
        "cel-expr-python, prebuilt activation": per_call(lambda: c_prog.eval(activation).plain_value(), repeat),
        "binding, prebuilt Context": per_call(lambda: r_prog.execute(context), repeat),
    }
    native = _native(expression, spec)
    if native is not None:
        fn, values = native
        timings["Python fast path"] = per_call(lambda: fn(values), repeat)
    return timings


def _native(expression: str, spec: Any) -> tuple[Callable[[Any], Any], dict[str, Any]] | None:
    flat = flatten(expression, "input", [f.name for f in spec.inputs], "__in__")
    flat = flatten(flat, "output", [f.name for f in spec.outputs], "__out__") if flat else None
    native = compile_native(flat) if flat else None
    if native is None:
        return None
    values = {f"__in__{k}": v for k, v in to_cel_values(spec.inputs, samples(spec.inputs)[0].values).items()}
    values |= {f"__out__{k}": v for k, v in to_cel_values(spec.outputs, samples(spec.outputs)[0].values).items()}
    try:
        native(values)
    except NativeUnsupported:
        return None
    return native, values


def revisions(specs: list[CompiledSpec], repeat: int) -> list[list[Any]]:
    """Tables + guardrails of a revision as the runtime runs them (``CombinedCel``: only the
    fields read, as flat variables, each distinct condition once; natively where it can), against
    the same flattened programs in ``cel-expr-python`` with its values handed over per run."""
    rows = []
    for compiled in specs:
        combined = combine(compiled)
        spec = compiled.spec
        ins = combined.input_values(samples(spec.inputs)[0].values)
        outs = combined.output_values(samples(spec.outputs)[0].values)
        conditions, guardrails = _flat_programs(compiled, combined.flat)

        def current(c: CombinedCel = combined, i: Any = ins, o: Any = outs) -> Any:
            scope = c.scope(i)
            return c.condition_values(scope), c.guardrail_values(scope, o)

        if combined.flat:
            names = [INPUT_PREFIX + f.name for f in combined.input_fields]
            names += [OUTPUT_PREFIX + f.name for f in combined.output_fields]
            env = cpp.NewEnv(variables={n: cpp.Type.DYN for n in names})
        else:
            env = ENV
        c_conditions = env.compile(conditions) if conditions else None
        c_guardrails = env.compile(guardrails) if guardrails else None

        def other(i: Any = ins, o: Any = outs, flat: bool = combined.flat,
                  cc: Any = c_conditions, cg: Any = c_guardrails) -> Any:
            if flat:
                data = {INPUT_PREFIX + k: v for k, v in i.items()}
                first = cc.eval(data=data).plain_value() if cc else None
                data.update({OUTPUT_PREFIX + k: v for k, v in o.items()})
                return first, cg.eval(data=data).plain_value() if cg else None
            data = {"input": dict(i), "output": dict(o)}
            return (cc.eval(data=data).plain_value() if cc else None,
                    cg.eval(data=data).plain_value() if cg else None)

        try:
            mine, theirs = current(), other()
        except Exception as exc:  # noqa: BLE001 - e.g. a value the engine refuses
            rows.append([spec.name, _path(combined), "—", f"cel-expr-python refused: {exc}"[:80], "—"])
            continue
        assert all(same(a, b) for a, b in zip(mine, theirs, strict=True)), (spec.name, mine, theirs)
        now, then = per_call(current, repeat), per_call(other, repeat)
        rows.append([spec.name, _path(combined), f"{now:.2f}", f"{then:.2f}", f"{then / now:.2f}x"])
    return rows


def _path(combined: CombinedCel) -> str:
    if combined.native_conditions is not None:
        return "Python fast path"
    return "binding, flat variables" if combined.flat else "binding, input/output maps"


def _flat_programs(compiled: CompiledSpec, flat: bool) -> tuple[str, str]:
    """The two list programs ``combine`` builds: distinct row conditions, and guardrails."""
    spec = compiled.spec
    ins, outs = [f.name for f in spec.inputs], [f.name for f in spec.outputs]

    def flat_text(text: str) -> str:
        if not flat:
            return text
        once = flatten(text, "input", ins, INPUT_PREFIX) or text
        return flatten(once, "output", outs, OUTPUT_PREFIX) or once

    conditions = list(dict.fromkeys(flat_text(r.condition) for t in compiled.tables for r in t.rows))
    guardrails = [flat_text(g.cel) for g in compiled.guardrails]
    listed = ["[" + ", ".join(f"({e})" for e in group) + "]" if group else "" for group in (conditions, guardrails)]
    return listed[0], listed[1]


def compile_times(specs: list[CompiledSpec]) -> list[list[Any]]:
    expressions = [(c.spec, e) for c in specs for e in dict.fromkeys(
        [r.condition for t in c.tables for r in t.rows] + [g.cel for g in c.guardrails])]
    from specwright.compiler.cel_check import _env

    for spec, _ in expressions:  # descriptor pools and envs built before timing
        _env(tuple(spec.inputs), tuple(spec.outputs))
    steps: dict[str, Callable[[Any, str], Any]] = {
        "binding: compile": lambda s, e: rust.compile(e),
        "cel-expr-python: parse + check, dyn maps": lambda s, e: ENV.compile(e),
        "cel-expr-python: parse, no check": lambda s, e: ENV.compile(e, disable_check=True),
        "cel-expr-python: check against the spec's types": lambda s, e: problems(e, s.inputs, s.outputs),
    }
    rows = []
    for label, step in steps.items():
        start = time.perf_counter()
        for _ in range(20):
            for spec, expression in expressions:
                step(spec, expression)
        micros = (time.perf_counter() - start) / (20 * len(expressions)) * 1e6
        rows.append([label, len(expressions), f"{micros:.1f}"])
    return rows


def import_times() -> list[list[Any]]:
    import subprocess

    rows = []
    for label, code in (
        ("binding extension (cel.cel, as compiler/cel_engine.py loads it)",
         "from specwright.compiler.cel_engine import engine; engine()"),
        ("cel-expr-python", "from cel_expr_python import cel"),
        ("cel-expr-python + protobuf descriptors", "from cel_expr_python import cel; from google.protobuf import descriptor_pb2, descriptor_pool"),
    ):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            best = min(best, time.perf_counter() - start)
        base = subprocess.run([sys.executable, "-c", "pass"], check=True)
        del base
        rows.append([label, f"{best * 1e3:.0f}"])
    start = time.perf_counter()
    for _ in range(3):
        subprocess.run([sys.executable, "-c", "pass"], check=True)
    rows.append(["(python -c pass)", f"{(time.perf_counter() - start) / 3 * 1e3:.0f}"])
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20000)
    parser.add_argument("--json", default="")
    args = parser.parse_args(argv)
    from importlib.metadata import version

    print(f"# CEL engines on {machine()}: common-expression-language {version('common-expression-language')}, "
          f"cel-expr-python {version('cel-expr-python')}, protobuf {version('protobuf')}\n")
    specs = compiled_specs()
    agree = agreement(specs)
    print("## 1. Agreement (same values, same results)\n")
    for kind, (total, differ) in agree["counts"].items():
        print(f"- {kind}: {total} evaluations, {differ} disagreements")
    print(f"- generated CEL refused by the typed checker: {len(agree['checker_refused_generated'])}")
    for refused in agree["checker_refused_generated"]:
        print(f"  - {refused}")
    print()
    print(table(["corpus", "expression", "values", "binding (Rust)", "cel-expr-python (C++)"], agree["disagreements"]))
    print("\n## 2. Error messages for expert mistakes\n")
    msg_rows = messages(specs)
    print(table(["mistake", "guardrail", "binding on a sample", "cel-expr-python checker", "compiler now"], msg_rows))
    print("\n## 3. Speed per evaluation (order-validation, typical sample; µs, best of 3)\n")
    speed_rows = speed(specs, args.repeat)
    print(table(["what", "engine", "µs", "vs binding"], speed_rows))
    print("\n## 3b. A revision's tables + guardrails per run, as the runtime runs them (µs)\n")
    revision_rows = revisions(specs, max(args.repeat // 4, 500))
    print(table(["spec", "runtime path today", "today", "cel-expr-python", "ratio"], revision_rows))
    print("\n## 4. Compile and check time per expression (generated CEL of every spec)\n")
    compile_rows = compile_times(specs)
    print(table(["step", "expressions", "µs each"], compile_rows))
    print("\n## 5. Import time (fresh process, ms, best of 3)\n")
    import_rows = import_times()
    print(table(["import", "ms"], import_rows))
    write_json(args.json, {"agreement": agree, "messages": msg_rows, "speed": speed_rows, "revisions": revision_rows,
                           "compile": compile_rows, "imports": import_rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
