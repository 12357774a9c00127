"""Impact preview: what a candidate revision would answer for recorded inputs, compared.

Pure: the caller (``specwright impact``, ``POST /specs/{name}/impact``) reads the inputs (from
the execution log or a JSON-lines file) and hands them here with what was answered before.

``replay`` runs one input through a revision the way serving does, without a model: the Input
model, the decision tables, the Output model and the guardrails, in-process. Model-decided
fields cannot be replayed that way: they are taken from the recorded answer when there is one
(so the guardrails see a whole output) and never compared; the report names them as not
replayed. A run *changes* when its status or any table-decided field differs.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from specwright.compiler.errors import TableError
from specwright.runtime.engine.catalog import LoadedRevision
from specwright.runtime.engine.failures import status_of, table_failure, validation_details
from specwright.runtime.errors import GuardrailViolation, InputInvalid, OutputInvalid

STATUS = "status"  # the pseudo-field of a run's status in transitions
MAX_IDS = 20  # run ids kept per transition
MAX_EXAMPLES = 3  # example inputs kept per transition


@dataclass(frozen=True, slots=True)
class Outcome:
    """One answer: a run status and, when there was one, the output."""

    status: str
    output: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """One recorded input and what was answered for it (``before``)."""

    input: Any
    before: Outcome
    run_id: str | None = None
    line: int | None = None  # the line of an --input file


@dataclass(slots=True)
class Transition:
    field: str
    before: str
    after: str
    count: int = 0
    run_ids: list[str] = dataclasses.field(default_factory=list)
    lines: list[int] = dataclasses.field(default_factory=list)
    examples: list[Any] = dataclasses.field(default_factory=list)


@dataclass(slots=True)
class ImpactReport:
    spec: str
    candidate: int  # the candidate revision
    baseline: str  # "log" (recorded answers) or "r<N>" (the served revision, replayed)
    compared_fields: tuple[str, ...]
    not_replayed: tuple[str, ...]  # model-decided fields
    total: int = 0
    changed: int = 0
    changed_by_field: dict[str, int] = dataclasses.field(default_factory=dict)
    transitions: dict[tuple[str, str, str], Transition] = dataclasses.field(default_factory=dict)

    def sorted_transitions(self) -> list[Transition]:
        return sorted(self.transitions.values(), key=lambda t: (-t.count, t.field, t.before))

    def as_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "candidate_revision": self.candidate,
            "baseline": self.baseline,
            "runs": self.total,
            "changed": self.changed,
            "unchanged": self.total - self.changed,
            "compared_fields": list(self.compared_fields),
            "not_replayed": list(self.not_replayed),
            "changed_by_field": dict(sorted(self.changed_by_field.items())),
            "transitions": [
                {"field": t.field, "before": t.before, "after": t.after, "runs": t.count,
                 "run_ids": t.run_ids, "lines": t.lines, "examples": t.examples}
                for t in self.sorted_transitions()
            ],
        }


def replay(revision: LoadedRevision, raw_input: Any,
           recorded: Mapping[str, Any] | None = None) -> Outcome:
    """``raw_input`` through ``revision`` without a model (see the module docstring)."""
    plan = revision.plan
    try:
        validated = revision.input_model.model_validate(raw_input)
    except ValidationError as exc:
        return Outcome(status_of(InputInvalid("", validation_details(exc, ("body",)))))
    input_json = validated.model_dump(mode="json", by_alias=True)
    cel_input = plan.cel.input_values(input_json)
    scope = plan.cel.scope(cel_input)
    try:
        decided = plan.decide_tables(scope, cel_input, []).results
    except TableError as exc:
        return Outcome(status_of(table_failure(exc)))
    model_decided = revision.compiled.model_decided
    if model_decided and recorded is None:
        return Outcome("not_replayed", dict(decided))  # tables only: no answer to check
    merged = {k: v for k, v in (recorded or {}).items() if k in model_decided}
    merged.update(decided)
    try:
        output = revision.output_model.model_validate(merged).model_dump(mode="json",
                                                                         by_alias=True)
    except ValidationError:
        return Outcome(status_of(OutputInvalid("")), dict(decided))
    results = plan.check_guardrails(scope, cel_input, plan.cel.output_values(output))
    if any(not r.passed for r in results):
        return Outcome(status_of(GuardrailViolation("")), output)
    escalated = plan.review.applies(input_json, output)
    return Outcome("escalated" if escalated else "ok", output)


def shown(value: Any) -> str:
    """A value as a transition shows it: text as is, anything else as JSON."""
    if value is _MISSING:
        return "(none)"
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


_MISSING = object()


def compare(candidate: LoadedRevision, cases: Iterable[Case], *, baseline: str,
            recorded_model: bool = True, live: Sequence[Outcome] | None = None) -> ImpactReport:
    """Replay every case through ``candidate`` and count what changes against ``case.before``.

    ``recorded_model``: give the replay the model-decided fields of ``before`` (from the log).
    ``live``: the candidate's answers already obtained with its model (``--live``), one per
    case in order; every output field is then compared."""
    fields = tuple(candidate.table_decided)
    not_replayed = tuple(candidate.model_decided)
    if live is not None:
        fields, not_replayed = fields + not_replayed, ()
    report = ImpactReport(candidate.name, candidate.revision, baseline, fields, not_replayed)
    for i, case in enumerate(cases):
        report.total += 1
        after = (live[i] if live is not None else
                 replay(candidate, case.input, case.before.output if recorded_model else None))
        diffs = _differences(case.before, after, fields)
        if diffs:
            report.changed += 1
        for name, old, new in diffs:
            report.changed_by_field[name] = report.changed_by_field.get(name, 0) + 1
            key = (name, old, new)
            t = report.transitions.get(key)
            if t is None:
                t = report.transitions[key] = Transition(name, old, new)
            t.count += 1
            if case.run_id is not None and len(t.run_ids) < MAX_IDS:
                t.run_ids.append(case.run_id)
            if case.line is not None and len(t.lines) < MAX_IDS:
                t.lines.append(case.line)
            if len(t.examples) < MAX_EXAMPLES:
                t.examples.append(case.input)
    return report


def _differences(before: Outcome, after: Outcome, fields: tuple[str, ...]
                 ) -> list[tuple[str, str, str]]:
    out = []
    comparable = {"ok", "escalated", "not_replayed"}
    if before.status != after.status and not (
        "not_replayed" in (before.status, after.status)
        and before.status in comparable and after.status in comparable
    ):
        out.append((STATUS, before.status, after.status))
    if before.output is not None and after.output is not None:
        for name in fields:
            old = before.output.get(name, _MISSING)
            new = after.output.get(name, _MISSING)
            if old is _MISSING and new is _MISSING:
                continue
            if old is _MISSING or new is _MISSING or json.dumps(old) != json.dumps(new):
                out.append((name, shown(old), shown(new)))
    return out


def over_limit(report: ImpactReport, max_changed: int | None) -> bool:
    """The CI gate: more runs change than allowed."""
    return max_changed is not None and report.changed > max_changed


def case_of_run(run: Any) -> Case:
    """A logged ``RunRecord`` as a case: its input, and its status and output as answered."""
    return Case(input=run.input, before=Outcome(run.status, run.output), run_id=run.id)


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_since(text: str, now: float) -> float:
    """``30m``, ``24h``, ``7d``, ``2w`` before ``now``, or an ISO date/time (UTC unless it
    says otherwise) -> epoch seconds. ValueError names the accepted forms."""
    from datetime import UTC, datetime

    value = text.strip()
    unit = _UNITS.get(value[-1:].lower())
    if unit is not None and value[:-1].replace(".", "", 1).isdigit():
        return now - float(value[:-1]) * unit
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{text!r} is neither a duration (30m, 24h, 7d, 2w) nor a date "
                         "(2026-12-01 or 2026-12-01T08:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def expected_cost(usages: Sequence[tuple[int, int]], runs: int,
                  price: Callable[[int, int], float | None]) -> float | None:
    """What ``runs`` model-backed runs are expected to cost: the mean recorded token counts
    (``usages``: input and output tokens of logged runs that called a model) priced by
    ``price``; None when nothing was recorded or the price is unknown."""
    used = [u for u in usages if u[0] or u[1]]
    if runs == 0:
        return 0.0
    if not used:
        return None
    mean_in = sum(u[0] for u in used) / len(used)
    mean_out = sum(u[1] for u in used) / len(used)
    one = price(round(mean_in), round(mean_out))
    return None if one is None else one * runs
