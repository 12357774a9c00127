"""The typed, immutable intermediate representation of a spec.

Two layers:

* ``Spec`` is what the parser read: fields with their types and constraints, rules, decision
  tables with their raw cell text, guardrails, examples. Every node keeps its source location.
* ``CompiledSpec`` adds what the semantic passes computed: every decision table and guardrail as
  CEL, and which output fields the tables decide. It is serialised to ``spec.json`` in each
  revision directory and is what the runtime loads.

All nodes are frozen Pydantic models so they serialise to JSON deterministically and load back
without custom code.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer
from pydantic import Field as ModelField


class Node(BaseModel):
    # defer_build: validators are built on first use, so commands that never construct IR
    # (the no-change `compile --check`, `--help`) do not pay for them at import.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Loc(Node):
    """1-based line and column in the spec file."""

    line: int
    col: int = 1


TypeKind = Literal[
    "text", "integer", "number", "money", "boolean", "date", "datetime", "enum", "list", "object",
    "duration", "time",
]
Number = int | float


class FieldType(Node):
    """A field's type and its constraints. Which attributes apply depends on ``kind``."""

    kind: TypeKind
    # text: length in characters; list: number of items
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None  # regex, anchored (``2 letters`` -> ``^[A-Za-z]{2}$``)
    # integer, number, money
    minimum: Number | None = None
    maximum: Number | None = None
    exclusive_minimum: Number | None = None
    exclusive_maximum: Number | None = None
    # enum
    values: tuple[str, ...] = ()
    # list
    items: FieldType | None = None
    # object: the named section (``## Location``) or sub-table the fields came from
    object_name: str | None = None
    fields: tuple[Field, ...] = ()


class Field(Node):
    name: str
    type: FieldType
    required: bool = True
    has_default: bool = False
    default: Any = None
    description: str = ""
    sensitive: bool = False
    loc: Loc


class RouteModel(Node):
    ref: str  # "provider:model", e.g. "openai:gpt-4.1-mini"
    weight: float | None = None  # only for routing: weighted


RoutingStrategy = Literal["fallback", "weighted", "least-busy", "cheapest", "fastest"]


class Route(Node):
    """Models a spec may use. Empty ``models`` means: use the project's default route."""

    models: tuple[RouteModel, ...] = ()
    strategy: RoutingStrategy = "fallback"
    loc: Loc = Loc(line=1)
    # Sampling from the front matter (None: the deployment's setting, else the default).
    temperature: float | None = None
    seed: int | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    # ``answer cache`` (compiler/frontmatter_cache.py): seconds an answer is served again, 0 for
    # never, None when the front matter does not say (the deployment's setting applies).
    answer_cache_s: int | None = None

    @model_serializer(mode="wrap")
    def _drop_unset_sampling(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Unset sampling keys are left out of ``spec.json``: specs without them compile to the
        same bytes as before the keys existed (no new revision for every spec)."""
        data = handler(self)
        if isinstance(data, dict):
            for key in ("temperature", "seed", "top_p", "max_tokens", "answer_cache_s"):
                if data.get(key) is None:
                    data.pop(key, None)
        return data


class Rule(Node):
    number: int
    text: str
    loc: Loc


HitPolicy = Literal["first", "unique", "any", "collect", "priority", "rule order", "output order"]
# DMN's collect operators (C+, C<, C>, C#): the matching rows' values reduced to one value.
Aggregation = Literal["sum", "min", "max", "count"]


class TableCell(Node):
    text: str
    loc: Loc


class TableRow(Node):
    number: int  # 1-based row number as a domain expert counts them
    cells: tuple[TableCell, ...]
    loc: Loc


class DecisionTable(Node):
    field: str  # the field named in the heading "## Decision: <field>"
    hit_policy: HitPolicy = "first"
    columns: tuple[TableCell, ...]  # header cells: Input field names, then Output field names
    rows: tuple[TableRow, ...]
    loc: Loc
    # "## Decision: decision, reason_code": the output fields named after the first one.
    more_fields: tuple[str, ...] = ()
    aggregation: Aggregation | None = None  # "collect sum", ...: only with hit policy collect

    @model_serializer(mode="wrap")
    def _drop_unset(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Tables without the newer keys serialise as before (same ``spec.json`` bytes)."""
        return _drop_empty(handler(self), ("more_fields", "aggregation"))


def _drop_empty(data: Any, keys: tuple[str, ...]) -> Any:
    if isinstance(data, dict):
        for key in keys:
            if data.get(key) in (None, (), [], {}):
                data.pop(key, None)
    return data


class Guardrail(Node):
    label: str
    expression: str  # CEL over ``input`` and ``output``
    loc: Loc  # location of the expression's first character


REVIEW_LABEL = "review when"


class Derived(Node):
    """A named value computed from the input (``## Derived``): callers never send it."""

    name: str
    type: FieldType
    expression: str  # as written: arithmetic, min/max/median, count/sum/any/all, days_between
    description: str = ""
    loc: Loc  # the expression's first character


class Example(Node):
    title: str
    input: dict[str, Any]
    output: dict[str, Any]  # may be partial: only the fields it names are checked
    loc: Loc
    # derived values the example expects (``"derived": {"total_cm": 90}``), checked at compile
    # time; absent from spec.json when the example names none
    derived: dict[str, Any] = ModelField(default_factory=dict, exclude_if=lambda v: not v)


class Spec(Node):
    source: str  # path as shown in diagnostics, e.g. "specs/carrier-selection.md"
    name: str
    title: str
    owner: str | None = None
    route: Route = Route()
    description: str = ""  # the prose under the title (markdown); goes into the prompt
    inputs: tuple[Field, ...]
    outputs: tuple[Field, ...]
    rules: tuple[Rule, ...] = ()
    tables: tuple[DecisionTable, ...] = ()
    guardrails: tuple[Guardrail, ...] = ()
    examples: tuple[Example, ...] = ()
    # ``## Derived``: absent from spec.json when the spec has none (no new revision for others)
    derived: tuple[Derived, ...] = ModelField(default=(), exclude_if=lambda v: not v)
    # front matter ``review when``: CEL over input and output; a run that meets it opens a
    # review case. Labelled ``REVIEW_LABEL``; absent from spec.json when not declared.
    review: Guardrail | None = None


# ----------------------------------------------------------------------------- compiled layer


class CompiledRow(Node):
    number: int
    line: int
    cells: tuple[str, ...]  # the condition cells as written, for traces and reviews
    condition: str  # CEL, true when the row matches
    results: dict[str, Any]  # output field -> JSON value
    # output field -> the arithmetic that computes it (``result_expr``), canonical text
    computed: dict[str, str] = {}

    @model_serializer(mode="wrap")
    def _drop_unset(self, handler: SerializerFunctionWrapHandler) -> Any:
        return _drop_empty(handler(self), ("computed",))

    @property
    def written(self) -> dict[str, Any]:
        """The results as written: values, and ``"= <expression>"`` for computed cells."""
        if not self.computed:
            return self.results
        return {**self.results, **{k: f"= {v}" for k, v in self.computed.items()}}


class ComputedColumn(Node):
    """A condition column that is not an Input field: a derived value, a nested path or a list
    condition (``any line_items: in_stock = no``), as CEL over ``input``."""

    name: str  # the header as written
    type: FieldType  # what its cells are typed against
    cel: str
    nullable: bool = False


class CompiledTable(Node):
    name: str  # "Decision: service"
    line: int
    hit_policy: HitPolicy
    inputs: tuple[str, ...]  # condition columns (Input field names)
    outputs: tuple[str, ...]  # result columns (Output field names)
    rows: tuple[CompiledRow, ...]
    # One CEL expression evaluating every row's condition: a list of booleans, one per row.
    # Evaluated once per run; the hit policy is applied to the list in Python.
    cel: str
    # ``priority`` tables only: the values of ``outputs[0]`` (the heading field, an enum), highest
    # priority first (the Output enum's declared order). The matching row whose value ranks first wins.
    priority: tuple[str, ...] = ()
    # ``priority`` and ``output order`` tables: every further output with a declared value order
    # (an enum, or a list of one), as (field, values highest first). DMN compares the outputs
    # left to right: ``outputs[0]`` by ``priority`` first, then these, in order.
    ranks: tuple[tuple[str, tuple[str, ...]], ...] = ()
    aggregation: Aggregation | None = None  # collect only: sum, min, max or count of the values
    # the outputs some row computes (``CompiledRow.computed``), with their types: the value is
    # checked against them on every run
    computed: dict[str, FieldType] = {}
    # the condition columns that are computed (derived values, nested paths, list conditions)
    computed_columns: tuple[ComputedColumn, ...] = ()
    # the derived values computed results read (``= round(input.paid * derived.months / 12, 2)``),
    # each as CEL over ``input``: evaluated on the runs whose row reads them, shown in the trace
    result_derived: tuple[ComputedColumn, ...] = ()

    @model_serializer(mode="wrap")
    def _drop_unset(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Tables without the newer keys serialise as before (same ``spec.json`` bytes)."""
        return _drop_empty(
            handler(self),
            ("ranks", "aggregation", "computed", "computed_columns", "result_derived"),
        )


class CompiledDerived(Node):
    """A derived value as CEL over ``input`` (every derived value it reads already inlined): the
    tables and guardrails inline the same text; the run trace shows its value."""

    name: str
    kind: str  # integer, number, boolean, text, date, datetime, duration
    cel: str
    line: int


class CompiledGuardrail(Node):
    label: str
    cel: str
    line: int


class CompileWarning(Node):
    """A problem that does not stop the compile (a row never used, a guardrail not analysed)."""

    line: int
    col: int
    message: str


class CompiledSpec(Node):
    spec: Spec
    tables: tuple[CompiledTable, ...] = ()
    guardrails: tuple[CompiledGuardrail, ...] = ()
    table_decided: tuple[str, ...] = ()  # output fields decided by tables, in Output order
    model_decided: tuple[str, ...] = ()  # the rest: asked of the model
    # Warnings of the compile, shown by ``specwright compile``; not part of the revision's files
    # (excluded from ``spec.json``).
    warnings: tuple[CompileWarning, ...] = ModelField(default=(), exclude=True)
    review: CompiledGuardrail | None = None  # the checked ``review when`` condition
    derived: tuple[CompiledDerived, ...] = ModelField(default=(), exclude_if=lambda v: not v)

    @property
    def rules_only(self) -> bool:
        """True when no output field needs a model: the spec runs with no provider at all."""
        return not self.model_decided


FieldType.model_rebuild()
