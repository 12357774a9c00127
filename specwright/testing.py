"""The library behind every generated test module: ``from specwright import testing``.

The checks live in ``specwright.runtime.testing``; this module is their stable public name, the
one generated code imports, so a revision's tests keep importing whatever moves inside.
"""

from __future__ import annotations

from specwright.runtime.testing import *  # noqa: F403 - the public API, re-exported whole
from specwright.runtime.testing import __all__ as __all__
