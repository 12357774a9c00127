"""Testing a compiled spec: the library behind every generated test module.

Each revision directory holds a generated ``test_<spec>.py`` whose tests are one line each, calling
the checks below with the revision's ``SpecSuite``. Projects can import them in their own tests::

    from pathlib import Path
    from specwright.runtime import testing

    suite = testing.SpecSuite.load(Path("generated/carrier-selection/r2"))
    testing.check_example(suite, "Hawaii, four days")
    testing.check_tables_total(suite, "Decision: service")

Every property runs with the ``specwright-ci`` Hypothesis profile (derandomized, no example
database, bounded example count), so CI runs are offline and reproducible.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from specwright.runtime.errors import SpecCheckFailed
    from specwright.runtime.testing.boundaries import check_boundaries
    from specwright.runtime.testing.contract import check_contract
    from specwright.runtime.testing.examples import check_example, check_example_model
    from specwright.runtime.testing.profile import PROFILE, ci_settings
    from specwright.runtime.testing.properties import (
        check_guardrails_vs_tables,
        check_input_contract_invalid,
        check_input_contract_valid,
        check_tables_total,
        check_unique,
    )
    from specwright.runtime.testing.suite import SpecSuite

# Imported on first use, so that ``specwright.runtime.testing.runner`` (used by the CLI before pytest starts)
# does not import Hypothesis ahead of pytest's plugin loading.
_WHERE = {
    "check_boundaries": "boundaries",
    "check_contract": "contract",
    "check_example": "examples",
    "check_example_model": "examples",
    "PROFILE": "profile",
    "ci_settings": "profile",
    "check_guardrails_vs_tables": "properties",
    "check_input_contract_invalid": "properties",
    "check_input_contract_valid": "properties",
    "check_tables_total": "properties",
    "check_unique": "properties",
    "SpecCheckFailed": "report",
    "SpecSuite": "suite",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'specwright.runtime.testing' has no attribute {name!r}")
    value = getattr(import_module(f"specwright.runtime.testing.{module}"), name)
    globals()[name] = value
    return value


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
