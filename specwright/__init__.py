"""Specwright: plain-English decision specs compiled into typed, versioned, tested HTTP APIs.

The one import package. ``specwright.compiler`` is the pure compiler (spec text in, artifacts
out), ``specwright.runtime`` serves, executes and logs, and ``specwright.testing`` is the library
behind every generated test module (``from specwright import testing``).

In the repository, ``compiler/`` and ``runtime/`` stay top-level folders; ``specwright/compiler``
and ``specwright/runtime`` are links to them, so an editable install, mypy, ruff and pytest all
see one package tree (docs/architecture.md says why).
"""

from __future__ import annotations

__version__ = "0.1.0"
