"""schemathesis against a running ``specwright serve``: every operation, every phase (examples,
coverage, fuzzing, stateful), without and with API keys.

For each mode a fresh copy of ``specs/`` is compiled and served (``--mock``: model-decided fields
are answered offline) on a free loopback port; schemathesis' CLI then runs with every check it
has but its own ``positive_data_acceptance``, which is replaced by ``valid_request_not_refused``
(``bench/st_hooks.py``: a schema-valid request must not be refused for its form; a 422 that is
the spec's decision, such as a guardrail, is counted apart). With keys, the server holds an admin
key and schemathesis sends it; ``ignored_auth`` checks that requests without it are refused.

    python bench/schemathesis_run.py                      # ~25,000 cases (about 30 minutes)
    python bench/schemathesis_run.py --max-examples 10    # a smoke run
    python bench/schemathesis_run.py --json out.json
    python bench/schemathesis_run.py --include-path-regex '/impact$'   # one operation

Prints, per mode and in total: cases generated, server errors, responses that break the
documented schema, schema-valid requests refused, other failures, and the decision outcomes.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
ST = str(Path(sys.executable).with_name("st"))
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,response_headers_conformance,negative_data_rejection,"
          "missing_required_header,unsupported_method,use_after_free,"
          "ensure_resource_availability,ignored_auth,valid_request_not_refused")
# schemathesis' failure types, as its JSON report names them, by what the report counts
SERVER_ERRORS = {"ServerError"}
SCHEMA_BREAKS = {"JsonSchemaError", "UndefinedStatusCode", "UndefinedContentType",
                 "MalformedMediaType", "MissingContentType", "MissingHeaders"}
REFUSED = {"valid_request_not_refused", "RejectedPositiveData"}


def _project(root: Path) -> Path:
    from specwright.runtime.config import Settings
    from specwright.runtime.project.compile_all import compile_project

    shutil.copytree(REPO / "specs", root / "specs")
    (root / "specwright.toml").write_text("", encoding="utf-8")
    result = compile_project(root, Settings(), write=True)
    errors = [str(d) for o in result.outcomes for d in o.errors]
    if errors:
        raise SystemExit("\n".join(errors))
    return root


def _classify(failures: list[dict[str, Any]]) -> dict[str, int]:
    counts = collections.Counter[str]()
    for f in failures:
        kind = str(f.get("type") or f.get("title"))
        if kind in SERVER_ERRORS:
            counts["server_errors"] += int(f.get("count", 1))
        elif kind in SCHEMA_BREAKS:
            counts["schema_breaks"] += int(f.get("count", 1))
        elif kind in REFUSED or "refused" in str(f.get("title", "")).lower():
            counts["valid_refused"] += int(f.get("count", 1))
        else:
            counts["other_failures"] += int(f.get("count", 1))
    return dict(counts)


def run_mode(mode: str, max_examples: int, seed: int, workdir: Path,
             path_regex: str | None = None) -> dict[str, Any]:
    """One mode ("open" or "keys"): serve, run schemathesis, return its counts; ``path_regex``
    restricts it to the operations whose path matches (to replay one operation's finding)."""
    from specwright.runtime.config import Settings
    from specwright.runtime.http.auth import KeyStore, keys_path
    from specwright.runtime.testing.server import ServeProcess

    project = _project(workdir / mode)
    headers: list[str] = []
    if mode == "keys":
        _, token = KeyStore(keys_path(Settings(), project)).create("admin", "schemathesis")
        headers = ["-H", f"Authorization: Bearer {token}"]
    tally = workdir / f"{mode}-decisions.jsonl"
    report = workdir / f"{mode}-report.json"
    server = ServeProcess(project, "--mock", "--log-level", "warning")
    try:
        server.wait_ready()
        argv = [ST, "--config-file", str(BENCH / "schemathesis.toml"), "--no-color", "run",
                f"{server.url}/openapi.json",
                "--phases", "examples,coverage,fuzzing,stateful", "-c", CHECKS,
                "-n", str(max_examples), "--seed", str(seed), "--generation-database", "none",
                "--continue-on-failure", "--report", "json", "--report-json-path", str(report),
                *headers, *(["--include-path-regex", path_regex] if path_regex else [])]
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "st_hooks", "SW_ST_TALLY": str(tally),
               "PYTHONPATH": os.pathsep.join([str(BENCH), os.environ.get("PYTHONPATH", "")])}
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=workdir,
                              check=False)
    finally:
        server.stop()
    if not report.exists():
        raise SystemExit(f"schemathesis wrote no report:\n{proc.stdout[-3000:]}\n"
                         f"{proc.stderr[-3000:]}")
    data = json.loads(report.read_text())
    decisions = collections.Counter(
        json.loads(line)["type"] for line in tally.read_text().splitlines()
    ) if tally.exists() else collections.Counter()
    counts = {"server_errors": 0, "schema_breaks": 0, "valid_refused": 0, "other_failures": 0,
              **_classify(data.get("failures", []))}
    server_log = server.output()
    return {
        "mode": mode,
        "cases": data["test_cases"]["generated"],
        "operations": data["operations"]["tested"],
        "phases": {k: v["status"] for k, v in data["phases"].items()},
        **counts,
        "errors": len(data.get("errors", [])),
        "decision_outcomes": dict(decisions),
        "failures": data.get("failures", []),
        "tracebacks_in_server_log": server_log.count("Traceback"),
        "output_tail": proc.stdout[-4000:] if data.get("failures") else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=700,
                        help="per operation and phase (700: ~12,000 cases per mode)")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--modes", nargs="+", default=["open", "keys"])
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--include-path-regex", default=None,
                        help="only the operations whose path matches (e.g. '/impact$'); "
                             "the stateful phase then errors when they have no links")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sw-st-") as tmp:
        results = [run_mode(m, args.max_examples, args.seed, Path(tmp),
                            args.include_path_regex) for m in args.modes]
    cols = ("cases", "server_errors", "schema_breaks", "valid_refused", "other_failures",
            "errors")
    print(f"{'mode':<6} | " + " | ".join(f"{c:>14}" for c in cols) + " | decision outcomes")
    for r in results:
        print(f"{r['mode']:<6} | " + " | ".join(f"{r[c]:>14}" for c in cols)
              + f" | {r['decision_outcomes']}")
    total = {c: sum(r[c] for r in results) for c in cols}
    print(f"{'total':<6} | " + " | ".join(f"{total[c]:>14}" for c in cols))
    for r in results:
        if r["failures"]:
            print(f"\n{r['mode']} failures:\n{r['output_tail']}")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "total": total}, indent=1))


if __name__ == "__main__":
    main()
