"""The real-model lane: every test here talks to SmolLM2-135M on loopback (see
runtime/testing/real_model.py). The examples of every model-backed spec run once per session
(``lane``); the tests read what those runs did. Helpers live in ``rm_support`` beside this file
(imported lazily: the testing library loads Hypothesis, which must not start during collection).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from specwright.runtime.testing.real_model import real_model_project, real_model_server  # noqa: F401

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def lane(real_model_project: Path) -> Any:  # noqa: F811
    from rm_support import run_lane

    return run_lane(real_model_project)
