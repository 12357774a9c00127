"""Known wrong answers of the model a project's recordings were made with.

A model-decided example check compares a model's answer with the example's. The small local
model CI records with answers some examples wrong; those checks still run against its
recordings, and each wrong answer is listed, with the answer the example expects and the one
the model gave, in one reviewed file beside the cassettes: ``cassettes/known-wrong.json``.

Replaying such an example must give exactly the listed answer: the check is then an expected
failure (``xfail``), and it is strict: a right answer, or a different wrong one, fails the
suite until the file is updated (``SPECWRIGHT_REPIN_REAL_MODEL=1 pytest tests/realmodel``
records the model again and rewrites the file; review the diff). The entries describe the
committed recordings, so they apply to replays only: a live run is compared on its merits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from specwright.runtime.engine.pipeline import RunResult
from specwright.runtime.testing.report import fail, value_text

__all__ = [
    "FILE_NAME", "entry_key", "expected_failure", "known_wrong_path", "load", "observed", "same",
    "write",
]

FILE_NAME = "known-wrong.json"
ABOUT = ("Answers of the recorded model that do not match the examples: each model-decided "
         "check listed here runs and must fail with exactly this answer (xfail, strict). "
         "Re-record with SPECWRIGHT_REPIN_REAL_MODEL=1 pytest tests/realmodel, then review.")


def known_wrong_path(project_root: Path | str) -> Path:
    return Path(project_root) / "cassettes" / FILE_NAME


def entry_key(spec: str, title: str) -> str:
    return f"{spec}: {title}"


def load(project_root: Path | str) -> dict[str, dict[str, Any]]:
    """The entries, keyed ``"<spec>: <example title>"`` (none when there is no file)."""
    path = known_wrong_path(project_root)
    if not path.is_file():
        return {}
    entries: dict[str, dict[str, Any]] = json.loads(path.read_text("utf-8"))["entries"]
    return entries


def write(project_root: Path | str, recorded_with: str,
          entries: Mapping[str, Mapping[str, Any]]) -> Path:
    path = known_wrong_path(project_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"about": ABOUT, "recorded_with": recorded_with, "entries": dict(sorted(entries.items()))}
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return path


def observed(result: RunResult, fields: Iterable[str]) -> dict[str, Any]:
    """What a run gave for the example's model-decided fields: the answer's values, or how the
    run ended when it gave none (its status, the guardrails it names, the model's last answer)."""
    body = result.body if isinstance(result.body, dict) else {}
    if result.ok:
        return {"answered": {f: body.get(f) for f in fields}}
    details = body.get("details")
    labels = [d["label"] for d in details if isinstance(d, dict) and "label" in d] \
        if isinstance(details, list) else []
    last = next((a.answer for a in reversed(result.run.attempts) if a.answer), None)
    return {"ended_in": result.run.status, "guardrails": labels, "last_answer": _parsed(last)}


def _parsed(text: str | None) -> Any:
    """The model's last answer as JSON when it is JSON (reads better in the file), else its text."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _canon(value: Any) -> Any:
    """JSON value with every number as a float (5 and 5.0 are the same answer), bools kept."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Mapping):
        return {k: _canon(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canon(v) for v in value]
    return value


def same(a: Any, b: Any) -> bool:
    """Two outcomes are the same answer (numbers compared as numbers)."""
    return bool(_canon(a) == _canon(b))


def _text(outcome: Mapping[str, Any]) -> str:
    if "answered" in outcome:
        return ", ".join(f"{k} {value_text(v)}" for k, v in outcome["answered"].items())
    named = "; ".join(outcome.get("guardrails") or ()) or "no guardrail named"
    return f"no answer: the run ended in {outcome.get('ended_in')} ({named})"


def expected_failure(heading: str, fields: list[str], expected: Mapping[str, Any],
                     result: RunResult, entry: Mapping[str, Any], where: Path) -> None:
    """xfail when the run gave exactly the listed wrong answer; fail on any other outcome."""
    __tracebackhide__ = True
    now = observed(result, fields)
    model = entry.get("model", "the recorded model")
    if not same(entry.get("expected"), dict(expected)):
        raise fail(f"{heading} is listed in {where} with another expected answer "
                   f"({_text({'answered': entry.get('expected') or {}})}) than the example's "
                   f"({_text({'answered': dict(expected)})}): the example changed; re-record "
                   "(SPECWRIGHT_REPIN_REAL_MODEL=1 pytest tests/realmodel) and review the entry.")
    if same(now, entry.get("observed")):
        pytest.xfail(f"known wrong answer of {model} ({where.name}): expects "
                     f"{_text({'answered': dict(expected)})}; answers {_text(now)}")
    right = same(now, {"answered": dict(expected)})
    raise fail(
        f"{heading} is listed in {where} as answered wrong by {model}, but the replay now "
        + ("gives the expected answer" if right else "gives a different answer") + ":",
        f"  listed: {_text(entry.get('observed') or {})}",
        f"  now:    {_text(now)}",
        f"  expected by the example: {_text({'answered': dict(expected)})}",
        "  Re-record (SPECWRIGHT_REPIN_REAL_MODEL=1 pytest tests/realmodel) and review the "
        + ("removed entry." if right else "changed entry."))
