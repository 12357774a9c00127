"""Fixtures of the authoring suite; helpers live in ``au_support`` beside this file.

The network guard (``runtime/testing/network_guard.py``) is registered for every test run by
``-p specwright.runtime.testing.network_guard`` in ``pyproject.toml``: no test here reaches a provider.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
