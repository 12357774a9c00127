"""The real model through ``specwright serve``: what Specwright adds to a model call, and tokens
per decision.

A small real model (SmolLM2-135M in llama-cpp-python's server, ``runtime/testing/real_model.py``)
serves a temporary copy of this project; ``specwright serve`` runs in front of it. Every example
of every model-backed spec is posted once per round, one request at a time (the model server
runs one request at a time anyway). For each request:

* through serve: the wall time the HTTP client saw;
* the model alone: the summed latency of the run's attempts, as the router measured around each
  model call (read back from the execution log, ``GET /runs``);
* added: the difference (validation, tables, prompt, parsing, checks, guardrails, log write and
  HTTP), per call, and the ratio through-serve / model-alone.

Tokens per decision are the run's input and output tokens summed over its attempts (a repair
costs what it costs). Reported per spec: medians over examples and rounds.

    python bench/real_model.py [--rounds 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import REPO, machine, median, start_specwright, table, write_json  # noqa: E402

from specwright.runtime.testing.real_model import RealModelServer, point_project_at  # noqa: E402
from specwright.runtime.testing.suite import SpecSuite  # noqa: E402


def _post(url: str, body: Any) -> tuple[int, float]:
    data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=600) as r:  # noqa: S310 - loopback only
            r.read()
            status = r.status
    except urllib.error.HTTPError as exc:
        exc.read()
        status = exc.code
    return status, time.perf_counter() - t0


def _latest_run(base: str, spec: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base}/runs?spec={spec}&limit=1", timeout=30) as r:  # noqa: S310
        runs: list[dict[str, Any]] = json.loads(r.read())["runs"]
    return runs[0]


def examples(project: Path) -> list[tuple[str, int, Any]]:
    """(spec, contract major, input) of every example of every model-backed spec."""
    out = []
    for spec_dir in sorted((project / "generated").iterdir()):
        revisions = sorted(spec_dir.glob("r*"), key=lambda p: int(p.name[1:]))
        suite = SpecSuite.load(revisions[-1])
        if suite.compiled.model_decided:
            major = suite.revision.major
            out += [(suite.name, major, dict(e.input)) for e in suite.compiled.spec.examples]
    return out


def run(rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = RealModelServer.start(root)
        try:
            project = point_project_at(server, REPO, root / "project")
            serve = start_specwright(project)
            try:
                rows: dict[str, list[dict[str, float]]] = {}
                for _ in range(rounds):
                    for spec, major, body in examples(project):
                        status, wall = _post(f"{serve.url}/specs/{spec}/v{major}", body)
                        logged = _latest_run(serve.url, spec)
                        attempts = logged["attempts"]
                        model_s = sum(a["latency_ms"] for a in attempts) / 1000
                        rows.setdefault(spec, []).append({
                            "status": status, "wall_s": wall, "model_s": model_s,
                            "added_ms": (wall - model_s) * 1000,
                            "calls": len(attempts),
                            "input_tokens": sum(a["input_tokens"] or 0 for a in attempts),
                            "output_tokens": sum(a["output_tokens"] or 0 for a in attempts),
                        })
            finally:
                serve.stop()
        finally:
            server.stop()
    specs = {}
    for spec, rs in rows.items():
        specs[spec] = {
            "requests": len(rs),
            "statuses": sorted({int(r["status"]) for r in rs}),
            "model_s": median(r["model_s"] for r in rs),
            "wall_s": median(r["wall_s"] for r in rs),
            "added_ms_per_call": median(r["added_ms"] / max(1, r["calls"]) for r in rs),
            "ratio": median(r["wall_s"] / r["model_s"] for r in rs if r["model_s"] > 0),
            "calls": median(r["calls"] for r in rs),
            "input_tokens": median(r["input_tokens"] for r in rs),
            "output_tokens": median(r["output_tokens"] for r in rs),
        }
    return {"rounds": rounds, "machine": machine(), "specs": specs}


def summary(result: dict[str, Any]) -> str:
    rows = [
        [spec, s["requests"], ",".join(map(str, s["statuses"])), f"{s['model_s']:.2f}",
         f"{s['wall_s']:.2f}", f"{s['added_ms_per_call']:.1f}", f"{s['ratio']:.3f}",
         f"{s['calls']:.0f}", f"{s['input_tokens']:.0f}", f"{s['output_tokens']:.0f}"]
        for spec, s in sorted(result["specs"].items())
    ]
    return table(["spec", "requests", "statuses", "model s", "through serve s",
                  "added ms/call", "ratio", "calls/decision", "tokens in", "tokens out"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    result = run(args.rounds)
    print(summary(result))
    print(f"\n{result['machine']}; medians over {args.rounds} round(s) of every example")
    if args.json:
        write_json(args.json, result)


if __name__ == "__main__":
    main()
