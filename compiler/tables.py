"""Decision tables: resolve columns, type and compile every cell to CEL, check hit policies.

A table's header names Input fields (condition columns) and Output fields (result columns); a name
that is both may be written ``input.x`` or ``output.x``. Condition cells are FEEL unary tests
(``feel.py``); result cells are literals of the output field's type. ``-`` in a result cell means
"this row sets nothing here": under ``collect`` (and ``rule order``, ``output order``) the row
adds no item, which only a table with one result column allows; otherwise the output takes
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
from specwright.compiler.evaluate import cel_program, display_result, is_nullable
from specwright.compiler.feel import (
    SCALAR,
    FeelError,
    UnaryTests,
    expected,
    parse_unary_tests,
    strip_cell,
    type_tests,
)
from specwright.compiler.hitpolicy import GATHERING
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
from specwright.compiler.result_columns import (
    check_aggregated,
    check_bounds,
    computed_cell,
    value_order,
)
from specwright.compiler.result_expr import derived_read, is_expression


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
    if table.aggregation is not None:
        return check_aggregated(
            col.field, col.cell, table.aggregation, _kind(ftype), where, report
        )
    if table.hit_policy in GATHERING:
        if ftype.kind != "list" or ftype.items is None or ftype.items.kind not in SCALAR:
            report.at_loc(
                col.cell.loc,
                f"{where}: a{'n' if table.hit_policy[0] == 'o' else ''} {table.hit_policy} "
                f"table gathers the results of every "
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
    heading_fields = (table.field, *table.more_fields)
    name = f"Decision: {', '.join(heading_fields)}"
    scope = scope or Scope(inputs={f.name: f for f in spec.inputs})
    output_names = [f.name for f in spec.outputs]
    ok = True
    for field_name in heading_fields:
        if field_name not in output_names:
            where = (
                "an Input field; a table decides an Output field"
                if any(f.name == field_name for f in spec.inputs)
                else "not an Output field" + did_you_mean(field_name, output_names)
            )
            report.at_loc(table.loc, f"{name}: {field_name} is {where}")
            ok = False
    columns = _columns(spec, table, name, report, scope)
    if columns is None:
        return None
    types = [_check_column(col, table, name, report) for col in columns]
    results = [col for col in columns if not col.is_input]
    conditions = [col for col in columns if col.is_input]
    for field_name in heading_fields:
        if ok and field_name not in [col.name for col in results]:
            report.at_loc(
                table.loc, f"{name} has no column {field_name}: add a result column for it"
            )
            ok = False
    if not table.rows:
        report.at_loc(table.loc, f"{name} has no rows")
        ok = False
    heading = next((col for col in results if col.name == table.field), None)
    ranked_by = value_order(heading.field.type) if heading else None
    if table.hit_policy in ("priority", "output order") and heading and ranked_by is None:
        report.at_loc(
            table.loc,
            f"{name} ({table.hit_policy}): the winning row is the one whose {table.field} "
            f"comes first in its 'one of' list, but {table.field} is {_kind(heading.field.type)}",
        )
        ok = False
    if table.aggregation is not None and len(results) > 1:
        report.at_loc(
            table.loc,
            f"{name} (collect {table.aggregation}): a table that adds up its rows has one "
            f"result column, it has {len(results)} ({', '.join(c.name for c in results)}): "
            "give the other outputs their own table (DMN defines no operator for several outputs)",
        )
        ok = False
    if not ok or any(t is None for t in types):
        return None
    typed = {id(col): t for col, t in zip(columns, types, strict=True) if t is not None}
    # the heading's fields first, in its order, then any other result column
    results.sort(
        key=lambda col: heading_fields.index(col.name)
        if col.name in heading_fields
        else len(heading_fields)
    )
    inputs = {f.name: f for f in spec.inputs}
    derived_kinds = {n: t.ty.kind for n, t in scope.derived.items()}
    rows = _rows(table, name, columns, conditions, results, typed, inputs, report, inputs,
                 derived_kinds)
    if rows is None:
        return None
    compiled_rows, facts = rows
    cel = "[" + ", ".join(row.condition for row in compiled_rows) + "]"
    try:
        cel_program(cel)
    except ValueError as exc:  # a compiler bug, not the expert's: say so rather than crash
        report.at_loc(table.loc, f"{name}: the compiled CEL does not parse ({exc}): please report")
        return None
    ranking = table.hit_policy in ("priority", "output order")
    priority = (ranked_by or ()) if ranking else ()
    ranks = tuple(
        (col.name, order)
        for col in results[1:]
        if ranking and (order := value_order(col.field.type)) is not None
    )
    compiled = CompiledTable(
        name=name,
        line=table.loc.line,
        hit_policy=table.hit_policy,
        inputs=tuple(col.name for col in conditions),
        outputs=tuple(col.name for col in results),
        rows=tuple(compiled_rows),
        cel=cel,
        priority=priority,
        ranks=ranks,
        aggregation=table.aggregation,
        computed={
            # added up: each item is checked for its kind only, the total by the output model
            col.name: FieldType(kind=typed[id(col)].kind)
            if table.aggregation is not None
            else typed[id(col)]
            for col in results
            if any(col.name in row.computed for row in compiled_rows)
        },
        computed_columns=tuple(
            ComputedColumn(name=c.name, type=c.field.type, cel=c.cel, nullable=c.nullable)
            for c in conditions
            if c.cel is not None
        ),
        result_derived=tuple(
            ComputedColumn(name=n, type=FieldType(kind=scope.derived[n].ty.kind),  # type: ignore[arg-type]
                           cel=scope.derived[n].cel)
            for n in dict.fromkeys(
                n for row in compiled_rows for e in row.computed.values() for n in derived_read(e)
            )
        ),
    )
    cols = [Column(c.name, c.field.type, c.null, _key(c, i)) for i, c in enumerate(conditions)]
    required = any(col.field.required for col in results)
    references = has_references(facts)
    findings = None
    if references or compiled.computed_columns:  # columns tied together: ask z3 about whole inputs
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
        if compiled.computed_columns:  # columns taken one by one: a combination may be impossible
            findings = [CoverageFinding("warning", f.loc, f.message, f.input) for f in findings]
    for finding in findings:
        if finding.severity == "error":
            report.at_loc(finding.loc, finding.message)
        else:
            report.warn(finding.loc, finding.message)
    if compiled.computed:
        cells = {
            (row.number, col.name): cell.loc
            for row in table.rows
            for col, cell in zip(columns, row.cells, strict=True)
            if not col.is_input
        }
        check_bounds(spec, compiled, cells, report)
    return compiled


def _rows(
    table: DecisionTable,
    name: str,
    columns: list[_Col],
    conditions: list[_Col],
    results: list[_Col],
    typed: dict[int, FieldType],
    inputs: dict[str, Field],
    report: Reporter,
    refs: dict[str, Field] | None = None,
    derived: dict[str, str] | None = None,
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
        computed: dict[str, str] = {}
        for col in results:
            if is_expression(cells[id(col)].text):
                found = computed_cell(
                    cells[id(col)], col.name, typed[id(col)], inputs,
                    f"{where}, column {col.name}", report, derived,
                )
                if found is not None:
                    computed[col.name] = found
                continue
            value = _result(
                cells[id(col)],
                col,
                typed[id(col)],
                table,
                f"{where}, column {col.name}",
                report,
                aligned=len(results) > 1,
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
                computed=computed,
            )
        )
        shown = {**values, **{k: f"= {v}" for k, v in computed.items()}}
        facts.append(RowFacts(row.number, row.loc, tuple(columns_cel), tuple(tests), shown))
    return (compiled, facts) if report.count == before else None


_SKIP = object()


def _key(col: _Col, index: int) -> str:
    """The name a column's value has when its cells are evaluated alone (coverage, overlaps)."""
    return col.name if col.cel is None else f"column_{index}"


def _result(
    cell: TableCell,
    col: _Col,
    ftype: FieldType,
    table: DecisionTable,
    where: str,
    report: Reporter,
    aligned: bool = False,
) -> Any:
    try:
        lit = parse_result(cell.text, ftype)
    except FeelError as exc:
        report.at_loc(cell.loc, f"{where}: {exc}")
        return _SKIP
    if lit is not None:
        return json_value(lit)
    if table.hit_policy in GATHERING and table.aggregation is None and aligned:
        report.at_loc(
            cell.loc,
            f"{where}: '-' would leave a hole: a {table.hit_policy} table with several result "
            "columns gives lists whose items line up row by row: write "
            f"{expected(ftype)}, or give {col.name} its own table",
        )
        return _SKIP
    if table.hit_policy in GATHERING:
        return _SKIP  # the row adds no item to this list (or no value to add up)
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
    return ", ".join(display_result(k, v) for k, v in results.items())
