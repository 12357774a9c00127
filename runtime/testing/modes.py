"""Names shared by the checks and the runner (kept free of heavy imports: the CLI reads them
before pytest starts, and importing Hypothesis before pytest loads its plugin warns)."""

from __future__ import annotations

MODE_ENV = "SPECWRIGHT_TEST_MODELS"  # replay (default) | live | record
MODES = ("replay", "live", "record")
NO_RECORDING = "no recording"  # the start of every skip reason `specwright test` counts as such
