"""The floors of the HTTP benchmarks: the least a FastAPI service doing the same job does.

* ``e2e``: ``POST /floor`` validates the body with the same generated Pydantic ``Input`` model as
  Specwright serves (carrier-selection), calls the raw ``openai.AsyncOpenAI`` SDK (``max_retries=0``)
  with the same system prompt and strict ``response_format``, parses the JSON answer and returns it
  with the two table-decided fields as constants. No decision tables, guardrails or log.
* ``hello``: ``POST /hello`` returns a constant instance of the same ``Output`` model as the
  rules-only spec (order-validation); the body is not read.
* ``validate``: ``POST /validate`` validates the body with the same ``Input`` model and returns
  that constant ``Output``.

Served like ``specwright serve``: one uvicorn process (``--workers N``: N, with the same supervisor
as ``specwright serve --workers N``), ``server_header=False``, warnings only.

    python bench/floor_apps.py e2e --port 8200 --project DIR --fake-url http://127.0.0.1:8100
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI
from fastapi.responses import JSONResponse

from specwright.runtime.engine.catalog import LoadedRevision, load_catalog


def _revision(project: Path, name: str) -> LoadedRevision:
    return load_catalog(project / "generated").resolve(name, 1)


def _with_body(fn: Any, model: type[Any]) -> Any:
    """Declare ``fn(body)`` with ``model`` as its JSON body (the model is only known at runtime)."""
    fn.__signature__ = inspect.Signature([inspect.Parameter(
        "body", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[model, Body()])])
    return fn


def e2e_app(project: Path, fake_url: str, idle_fix: bool = False) -> FastAPI:
    """``idle_fix``: the SDK client's pool checks idle connections as Specwright's do
    (``specwright.runtime.models.idle_check``), to show how much of the difference that is."""
    import openai

    from specwright.runtime.models.lowering import lower

    rev = _revision(project, "carrier-selection")
    client = openai.AsyncOpenAI(api_key="sk-bench", base_url=f"{fake_url}/v1", max_retries=0)
    if idle_fix:
        from specwright.runtime.models.idle_check import cheapen_idle_checks

        cheapen_idle_checks(client)
    system = str(rev.prompt.system())  # type: ignore[attr-defined]
    response_format: Any = {"type": "json_schema", "json_schema": {
        "name": "carrier_selection_output", "strict": True,
        "schema": lower(dict(rev.model_output_schema), "openai").schema}}
    app = FastAPI()

    async def floor(body: Any) -> JSONResponse:
        data = body.model_dump(mode="json")
        messages: Any = [{"role": "system", "content": system},
                         {"role": "user", "content": f"<input>{json.dumps(data)}</input>"}]
        r = await client.chat.completions.create(
            model="gpt-4.1-mini", messages=messages, response_format=response_format,
            timeout=30.0)
        answer = json.loads(r.choices[0].message.content or "{}")
        return JSONResponse({**answer, "service": "ground", "insured": False})

    app.post("/floor")(_with_body(floor, rev.input_model))
    return app


def hello_app(project: Path, output: dict[str, Any]) -> FastAPI:
    rev = _revision(project, "order-validation")
    value = rev.output_model.model_validate(output)
    app = FastAPI()

    async def hello() -> Any:
        return value

    async def validate(body: Any) -> Any:
        return value

    app.post("/hello", response_model=rev.output_model)(hello)
    app.post("/validate", response_model=rev.output_model)(_with_body(validate, rev.input_model))
    return app


FLOOR_ENV = "SPECWRIGHT_BENCH_FLOOR"  # a worker's arguments (``--workers``: spawned processes)


def app_from_env() -> FastAPI:
    """The floor app described by ``FLOOR_ENV`` (uvicorn calls this in each worker)."""
    args = json.loads(os.environ[FLOOR_ENV])
    project = Path(args["project"])
    if args["kind"] == "e2e":
        app = e2e_app(project, args["fake_url"], args["idle_fix"])
    else:
        app = hello_app(project, json.loads(args["output"]))

    async def healthz() -> dict[str, bool]:
        return {"ok": True}

    app.get("/healthz")(healthz)
    return app


def main() -> None:
    import uvicorn

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("kind", choices=["e2e", "hello"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--project", type=Path, required=True)
    p.add_argument("--fake-url", default="")
    p.add_argument("--output", default="{}", help="hello: the Output to return (JSON)")
    p.add_argument("--idle-fix", action="store_true",
                   help="e2e: cheaper idle-connection checks, as Specwright's SDK clients")
    p.add_argument("--workers", type=int, default=1,
                   help="server processes, under specwright serve --workers's supervisor")
    args = p.parse_args()
    os.environ[FLOOR_ENV] = json.dumps({
        "kind": args.kind, "project": str(args.project.resolve()), "fake_url": args.fake_url,
        "output": args.output, "idle_fix": args.idle_fix})
    if args.workers == 1:
        uvicorn.run(app_from_env(), host="127.0.0.1", port=args.port, log_level="warning",
                    server_header=False, lifespan="on")
        return
    # the same supervisor as ``specwright serve --workers`` (a socket per worker), so that the
    # two compare as apps, not as ways of spreading connections over workers
    from specwright.runtime.cli.supervisor import Supervisor, bind_sockets

    config = uvicorn.Config("floor_apps:app_from_env", factory=True, host="127.0.0.1",
                            port=args.port, workers=args.workers, log_level="warning",
                            server_header=False, lifespan="on")
    sys.exit(Supervisor(config, bind_sockets("127.0.0.1", args.port, args.workers,
                                             config.backlog)).run())


if __name__ == "__main__":
    main()
