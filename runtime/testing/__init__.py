"""Testing a compiled spec: the library behind every generated test module.

Each revision directory holds a generated ``test_<spec>.py`` whose tests are one line each, calling
the checks below with the revision's ``SpecSuite``. Projects can import them in their own tests::

    from pathlib import Path
    from runtime import testing

    suite = testing.SpecSuite.load(Path("generated/carrier-selection/r2"))
    testing.check_example(suite, "Hawaii, four days")
    testing.check_tables_total(suite, "Decision: service")

Every property runs with the ``specwright-ci`` Hypothesis profile (derandomized, no example
database, bounded example count), so CI runs are offline and reproducible.
"""

from __future__ import annotations

from runtime.testing.boundaries import check_boundaries
from runtime.testing.contract import check_contract
from runtime.testing.examples import check_example, check_example_model
from runtime.testing.profile import PROFILE, ci_settings
from runtime.testing.properties import (
    check_guardrails_vs_tables,
    check_input_contract_invalid,
    check_input_contract_valid,
    check_tables_total,
    check_unique,
)
from runtime.testing.report import SpecCheckFailed
from runtime.testing.suite import SpecSuite

__all__ = [
    "PROFILE",
    "SpecCheckFailed",
    "SpecSuite",
    "check_boundaries",
    "check_contract",
    "check_example",
    "check_example_model",
    "check_guardrails_vs_tables",
    "check_input_contract_invalid",
    "check_input_contract_valid",
    "check_tables_total",
    "check_unique",
    "ci_settings",
]
