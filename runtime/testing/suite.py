"""``SpecSuite``: one compiled revision, loaded for testing.

A generated test module builds its suite with ``SpecSuite.load(Path(__file__).parent)`` and hands
it to the ``check_*`` functions. Users' own tests can do the same with any revision directory::

    from specwright.runtime.testing import SpecSuite, check_tables_total
    suite = SpecSuite.load(Path("generated/carrier-selection/r3"))
    check_tables_total(suite, "Decision: service")

Inputs go through exactly what a run does: the revision's ``Input`` model, then
``specwright.compiler.evaluate`` (the evaluator the execution pipeline uses) for tables and guardrails.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import find
from pydantic import ValidationError

from specwright.compiler.errors import TableError
from specwright.compiler.evaluate import TableOutcome, evaluate_table, to_cel_values
from specwright.compiler.ir import CompiledGuardrail, CompiledSpec, CompiledTable, Example, Field
from specwright.compiler.samples import samples
from specwright.runtime.engine.catalog import LoadedRevision, load_revision
from specwright.runtime.testing.input_strategies import valid_inputs
from specwright.runtime.testing.profile import ci_settings
from specwright.runtime.testing.report import fail
from specwright.runtime.testing.schema_validation import validator_for

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Prepared:
    """An accepted input: as the Input model returned it, and as CEL sees it."""

    raw: dict[str, Any]
    input_json: dict[str, Any]
    cel_input: dict[str, Any]


class SpecSuite:
    """A revision directory (``generated/<spec>/r<N>/``) ready to be checked."""

    def __init__(self, revision_dir: Path) -> None:
        self.path = revision_dir
        self.manifest: dict[str, Any] = json.loads((revision_dir / "manifest.json").read_bytes())
        self.compiled = CompiledSpec.model_validate_json((revision_dir / "spec.json").read_bytes())
        self.input_schema: dict[str, Any] = json.loads(
            (revision_dir / "input.schema.json").read_bytes()
        )
        self.output_schema: dict[str, Any] = json.loads(
            (revision_dir / "output.schema.json").read_bytes()
        )
        self._validator = validator_for(self.input_schema)

    @classmethod
    def load(cls, revision_dir: Path | str) -> SpecSuite:
        """The suite of a revision directory; loaded once per process."""
        return _load(str(Path(revision_dir).resolve()))

    # ------------------------------------------------------------------------- naming

    @property
    def name(self) -> str:
        return self.compiled.spec.name

    @property
    def source(self) -> str:
        return self.compiled.spec.source

    @property
    def revision_number(self) -> int:
        return int(self.manifest.get("revision") or self.path.name.lstrip("r") or 0)

    @property
    def major(self) -> int:
        return int(self.manifest.get("contract_major") or 1)

    @functools.cached_property
    def revision(self) -> LoadedRevision:
        """The revision as the runtime loads it (Input/Output models, prompt)."""
        return load_revision(self.path)

    @functools.cached_property
    def project_root(self) -> Path:
        """The project directory: the nearest parent with specwright.toml or pyproject.toml."""
        for parent in self.path.parents:
            if (parent / "specwright.toml").is_file() or (parent / "pyproject.toml").is_file():
                return parent
        return self.path.parents[2] if len(self.path.parents) > 2 else self.path.parent

    def table(self, name: str) -> CompiledTable:
        for table in self.compiled.tables:
            if table.name == name:
                return table
        known = ", ".join(repr(t.name) for t in self.compiled.tables) or "none"
        raise fail(f"{self.source} has no decision table {name!r} (its tables: {known})",
                   "the spec changed since this test module was generated: run specwright compile")

    def guardrail(self, label: str) -> CompiledGuardrail:
        for guardrail in self.compiled.guardrails:
            if guardrail.label == label:
                return guardrail
        raise fail(f"{self.source} has no guardrail {label!r}",
                   "the spec changed since this test module was generated: run specwright compile")

    def example(self, title: str) -> Example:
        for example in self.compiled.spec.examples:
            if example.title == title:
                return example
        raise fail(f"{self.source} has no example {title!r}",
                   "the spec changed since this test module was generated: run specwright compile")

    def field(self, path: str) -> Field | None:
        """The Input field at a dotted path (``address.country``)."""
        fields: Iterable[Field] = self.compiled.spec.inputs
        found: Field | None = None
        for part in path.split("."):
            found = next((f for f in fields if f.name == part), None)
            if found is None:
                return None
            fields = found.type.fields
        return found

    @property
    def required_outputs(self) -> frozenset[str]:
        return frozenset(f.name for f in self.compiled.spec.outputs if f.required)

    # ------------------------------------------------------------------------- running

    def schema_valid(self, data: Any) -> bool:
        """True when ``data`` satisfies the published Input JSON Schema."""
        return bool(self._validator.is_valid(data))

    def validate(self, data: Any) -> list[Loc]:
        """Validate like a run does; the locations of every error (empty: accepted)."""
        try:
            self.revision.input_model.model_validate(data)
        except ValidationError as exc:
            return [tuple(err["loc"]) for err in exc.errors(include_url=False)]
        return []

    def prepare(self, data: dict[str, Any]) -> Prepared | None:
        """The input as a run sees it, or None when the Input model rejects it."""
        try:
            model = self.revision.input_model.model_validate(data)
        except ValidationError:
            return None
        input_json: dict[str, Any] = model.model_dump(mode="json", by_alias=True)
        return Prepared(data, input_json, to_cel_values(self.compiled.spec.inputs, input_json))

    def evaluate(self, table: CompiledTable, prepared: Prepared) -> TableOutcome | TableError:
        """One table on one input, exactly as a run evaluates it; errors are returned."""
        try:
            return evaluate_table(
                table, prepared.cel_input, required=self.required_outputs, source=self.source
            )
        except TableError as exc:
            return exc

    def outputs(self, prepared: Prepared) -> dict[str, Any] | TableError:
        """Every table-decided output field for this input (tables in spec order)."""
        decided: dict[str, Any] = {}
        for table in self.compiled.tables:
            outcome = self.evaluate(table, prepared)
            if isinstance(outcome, TableError):
                return outcome
            decided.update(outcome.results)
        return decided

    @functools.cached_property
    def base_input(self) -> dict[str, Any]:
        """A valid input to vary: the first valid example input, else a compiler sample."""
        candidates = [dict(e.input) for e in self.compiled.spec.examples]
        candidates += [dict(s.values) for s in samples(self.compiled.spec.inputs)]
        for candidate in candidates:
            if self._accepted(candidate):
                return candidate
        strategy = valid_inputs(self.input_schema, self.compiled.spec.inputs)
        found: dict[str, Any] = find(strategy, self._accepted, settings=ci_settings())
        return found

    def _accepted(self, data: Mapping[str, Any]) -> bool:
        return self.schema_valid(data) and not self.validate(data)


@functools.lru_cache(maxsize=64)
def _load(revision_dir: str) -> SpecSuite:
    return SpecSuite(Path(revision_dir))
