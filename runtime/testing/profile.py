"""The Hypothesis settings every generated property runs with: reproducible, offline, bounded.

``derandomize=True`` makes every run draw the same inputs (CI reruns fail the same way), and
``database=None`` keeps no example database (nothing written beside the project, nothing
replayed from a developer's machine). ``SPECWRIGHT_MAX_EXAMPLES`` raises or lowers the number
of generated inputs per property (default 60), e.g. for a long nightly run.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

PROFILE = "specwright-ci"
DEFAULT_MAX_EXAMPLES = 60


def max_examples() -> int:
    raw = os.environ.get("SPECWRIGHT_MAX_EXAMPLES", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_EXAMPLES


settings.register_profile(
    PROFILE,
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=DEFAULT_MAX_EXAMPLES,
    print_blob=False,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    suppress_health_check=(
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ),
)


def ci_settings() -> settings:
    """The ``specwright-ci`` profile, with the example count read from the environment."""
    return settings(settings.get_profile(PROFILE), max_examples=max_examples())
