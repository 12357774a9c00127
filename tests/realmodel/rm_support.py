"""The real-model lane's shared machinery: the route it uses and the session's example runs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from specwright.compiler.ir import Route, RouteModel
from specwright.runtime.config import load_settings
from specwright.runtime.engine.pipeline import RunResult, execute
from specwright.runtime.models.cassette import attempt_recorder
from specwright.runtime.models.registry import ClientPool, build_route
from specwright.runtime.records import RunRecord
from specwright.runtime.testing.real_model import MODEL_NAME
from specwright.runtime.testing.suite import SpecSuite

LOCAL = f"local:{MODEL_NAME}"
# One model per route: a fallback to a second deployment of the same server would only repeat
# the same calls (and double the lane's time); the router's repair still runs.
ROUTE = Route(models=(RouteModel(ref=LOCAL),))


class Runs:
    def __init__(self) -> None:
        self.runs: list[RunRecord] = []

    async def write(self, run: RunRecord) -> None:
        self.runs.append(run)


@dataclass
class ExampleRun:
    spec: str
    title: str
    suite: SpecSuite
    result: RunResult


@dataclass
class Lane:
    project: Path
    cassettes: Path
    runs: list[ExampleRun]


def model_backed_suites(project: Path) -> list[SpecSuite]:
    suites = []
    for spec_dir in sorted((project / "generated").iterdir()):
        revisions = sorted(spec_dir.glob("r*"), key=lambda p: int(p.name[1:]))
        if revisions:
            suite = SpecSuite.load(revisions[-1])
            if suite.compiled.model_decided:
                suites.append(suite)
    return suites


def run_lane(real_model_project: Path) -> Lane:
    """Every example of every model-backed spec, once, through the pipeline and the router to
    the real server; every attempt recorded into ``cassettes/<spec>.json`` of the project."""
    settings = load_settings(real_model_project)
    cassettes = real_model_project / "cassettes"
    runs: list[ExampleRun] = []

    async def go() -> None:
        pool = ClientPool()
        try:
            for suite in model_backed_suites(real_model_project):
                router = build_route(ROUTE, settings, pool=pool,
                                     wrap=attempt_recorder(cassettes / f"{suite.name}.json"))
                for example in suite.compiled.spec.examples:
                    result = await execute(suite.revision, dict(example.input),
                                           model=lambda r=router: r, store=Runs())
                    runs.append(ExampleRun(suite.name, example.title, suite, result))
        finally:
            await pool.aclose()

    asyncio.run(go())
    return Lane(real_model_project, cassettes, runs)
