"""Specwright compiler: spec markdown in, typed IR and artifacts out. Pure: no I/O, no clock."""

from __future__ import annotations

__version__ = "0.1.0"
