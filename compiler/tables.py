"""Decision tables: resolve columns, type and compile every cell to CEL, check hit policies.

A table's header names Input fields (condition columns) and Output fields (result columns); a name
that is both may be written ``input.x`` or ``output.x``. Condition cells are FEEL unary tests
(``feel.py``); result cells are literals of the output field's type. ``-`` in a result cell means
"this row sets nothing here": under ``collect`` the row adds no item; otherwise the output takes
its default, or stays unset (null), which only an optional output allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from specwright.compiler.celgen import cell_to_cel, json_value, parse_result
from specwright.compiler.computed_columns import _REPORTED, computed_column
from specwright.compiler.coverage import CoverageFinding, coverage
from specwright.compiler.coverage_smt import exact_coverage, has_references
from specwright.compiler.derived import Scope
from specwright.compiler.errors import did_you_mean
from specwright.compiler.evaluate import cel_program, display, is_nullable
from specwright.compiler.feel import (
    SCALAR,
    FeelError,
    UnaryTests,
    expected,
    parse_unary_tests,
    strip_cell,
    type_tests,
)
from specwright.compiler.ir import (
    CompiledRow,
    CompiledTable,
    ComputedColumn,
    DecisionTable,
    Field,
    FieldType,
    Spec,
    TableCell,
)
from specwright.compiler.overlap import Column, RowFacts, find_overlaps
from specwright.compiler.report import Reporter


@dataclass(frozen=True, slots=True)
class _Col:
    cell: TableCell
    field: Field
    is_input: bool
    cel: str | None = None  # a computed condition column (``computed_columns.py``): its CEL
    nullable: bool = False  # a computed path through an optional field

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def path(self) -> str:
        return self.cel if self.cel is not None else f"input.{self.name}"

    @property
    def null(self) -> bool:
        return self.nullable if self.cel is not None else is_nullable(self.field)


def compile_tables(
    spec: Spec, report: Reporter, scope: Scope | None = None
) -> tuple[CompiledTable, ...]:
    """Compile every decision table; report problems. Returns the tables that compiled cleanly.
    ``scope``: the derived values (``derived_check.py``) a condition column may name."""
    compiled: list[CompiledTable] = []
    decided_by: dict[str, DecisionTable] = {}
    scope = scope or Scope(inputs={f.name: f for f in spec.inputs})
    for table in spec.tables:
        before = report.count
        result = _compile(spec, table, report, scope)
        if result is None:
            continue
        for name, cell in zip(result.outputs, _result_cells(table, result), strict=True):
            other = decided_by.setdefault(name, table)
            if other is not table:
                report.at_loc(
                    cell.loc,
                    f"Decision: {table.field}: output {name} is already decided by "
                    f"'Decision: {other.field}' (line {other.loc.line}): "
                    "a field is decided by one table only",
                )
        if report.count == before:
            compiled.append(result)
    return tuple(compiled)


def _result_cells(table: DecisionTable, compiled: CompiledTable) -> list[TableCell]:
    by_name = {
        name: cell
        for cell in table.columns
        for prefix, name in [_header_name(cell.text)]
        if prefix != "input"
    }
    return [by_name.get(name, table.columns[0]) for name in compiled.outputs]


def _header_name(text: str) -> tuple[str | None, str]:
    text = strip_cell(text)
    for prefix in ("input", "output"):
        if text.lower().startswith(prefix + "."):
            return prefix, text[len(prefix) + 1 :].strip()
    return None, text


def _columns(
    spec: Spec, table: DecisionTable, name: str, report: Reporter, scope: Scope
) -> list[_Col] | None:
    inputs = {f.name: f for f in spec.inputs}
    outputs = {f.name: f for f in spec.outputs}
    columns: list[_Col] = []
    seen: set[str] = set()
    for cell in table.columns:
        prefix, field_name = _header_name(cell.text)
        where = f"{name}: column {field_name}"
        in_input, in_output = field_name in inputs, field_name in outputs
        key = f"{prefix or ('input' if in_input else 'output')}.{field_name}"
        if key in seen:
            report.at_loc(cell.loc, f"{where} appears twice")
            continue
        seen.add(key)
        if prefix is None and in_input and in_output:
            report.at_loc(
                cell.loc,
                f"{where} is both an Input and an Output field: "
                f"write input.{field_name} for a condition or output.{field_name} for a result",
            )
        elif prefix != "output" and in_input:
            columns.append(_Col(cell, inputs[field_name], True))
        elif prefix != "input" and in_output:
            columns.append(_Col(cell, outputs[field_name], False))
        elif prefix != "output" and field_name in {d.name for d in spec.derived} - set(
            scope.derived
        ):
            continue  # a derived value with a problem, reported on its expression
        elif prefix != "output" and (found := computed_column(cell, field_name, scope, report)):
            if found is not _REPORTED:
                ftype, cel, nullable = found
                pseudo = Field(name=field_name, type=ftype, loc=cell.loc)
                columns.append(_Col(cell, pseudo, True, cel, nullable))
        else:
            pool = (
                inputs if prefix == "input" else outputs if prefix == "output" else inputs | outputs
            )
            names = sorted([*pool, *([] if prefix == "output" else scope.derived)])
            kind = {"input": "an Input field", "output": "an Output field"}.get(
                prefix or "", "a field"
            )
            hint = did_you_mean(field_name, names)
            report.at_loc(cell.loc, f"{where} is not {kind}{hint}")
    return columns if len(columns) == len(table.columns) else None


def _check_column(col: _Col, table: DecisionTable, name: str, report: Reporter) -> FieldType | None:
    """The type the column's cells are written in, or None (reported) when it cannot be a column."""
    ftype = col.field.type
    where = f"{name}: column {col.name}"
    if col.is_input:
        if ftype.kind not in SCALAR:
            report.at_loc(
                col.cell.loc,
                f"{where} is {_kind(ftype)}: a condition column must be "
                "a single value (text, number, yes/no, date, one of)",
            )
            return None
        return ftype
    if table.hit_policy == "collect":
        if ftype.kind != "list" or ftype.items is None or ftype.items.kind not in SCALAR:
            report.at_loc(
                col.cell.loc,
                f"{where}: a collect table gathers the results of every "
                f"matching row into a list, but {col.name} is {_kind(ftype)}: "
                "declare it as a list of values (list of text, list of one of: ...)",
            )
            return None
        return ftype.items
    if ftype.kind not in SCALAR:
        report.at_loc(
            col.cell.loc,
            f"{where} is {_kind(ftype)}: a result column must be a "
            "single value (text, number, yes/no, date, one of)",
        )
        return None
    return ftype


def _kind(ftype: FieldType) -> str:
    if ftype.kind == "list":
        return "a list" + (f" of {ftype.items.kind}" if ftype.items else "")
    return "an object" if ftype.kind == "object" else expected(ftype)


def _compile(
    spec: Spec, table: DecisionTable, report: Reporter, scope: Scope | None = None
) -> CompiledTable | None:
    name = f"Decision: {table.field}"
    scope = scope or Scope(inputs={f.name: f for f in spec.inputs})
    output_names = [f.name for f in spec.outputs]
    ok = True
    if table.field not in output_names:
        where = (
            "an Input field; a table decides an Output field"
            if any(f.name == table.field for f in spec.inputs)
            else "not an Output field" + did_you_mean(table.field, output_names)
        )
        report.at_loc(table.loc, f"{name}: {table.field} is {where}")
        ok = False
    columns = _columns(spec, table, name, report, scope)
    if columns is None:
        return None
    types = [_check_column(col, table, name, report) for col in columns]
    results = [col for col in columns if not col.is_input]
    conditions = [col for col in columns if col.is_input]
    if ok and table.field not in [col.name for col in results]:
        report.at_loc(table.loc, f"{name} has no column {table.field}: add a result column for it")
        ok = False
    if not table.rows:
        report.at_loc(table.loc, f"{name} has no rows")
        ok = False
    heading = next((col for col in results if col.name == table.field), None)
    if table.hit_policy == "priority" and heading and heading.field.type.kind != "enum":
        report.at_loc(
            table.loc,
            f"{name} (priority): the winning row is the one whose {table.field} "
            f"comes first in its 'one of' list, but {table.field} is {_kind(heading.field.type)}",
        )
        ok = False
    if not ok or any(t is None for t in types):
        return None
    typed = {id(col): t for col, t in zip(columns, types, strict=True) if t is not None}
    results.sort(key=lambda col: col.name != table.field)  # the heading field first
    rows = _rows(table, name, columns, conditions, results, typed, report,
                 {f.name: f for f in spec.inputs})
    if rows is None:
        return None
    compiled_rows, facts = rows
    cel = "[" + ", ".join(row.condition for row in compiled_rows) + "]"
    try:
        cel_program(cel)
    except ValueError as exc:  # a compiler bug, not the expert's: say so rather than crash
        report.at_loc(table.loc, f"{name}: the compiled CEL does not parse ({exc}): please report")
        return None
    priority = heading.field.type.values if heading and table.hit_policy == "priority" else ()
    compiled = CompiledTable(
        name=name,
        line=table.loc.line,
        hit_policy=table.hit_policy,
        inputs=tuple(col.name for col in conditions),
        outputs=tuple(col.name for col in results),
        rows=tuple(compiled_rows),
        cel=cel,
        priority=priority,
        computed=tuple(
            ComputedColumn(name=c.name, type=c.field.type, cel=c.cel, nullable=c.nullable)
            for c in conditions
            if c.cel is not None
        ),
    )
    cols = [Column(c.name, c.field.type, c.null, _key(c, i)) for i, c in enumerate(conditions)]
    required = any(col.field.required for col in results)
    references = has_references(facts)
    findings = None
    if references or compiled.computed:  # columns tied together: ask z3 about whole inputs
        findings = exact_coverage(spec, compiled, facts, required, table.loc)
        if findings is None:
            report.warn(table.loc, f"{name} is not checked exactly for gaps, overlaps and unused "
                        "rows: " + ("a cell compares with another field and " if references
                                    else "") + "the analysis does not read every column "
                        "(list conditions); "
                        + ("the generated tests sample it" if references else
                           "its columns are checked one by one, as warnings"))
            if references:
                return compiled
    if findings is None:
        if table.hit_policy in ("unique", "any"):
            _report_overlaps(table, name, cols, facts, report)
        findings = coverage(compiled, cols, facts, required, table.loc)
        if compiled.computed:  # columns taken one by one: a combination may be impossible
            findings = [CoverageFinding("warning", f.loc, f.message, f.input) for f in findings]
    for finding in findings:
        if finding.severity == "error":
            report.at_loc(finding.loc, finding.message)
        else:
            report.warn(finding.loc, finding.message)
    return compiled


def _rows(
    table: DecisionTable,
    name: str,
    columns: list[_Col],
    conditions: list[_Col],
    results: list[_Col],
    typed: dict[int, FieldType],
    report: Reporter,
    refs: dict[str, Field] | None = None,
) -> tuple[list[CompiledRow], list[RowFacts]] | None:
    before = report.count
    compiled: list[CompiledRow] = []
    facts: list[RowFacts] = []
    for row in table.rows:
        where = f"{name}, row {row.number}"
        if len(row.cells) != len(columns):
            report.at_loc(
                row.loc, f"{where} has {len(row.cells)} cells, the header has {len(columns)}"
            )
            continue
        cells = {id(col): cell for col, cell in zip(columns, row.cells, strict=True)}
        conds: list[str] = []
        columns_cel: list[str] = []  # each cell over its column alone (``input.<key>``)
        tests: list[UnaryTests] = []
        for index, col in enumerate(conditions):
            cell = cells[id(col)]
            try:
                parsed = parse_unary_tests(cell.text)
                cell_tests = type_tests(
                    parsed, cell.text, col.name, typed[id(col)], col.null, refs=refs
                )
            except FeelError as exc:
                report.at_loc(cell.loc, f"{where}, column {col.name}: {exc}")
                continue
            tests.append(cell_tests)
            path = col.path if col.cel is None else f"({col.path})"
            conds.append(cell_to_cel(cell_tests, path, col.null))
            columns_cel.append(cell_to_cel(cell_tests, f"input.{_key(col, index)}", col.null))
        values: dict[str, Any] = {}
        for col in results:
            value = _result(
                cells[id(col)], col, typed[id(col)], table, f"{where}, column {col.name}", report
            )
            if value is not _SKIP:
                values[col.name] = value
        condition = " && ".join(c for c in conds if c != "true") or "true"
        texts = tuple(strip_cell(cells[id(col)].text) for col in conditions)
        compiled.append(
            CompiledRow(
                number=row.number,
                line=row.loc.line,
                cells=texts,
                condition=condition,
                results=values,
            )
        )
        facts.append(RowFacts(row.number, row.loc, tuple(columns_cel), tuple(tests), values))
    return (compiled, facts) if report.count == before else None


_SKIP = object()


def _key(col: _Col, index: int) -> str:
    """The name a column's value has when its cells are evaluated alone (coverage, overlaps)."""
    return col.name if col.cel is None else f"column_{index}"


def _result(
    cell: TableCell, col: _Col, ftype: FieldType, table: DecisionTable, where: str, report: Reporter
) -> Any:
    try:
        lit = parse_result(cell.text, ftype)
    except FeelError as exc:
        report.at_loc(cell.loc, f"{where}: {exc}")
        return _SKIP
    if lit is not None:
        return json_value(lit)
    if table.hit_policy == "collect":
        return _SKIP  # the row adds no item to this list
    if col.field.required:
        report.at_loc(
            cell.loc,
            f"{where}: '-' would leave {col.name} unset, but it is a required "
            f"output: write {expected(ftype)}",
        )
        return _SKIP
    return col.field.default if col.field.has_default else None


def _report_overlaps(
    table: DecisionTable, name: str, columns: list[Column], rows: list[RowFacts], report: Reporter
) -> None:
    for first, second, witness in find_overlaps(columns, rows):
        example = f", e.g. {witness}" if witness else " (both match every input)"
        if table.hit_policy == "unique":
            report.at_loc(
                second.loc,
                f"{name} (unique): rows {first.number} and {second.number} overlap{example}",
            )
        elif first.results != second.results:
            report.at_loc(
                second.loc,
                f"{name} (any): rows {first.number} and {second.number} overlap "
                f"but give different results ({_show(first.results)} vs "
                f"{_show(second.results)}){example}",
            )


def _show(results: dict[str, Any]) -> str:
    return ", ".join(f"{k}={display(v)}" for k, v in results.items())
