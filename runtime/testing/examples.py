"""The spec's examples, run through the execution pipeline in-process.

``check_example`` compares the fields the decision tables decide: always, offline, exactly. When
the spec also needs a model, a stand-in answers the model-decided fields (the example's own values
where it names them), so the run completes without a network; those fields are not compared here.

``check_example_model`` compares the model-decided fields. It replays the spec's cassette when one
is recorded, calls the real route with ``--live`` (``SPECWRIGHT_TEST_MODELS=live``), records a
cassette with ``--record``, and otherwise skips with the command that records one: never a pass.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from specwright.compiler.hitpolicy import gather, gathers, ranked
from specwright.compiler.ir import Example
from specwright.runtime.engine.pipeline import RunResult, execute
from specwright.runtime.models.base import Model
from specwright.runtime.records import RunRecord
from specwright.runtime.testing import known_wrong
from specwright.runtime.testing.modes import MODE_ENV, MODES, NO_RECORDING
from specwright.runtime.testing.report import fail, location, row_ref, value_text
from specwright.runtime.testing.standin import StandInModel
from specwright.runtime.testing.suite import SpecSuite


class _Runs:
    """A log store that keeps the runs in memory (the tests never write a database)."""

    def __init__(self) -> None:
        self.runs: list[RunRecord] = []

    async def write(self, run: RunRecord) -> None:
        self.runs.append(run)


def model_mode() -> str:
    mode = os.environ.get(MODE_ENV, "replay").strip().lower() or "replay"
    if mode not in MODES:
        raise ValueError(f"{MODE_ENV}={mode!r}: use replay, live or record")
    return mode


def run_example(suite: SpecSuite, example: Example, model: Callable[[], Model]) -> RunResult:
    return asyncio.run(execute(suite.revision, dict(example.input), model=model, store=_Runs()))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _heading(suite: SpecSuite, example: Example) -> str:
    return f'example "{example.title}" ({location(suite.source, example.loc.line)})'


def _trace_rows(run: RunRecord, table: str) -> list[int]:
    """The rows a run's rule trace says a table used."""
    trace = next((t for t in run.rule_trace if t.get("table") == table), None)
    rows = (trace or {}).get("rows", [])
    return [int(r.get("number", 0)) if isinstance(r, dict) else int(r) for r in rows]


def _traced_outputs(suite: SpecSuite, run: RunRecord) -> dict[str, Any]:
    """The table-decided output of a run that ended before answering, from its rule trace."""
    out: dict[str, Any] = {}
    for table in suite.compiled.tables:
        rows = [r for r in table.rows if r.number in _trace_rows(run, table.name)]
        if gathers(table):
            out.update(gather(table, [r.results for r in ranked(table, rows)]))
        elif rows:
            out.update(rows[0].results)
    return out


def _decided_by(suite: SpecSuite, run: RunRecord, field: str) -> str:
    for table in suite.compiled.tables:
        if field in table.outputs:
            rows = _trace_rows(run, table.name)
            if rows:
                return " by " + "; ".join(row_ref(suite.source, table, n) for n in rows)
            return f" (no row of '{table.name}' matched)"
    return ""


def _error(result: RunResult) -> str:
    body = result.body if isinstance(result.body, dict) else {}
    details = body.get("details")
    lines = [f"{body.get('type', result.status_code)}: {body.get('message', '')}"]
    if isinstance(details, list):
        for d in details:
            if isinstance(d, dict) and "loc" in d:
                loc = ".".join(str(p) for p in d["loc"] if p != "body")
                lines.append(f"{loc}: {d.get('msg', '')}")
            else:
                lines.append(str(d))
    return "\n  ".join(lines)


def _compare(suite: SpecSuite, example: Example, result: RunResult, fields: list[str], who: str) -> None:
    __tracebackhide__ = True
    if result.ok and isinstance(result.body, dict):
        output = result.body
    else:
        output = {**_traced_outputs(suite, result.run), **(result.run.output or {})}
    wrong = []
    for name in fields:
        want, got = example.output[name], output.get(name)
        if not _same(want, got):
            via = _decided_by(suite, result.run, name) if who == "the tables" else ""
            wrong.append(f"{name}: the example expects {value_text(want)}, "
                         f"{who} decided {value_text(got)}{via}")
    if wrong:
        raise fail(f"{_heading(suite, example)} does not match what {who} decided:",
                   *(f"  - {w}" for w in wrong),
                   "  Fix the example, or the spec, so that they agree.")


def check_example(suite: SpecSuite, title: str) -> None:
    """Run the example; the fields it expects from the decision tables must match exactly."""
    __tracebackhide__ = True
    example = suite.example(title)
    compiled = suite.compiled
    standin = StandInModel(suite.revision, example.output)
    result = run_example(suite, example, lambda: standin)
    status = result.run.status
    if status == "invalid_input":
        raise fail(f"the input of {_heading(suite, example)} is not valid:", f"  {_error(result)}")
    if not result.ok:
        # Tolerated only when the answer failed on a field the stand-in made up, not the example's
        # own: the stand-in could not guess a value the guardrails accept, the tables did decide.
        made_up = status in ("guardrail_failed", "model_error") and standin.filled_guardrail_fields(
            result)
        if compiled.rules_only or not made_up:
            raise fail(f"{_heading(suite, example)} does not run: the run ended in {status}",
                       f"  {_error(result)}")
    fields = [f for f in example.output if f in compiled.table_decided]
    _compare(suite, example, result, fields, "the tables")


def cassette_file(suite: SpecSuite) -> Path:
    """Where the spec's model recordings live: ``<project>/cassettes/<spec>.json`` (committed)."""
    from specwright.runtime.models.cassette import cassette_path

    return cassette_path(suite.project_root, suite.name)


def _secrets(env: Mapping[str, str]) -> list[str]:
    return [v for k, v in env.items() if k.endswith(("_API_KEY", "_TOKEN")) and v]


def run_on_route(
    suite: SpecSuite, example: Example, mode: str, *, overrides: Mapping[str, Model] | None = None
) -> RunResult:
    """Run the example with the spec's recorded answers (replay), or its real route (live,
    record: the route's final answers are written to the spec's cassette).

    ``overrides`` replaces models of the route by ready-made ones (fakes, in tests).
    """
    from specwright.runtime.config import load_settings
    from specwright.runtime.models._support import ClientPool
    from specwright.runtime.models.cassette import attempt_recorder, attempt_replayer
    from specwright.runtime.models.registry import build_route

    path = cassette_file(suite)
    settings = load_settings(suite.project_root)
    env = dict(os.environ)
    # Every attempt is recorded and replayed under the real router (its repairs and fallbacks
    # included), so a replay reaches the verdict the recording reached, a failure included.
    if mode == "replay":
        wrap = attempt_replayer(path)
    elif mode == "record":
        wrap = attempt_recorder(path, _secrets(env))
    else:
        wrap = None

    async def go() -> RunResult:
        pool = ClientPool()
        try:
            route: Model = build_route(suite.compiled.spec.route, settings, env, pool=pool,
                                       overrides=overrides, wrap=wrap)
            return await execute(suite.revision, dict(example.input), model=lambda: route,
                                 store=_Runs())
        finally:
            await pool.aclose()

    return asyncio.run(go())


def check_example_model(suite: SpecSuite, title: str) -> None:
    """Compare the model-decided fields the example names: replayed, live or recorded."""
    __tracebackhide__ = True
    example = suite.example(title)
    fields = [f for f in example.output if f in suite.compiled.model_decided]
    mode = model_mode()
    record = f"run `specwright test {suite.name} --record` with provider keys set"
    path = cassette_file(suite)
    if mode == "replay" and not path.is_file():
        pytest.skip(f"{NO_RECORDING} for model-decided fields {', '.join(fields)}: {record}")
    result = run_on_route(suite, example, mode)
    body = result.body if isinstance(result.body, dict) else {}
    if mode == "replay" and body.get("type") == "replay_miss":
        missing = body.get("details") or {}
        pytest.skip(f"{NO_RECORDING} in {path.name} for a request of this example "
                    f"(key {str(missing.get('key', '?'))[:12]}; its prompt, schema or an earlier "
                    f"answer differs from what was recorded) for {', '.join(fields)}: {record}")
    known = known_wrong.load(suite.project_root).get(
        known_wrong.entry_key(suite.name, title)) if mode == "replay" else None
    if known is not None:  # the recorded model's listed wrong answer: xfail, strict
        known_wrong.expected_failure(
            _heading(suite, example), fields, {f: example.output[f] for f in fields}, result,
            known, known_wrong.known_wrong_path(suite.project_root))
    if not result.ok:
        raise fail(f"{_heading(suite, example)} did not get an answer ({mode}): "
                   f"the run ended in {result.run.status}", f"  {_error(result)}")
    how = "replayed" if mode == "replay" else mode
    _compare(suite, example, result, fields, f"the model ({result.run.model or '?'}, {how})")
