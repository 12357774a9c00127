"""Fixtures of the authoring suite; helpers live in ``au_support`` beside this file.

The network guard (``tests/network_guard.py``) is applied here too: no test reaches a provider.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from network_guard import network_guard  # noqa: E402, F401
