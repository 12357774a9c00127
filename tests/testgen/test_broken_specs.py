"""Deliberately broken variants of an example spec fail, at compile time or test time, located.

Each variant edits the text of ``specs/carrier-selection.md``. The compiler refuses what it can
prove wrong (an overlapping unique table, an example contradicting a table, an invalid example
input, a gap no example touches, a guardrail the tables violate); the generated suite, checking a
compiled revision again, also catches each of these when the revision is edited after the fact.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tg_support import (
    compile_error,
    edit,
    make_project,
    revision_dir,
    run_pytest,
    spec_text,
    tamper,
)

from specwright.compiler.ir import CompiledSpec
from specwright.compiler.testgen import render_test_module
from specwright.compiler.testgen import test_module_name as module_file
from specwright.runtime import testing

SPEC = "carrier-selection"
SOURCE = f"specs/{SPEC}.md"
SERVICE_ROWS = ("| <= 1          | -                  | overnight |",
                "| -             | -                  | ground    |")


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


# ----------------------------------------------------------------------------- compile time


def test_overlapping_unique_table_fails_to_compile() -> None:
    text = edit(spec_text(SPEC), "## Decision: service\n", "## Decision: service (unique)\n")
    error = compile_error(SPEC, text)
    assert error is not None
    assert re.search(rf"^{SOURCE}:\d+:\d+: error: Decision: service \(unique\): rows 1 and 4 "
                     r"overlap, e\.g\. promised_days=1$", str(error), re.M), error


def test_example_contradicting_a_table_fails_to_compile() -> None:
    text = edit(spec_text(SPEC), '"output": {"service": "express", "insured": true}',
                '"output": {"service": "ground", "insured": true}')
    error = compile_error(SPEC, text)
    assert error is not None
    first = line_of(text, "### Hawaii, four days")
    found = re.search(rf"^{SOURCE}:(\d+):\d+: error: example 'Hawaii, four days' expects "
                      "service=ground; Decision: service row 3 gives express$", str(error), re.M)
    assert found and first <= int(found.group(1)) < first + 5, error


def test_invalid_example_input_fails_to_compile() -> None:
    text = edit(spec_text(SPEC), '"promised_days": 4,', '"promised_days": 40,')
    error = compile_error(SPEC, text)
    assert error is not None
    assert re.search(rf"^{SOURCE}:\d+:\d+: error: example 'Hawaii, four days': "
                     r"input\.promised_days: 40 ", str(error), re.M), error


# ----------------------------------------------------------------------------- test time


def test_table_gap_fails_to_compile_with_the_counterexample() -> None:
    # The catch-all row now stops at 10 days: 11..14 days match no row. No example has 11+ days;
    # the exact table analysis finds the gap at compile time.
    text = edit(spec_text(SPEC), SERVICE_ROWS[1], "| 4..10         | -                  | ground    |")
    error = compile_error(SPEC, text)
    assert error is not None
    assert str(error) == (
        f"{SOURCE}:{line_of(text, '## Decision: service')}:4: error: Decision: service has a "
        "gap: no row matches promised_days=11: add a row for it (or a last row of - cells for "
        "everything else)"
    )


def test_guardrail_the_tables_violate_fails_to_compile_with_the_counterexample() -> None:
    text = edit(spec_text(SPEC), "## Guardrails\n",
                "## Guardrails\n\n- Overnight only for next-day promises: "
                '`output.service != "overnight" || input.promised_days == 0`\n')
    error = compile_error(SPEC, text)
    assert error is not None
    assert str(error) == (
        f"{SOURCE}:{line_of(text, SERVICE_ROWS[0])}:1: error: the tables can break guardrail "
        f'"Overnight only for next-day promises" (line {line_of(text, "Overnight only")}): '
        "promised_days=1 gives service=overnight (Decision: service row 1)"
    )


# --------------------------------------------- test time, on revisions the compiler would refuse


@pytest.fixture
def carrier(tmp_path: Path) -> Path:
    root = make_project(tmp_path, {SPEC: spec_text(SPEC)})
    return revision_dir(root, SPEC)


def _examples(data: dict[str, Any], title: str) -> dict[str, Any]:
    return next(e for e in data["spec"]["examples"] if e["title"] == title)


def test_overlap_in_a_unique_table_is_caught_at_test_time(carrier: Path) -> None:
    def unique(data: dict[str, Any]) -> None:
        data["tables"][0]["hit_policy"] = "unique"

    tamper(carrier, unique)
    with pytest.raises(testing.SpecCheckFailed) as failed:
        testing.check_unique(testing.SpecSuite.load(carrier), "Decision: service")
    text = spec_text(SPEC)
    message = str(failed.value)
    assert message.startswith(f"rows 1 and 4 of 'Decision: service' ({SOURCE}:"
                              f"{line_of(text, '## Decision: service')}) all match promised_days=")
    assert f"row 4 ({SOURCE}:{line_of(text, SERVICE_ROWS[1])}: when any input -> service" in message


def test_example_contradicting_a_table_is_caught_at_test_time(carrier: Path) -> None:
    tamper(carrier, lambda d: _examples(d, "Hawaii, four days")["output"].update(service="ground"))
    with pytest.raises(testing.SpecCheckFailed) as failed:
        testing.check_example(testing.SpecSuite.load(carrier), "Hawaii, four days")
    message = str(failed.value)
    text = spec_text(SPEC)
    assert f'example "Hawaii, four days" ({SOURCE}:' in message
    assert 'service: the example expects "ground", the tables decided "express" by row 3 ' \
           f"({SOURCE}:{line_of(text, '| 4..6 ')}" in message


def test_invalid_example_input_is_caught_at_test_time(carrier: Path) -> None:
    tamper(carrier, lambda d: _examples(d, "Hawaii, four days")["input"].update(promised_days=40))
    with pytest.raises(testing.SpecCheckFailed) as failed:
        testing.check_example(testing.SpecSuite.load(carrier), "Hawaii, four days")
    assert 'the input of example "Hawaii, four days"' in str(failed.value)
    assert "promised_days: Input should be less than or equal to 14" in str(failed.value)


def test_compiled_cel_that_disagrees_with_its_cell_fails_the_boundaries(carrier: Path) -> None:
    def off_by_one(data: dict[str, Any]) -> None:
        table = data["tables"][1]
        table["cel"] = table["cel"].replace("> 1000.0", ">= 1000.0")

    tamper(carrier, off_by_one)
    with pytest.raises(testing.SpecCheckFailed) as failed:
        testing.check_boundaries(testing.SpecSuite.load(carrier), "Decision: insured")
    assert "at declared_value=1000: the cells say row 2 " in str(failed.value)
    assert "but the runtime chose row 1 " in str(failed.value)


def test_table_gap_is_caught_at_test_time(carrier: Path) -> None:
    def gap(data: dict[str, Any]) -> None:  # the catch-all row stops at 10 days
        table = data["tables"][0]
        condition = "(input.promised_days >= 4 && input.promised_days <= 10)"
        table["rows"][3].update(cells=["4..10", "-"], condition=condition)
        table["cel"] = table["cel"].removesuffix(", true]") + f", {condition}]"

    tamper(carrier, gap)
    root = carrier.parents[2]
    done = run_pytest(root, carrier, select="decision_service")
    assert done.returncode == 1, done.stdout
    text = spec_text(SPEC)
    table = f"'Decision: service' ({SOURCE}:{line_of(text, '## Decision: service')})"
    assert f"no row of {table} matches promised_days=11, destination_region absent" in done.stdout
    assert "FAILED generated/carrier-selection/r1/test_carrier_selection.py::" \
           "test_decision_service_always_decides" in done.stdout


def test_guardrail_the_tables_violate_is_caught_at_test_time(carrier: Path) -> None:
    label = "Overnight only for next-day promises"
    tamper(carrier, lambda d: d["guardrails"].append(
        {"label": label, "cel": 'output.service != "overnight" || input.promised_days == 0',
         "line": 99}))
    compiled = CompiledSpec.model_validate_json((carrier / "spec.json").read_bytes())
    (carrier / module_file(compiled)).write_text(render_test_module(compiled))  # its test
    done = run_pytest(carrier.parents[2], carrier, select="guardrail")
    assert done.returncode == 1, done.stdout
    assert f'the tables can decide an answer the guardrail "{label}" ({SOURCE}:99) forbids: for ' \
           'promised_days=1, destination_region absent they decide service="overnight"' in done.stdout
