"""``create_app(tune_process=True)`` (``specwright serve``) tunes the process it owns, once
start-up is complete; without it, an embedding application keeps its own settings.

Each case runs in a child interpreter: the settings are process-wide, and the test process must
keep its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from specwright.runtime.http.app import GC_THRESHOLD, SWITCH_INTERVAL_S

_CHILD = """
import asyncio, gc, json, sys
from pathlib import Path
from specwright.runtime.http.app import create_app
from specwright.runtime.config import load_settings

async def main(root: Path, tune: bool) -> dict:
    before = sys.getswitchinterval()
    app = create_app(load_settings(root, {}), root, tune_process=tune)
    async with app.router.lifespan_context(app):
        during = {"switch_interval": sys.getswitchinterval(), "gc_threshold": gc.get_threshold(),
                  "frozen": gc.get_freeze_count()}
    return {"before": before, **during}

print(json.dumps(asyncio.run(main(Path(sys.argv[1]), sys.argv[2] == "tune"))))
"""


def _child(project: Path, mode: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(project), mode],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_serving_process_is_tuned_once_started(project: Path) -> None:
    tuned = _child(project, "tune")
    assert tuned["before"] == 0.005  # the interpreter's default, until start-up is complete
    assert tuned["switch_interval"] == SWITCH_INTERVAL_S
    assert tuned["gc_threshold"] == list(GC_THRESHOLD)
    assert isinstance(tuned["frozen"], int) and tuned["frozen"] > 0


def test_embedded_app_keeps_the_process_settings(project: Path) -> None:
    embedded = _child(project, "keep")
    assert embedded["switch_interval"] == embedded["before"] == 0.005
    assert embedded["gc_threshold"] != list(GC_THRESHOLD)
    assert embedded["frozen"] == 0
