"""``specwright diff`` and the manifest's ``changes`` list rule changes in the spec's terms.

The incident: a threshold changed from 1000 to 500 gave "no contract change; files changed:
logic.json" and ``changes: []``; a reviewer could not see what changed. Now the rows changed cell
by cell and the inputs decided differently are listed, in text and as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from specwright.runtime.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--project", str(root)])


def test_a_threshold_change_is_shown_as_rule_changes(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    spec = tmp_path / "specs" / "order-validation.md"
    text = (ROOT / "bench" / "fixtures" / "order-validation-three-tables.md").read_text()
    spec.write_text(text)
    assert run(tmp_path, "compile").exit_code == 0
    edited = text.replace("| > 1000      |", "| > 500       |")
    assert edited.count("> 500 ") == 3
    edited = edited.replace('- Held orders always go to a person: `output.decision != "hold" || output.needs_review`',
                            '- Held orders always go to a person: `output.decision != "hold" || output.needs_review == true`')
    spec.write_text(edited)
    r = run(tmp_path, "compile")
    assert r.exit_code == 0, r.output
    region = ("500 < order_total <= 1000, item_count > 0, payment_status=authorized, "
              'shipping_country not "CU", "IR", "KP", "SY", address_verified=yes, ')
    expected = [
        "Decision: decision, row 7: order_total > 1000 → > 500",
        "Decision: reason_code, row 7: order_total > 1000 → > 500",
        "Decision: needs_review, row 7: order_total > 1000 → > 500",
        "guardrail 'Held orders always go to a person': "
        '`output.decision != "hold" || output.needs_review` → '
        '`output.decision != "hold" || output.needs_review == true`',
        f"Decision: decision decides differently for {region}fraud_score < 80, first_order=yes: "
        "decision accept → hold",
        f"Decision: reason_code decides differently for {region}fraud_score < 80, "
        "first_order=yes: reason_code ok → large_first_order",
        f"Decision: needs_review decides differently for {region}fraud_score < 50, "
        "first_order=yes: needs_review no → yes",
    ]
    assert r.stdout.splitlines() == [
        "order-validation: r2 (v1) written, no contract change, 7 rule changes",
        *(f"    - {line}" for line in expected),
        "1 spec: 1 written, 0 unchanged, 0 failed",
    ]
    manifest = json.loads((tmp_path / "generated" / "order-validation" / "r2" / "manifest.json")
                          .read_text())
    assert [c["message"] for c in manifest["changes"]] == expected
    assert {c["kind"] for c in manifest["changes"]} == {"behaviour"}

    r = run(tmp_path, "diff", "order-validation")
    assert r.exit_code == 0
    assert r.stdout.splitlines() == [
        "order-validation: r1 (v1) → r2 (v1)",
        *(f"  rule        {line}" for line in expected),
        "no contract change, 7 rule changes; files changed: logic.json, spec.json",
    ]
    r = run(tmp_path, "diff", "order-validation", "--json")
    doc = json.loads(r.stdout)
    assert doc["from"] == {"revision": 1, "major": 1} and doc["contract_changes"] == []
    row = doc["rule_changes"][0]
    assert row["what"] == "row changed" and row["cells"] == [
        {"column": "order_total", "old": "> 1000", "new": "> 500"}]
    region_change = doc["rule_changes"][4]
    assert region_change["what"] == "decides differently"
    assert region_change["old"] == {"decision": "accept"}
    assert region_change["new"] == {"decision": "hold"}
    assert region_change["example"]["order_total"] == 501
