"""The semantic passes: ``ir.Spec`` -> ``ir.CompiledSpec``, or ``SpecError`` with every diagnostic.

* decision tables (``tables.py``, cells in ``feel.py``, overlaps in ``overlap.py``): columns
  resolved, cells typed and compiled to CEL, hit policies checked;
* guardrails (``guardrails.py``, ``celscan.py``, ``samples.py``): fields resolved, literals typed,
  compiled, run on sample instances;
* the front matter's ``review when`` (``guardrails.compile_condition``): checked like a guardrail;
* examples (``examples.py``, ``validate.py``): validated, and the tables and guardrails held to them
  with the runtime's own evaluator (``evaluate.py``);
* the exact analysis (``analysis.py``): gaps, rows never used, guardrails the tables can break
  (``guard_proof.py`` proves most without a solver; z3 is imported only for the others).

Every diagnostic is located at ``spec.source`` and the line and column of the offending header,
cell, expression or example; all of them are reported at once, sorted by position.
"""

from __future__ import annotations

from specwright.compiler.derived_check import derived_scope
from specwright.compiler.examples import check_examples
from specwright.compiler.guardrails import compile_condition, compile_guardrails
from specwright.compiler.ir import CompiledSpec, CompileWarning, Spec
from specwright.compiler.report import Reporter
from specwright.compiler.tables import compile_tables


def check_spec(spec: Spec) -> CompiledSpec:
    """Compile a parsed spec's tables and guardrails and check its examples against them."""
    report = Reporter(spec.source)
    scope, derived = derived_scope(spec, report)
    tables = compile_tables(spec, report, scope)
    guardrails = compile_guardrails(spec, report, derived)
    review = compile_condition(spec, report, derived)
    check_examples(spec, tables, guardrails, report, derived)
    if tables:
        from specwright.compiler.analysis import (
            analyse,  # imports z3 only when a guardrail needs it
        )

        for finding in analyse(spec, tables, guardrails):
            if finding.severity == "error":
                report.at_loc(finding.loc, finding.message)
            else:
                report.warn(finding.loc, finding.message)
    report.raise_if_any()
    decided = {name for table in tables for name in table.outputs}
    return CompiledSpec(
        spec=spec,
        tables=tables,
        guardrails=tuple(g.compiled for g in guardrails),
        table_decided=tuple(f.name for f in spec.outputs if f.name in decided),
        model_decided=tuple(f.name for f in spec.outputs if f.name not in decided),
        warnings=tuple(CompileWarning(line=d.line, col=d.col, message=d.message)
                       for d in report.warnings),
        review=review,
        derived=derived,
    )
