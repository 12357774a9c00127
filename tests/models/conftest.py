"""Fixtures of the model-layer suite; helpers live in ``mdl_support`` beside this file.

The network guard (``runtime/testing/network_guard.py``) is registered for every test run by
``-p specwright.runtime.testing.network_guard`` in ``pyproject.toml``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
