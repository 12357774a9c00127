"""What one spec may ask of the compiler is bounded before any parser sees it, each bound with a
located error that names the fix; nested quantifiers are bounded at run time as well."""

from __future__ import annotations

import re

import pytest

from specwright.compiler import compile_spec
from specwright.compiler.celscan import tokenize
from specwright.compiler.errors import SpecError
from specwright.compiler.evaluate import evaluate_guardrails, to_cel_values
from specwright.compiler.limits import MAX_RUN_WORK, list_items, quantifier_depth, run_work_problem
from specwright.runtime.engine.run_plan import build_plan
from specwright.runtime.testing.hostile import HOSTILE, base_spec

EXPECTED = {  # corpus entry -> (line, col, words of the message)
    "chained-plus": (33, 21, "300,004 characters long; the limit is 2,000"),
    "deep-parens": (33, 53, "nests deeper than 32 levels"),
    "deep-negation": (33, 53, "nests deeper than 32 levels"),
    "quantifier-depth": (34, 21, "nest 4 deep; the limit is 3"),
    "nested-quantifiers": (34, 71, "27,000,000 steps"),
    "yaml-bomb": (5, 5, "YAML anchors and aliases"),
    "ten-thousand-rows": (1028, 1, "10,001 rows; the limit is 1,000"),
    "fifty-megabytes": (1, 1, "the limit is 1,000,000"),
    "cyrillic-field": (33, 27, "U+0430 CYRILLIC SMALL LETTER A"),
    "greek-keyword": (24, 4, "U+03BF GREEK SMALL LETTER OMICRON"),
    "zero-width": (33, 30, "invisible character U+200B ZERO WIDTH SPACE"),
    "zero-width-field": (16, 3, "must be snake_case"),
    "name-traversal": (2, 7, 'name "../../etc" must be kebab-case'),
    "absolute-name": (2, 7, 'name "/tmp/evil" must be kebab-case'),
    "dotdot-name": (2, 7, 'name ".." must be kebab-case'),
    "x..y": (2, 7, 'name "x..y" must be kebab-case'),
}


def test_every_corpus_entry_is_expected() -> None:
    assert set(EXPECTED) == set(HOSTILE)


@pytest.mark.parametrize("stem", sorted(HOSTILE))
def test_each_hostile_spec_gets_a_located_error(stem: str) -> None:
    with pytest.raises(SpecError) as caught:
        compile_spec(HOSTILE[stem](stem), f"specs/{stem}.md")
    line, col, words = EXPECTED[stem]
    first = caught.value.diagnostics[0]
    assert (first.file, first.line, first.col) == (f"specs/{stem}.md", line, col), str(first)
    assert words in first.message, str(first)


def test_a_yaml_alias_in_an_example_is_refused_where_it_is() -> None:
    text = base_spec("aliases") + (
        "\n## Examples\n\n### Bomb\n\n```yaml\ninput: &i {amount: 1, count: 1}\n"
        "again: *i\noutput: {decision: accept}\n```\n")
    with pytest.raises(SpecError) as caught:
        compile_spec(text, "specs/aliases.md")
    (first,) = [d for d in caught.value.diagnostics if "anchors" in d.message]
    assert (first.line, first.col) == (text.split("\n").index("input: &i {amount: 1, count: 1}")
                                       + 1, 8)


def test_a_long_table_cell_is_refused() -> None:
    rows = f"| amount | decision |\n|---|---|\n| > {'1' * 600} | hold |\n| - | accept |\n"
    with pytest.raises(SpecError) as caught:
        compile_spec(base_spec("cells", table=rows), "specs/cells.md")
    assert any(re.search(r"the cell is 60\d characters long; the limit is 500", d.message)
               for d in caught.value.diagnostics)


def test_a_byte_order_mark_and_plain_non_latin_prose_are_fine() -> None:
    text = "\ufeff" + base_spec("prose", body="\nСкидка для клиента, Ελληνικά, 日本語.\n")
    assert compile_spec(text, "specs/prose.md").spec.name == "prose"


UNBOUNDED = base_spec(
    "pairs",
    inputs="| items  | list of integers | optional | Items |\n",
    guardrail="input.items == null || input.items.all(a, input.items.all(b, a + b >= 0))",
)


def test_nested_quantifiers_over_long_lists_are_bounded_at_run_time() -> None:
    compiled = compile_spec(UNBOUNDED, "specs/pairs.md")  # no max items: bounded at run time
    spec = compiled.spec
    out = to_cel_values(spec.outputs, {"decision": "accept"})
    short = to_cel_values(spec.inputs, {"amount": 1, "count": 1, "items": list(range(100))})
    (ok,) = evaluate_guardrails(compiled.guardrails, short, out)
    assert ok.passed and ok.error is None
    long = to_cel_values(spec.inputs, {"amount": 1, "count": 1, "items": list(range(5_000))})
    (refused,) = evaluate_guardrails(compiled.guardrails, long, out)
    assert not refused.passed
    assert refused.error is not None and "25,000,000 steps" in refused.error
    plan = build_plan(compiled)
    assert plan.nested_quantifiers == 2
    (served,) = plan.check_guardrails(plan.cel.scope(plan.cel.input_values(
        {"amount": 1, "count": 1, "items": list(range(5_000))})), long, out)
    assert served == refused


def test_quantifier_depth_counts_nesting_and_chaining() -> None:
    def depth(expression: str) -> int:
        return quantifier_depth(tokenize(expression) or [])

    assert depth("a.all(x, x > 0) && b.exists(y, y)") == 1  # one after the other: linear
    assert depth("a.all(x, b.all(y, x < y))") == 2
    assert depth("a.map(x, a).all(y, size(y) > 0)") == 2  # over what another one built
    assert depth("a.all(x, b.map(y, y).exists(z, z))") == 3


def test_the_run_time_bound() -> None:
    assert list_items({"a": [1, [2, 3]], "b": {"c": [4]}}) == 5
    assert run_work_problem(1, 10**9) is None  # one quantifier: linear in the input
    assert run_work_problem(2, 1_000) is None and 1_000**2 <= MAX_RUN_WORK
    assert run_work_problem(3, 101) is not None
