"""A corpus of hostile spec files, generated (never committed: one is 50 MB).

Each is what a careless or malicious author could save in ``specs/``: huge and deeply nested
expressions, quantifiers nested over large lists, a YAML bomb in the front matter, a 10,000-row
table, a 50 MB file, look-alike and invisible characters, and names that try to leave the
project directory. ``tests/reliability/test_hostile_specs.py`` drops each into a running
server's ``specs/`` and checks that every other spec keeps answering, and that ``specwright
compile`` gives each a located error.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["HOSTILE", "base_spec"]


def base_spec(name: str, *, front: str = "", inputs: str = "", guardrail: str = "",
              table: str = "", body: str = "", title: str = "Hostile") -> str:
    """A small valid spec; the arguments put hostile text where it goes."""
    guardrails = f"\n## Guardrails\n\n- The check holds: `{guardrail}`\n" if guardrail else ""
    rows = table or '| amount | decision |\n|---|---|\n| > 100 | hold |\n| - | accept |\n'
    return f"""---
name: {name}
title: {title}
owner: qa
{front}---

# {title}

Decide whether an order is held.
{body}
## Input

| field  | type    | constraints | description |
|--------|---------|-------------|-------------|
| amount | money   | >= 0        | Order total |
| count  | integer | >= 0        | Items       |
{inputs}
## Output

| field    | type                | constraints | description |
|----------|---------------------|-------------|-------------|
| decision | one of: accept, hold |            | What we do  |

## Decision: decision

{rows}{guardrails}"""


def _chained_plus(name: str) -> str:  # ~300 KB: once a segfault in the CEL parser
    terms = " + ".join(["input.amount"] * 20_000)
    return base_spec(name, guardrail=f"{terms} >= 0.0")


def _deep_parens(name: str) -> str:  # short enough, too deep: the CEL parser recurses
    return base_spec(name, guardrail="(" * 500 + "input.amount >= 0.0" + ")" * 500)


def _deep_negation(name: str) -> str:
    return base_spec(name, guardrail="!" * 1_000 + "(input.amount >= 0.0)")


def _quantifier_depth(name: str) -> str:
    inputs = "| items  | list of integers | max 3 items | Items |\n"
    expr = ("input.items.all(a, input.items.all(b, input.items.all(c, "
            "input.items.all(d, a + b + c + d >= 0))))")
    return base_spec(name, inputs=inputs, guardrail=expr)


def _nested_quantifiers(name: str) -> str:  # 300 x 300 x 300: minutes of evaluation
    inputs = "| items  | list of integers | at least 300 items, max 300 items | Items |\n"
    expr = ("input.items.all(a, input.items.all(b, input.items.all(c, a + b + c >= 0)))")
    return base_spec(name, inputs=inputs, guardrail=expr)


def _yaml_bomb(name: str) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 9)}]")
    return base_spec(name, front="\n".join(lines) + "\n")


def _ten_thousand_rows(name: str) -> str:
    rows = "| amount | decision |\n|---|---|\n" + "".join(
        f"| {i} | hold |\n" for i in range(10_000)) + "| - | accept |\n"
    return base_spec(name, table=rows)


def _fifty_megabytes(name: str) -> str:
    filler = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 16 + "\n\n")
    return base_spec(name, body=filler * (50 * 1024 * 1024 // len(filler)))


def _cyrillic_field(name: str) -> str:  # "аmount" with a Cyrillic a (U+0430)
    return base_spec(name, guardrail="input.\u0430mount >= 0.0")


def _greek_keyword(name: str) -> str:  # "Guardrails" heading with a Greek omicron-like letter
    return base_spec(name).replace("## Decision: decision", "## Decisi\u03bfn: decision")


def _zero_width(name: str) -> str:
    return base_spec(name, guardrail="input.amo\u200bunt >= 0.0")


def _zero_width_field(name: str) -> str:
    return base_spec(name).replace("| count  | integer |", "| co\u200bunt  | integer |")


def _name_traversal(name: str) -> str:
    return base_spec("../../etc").replace("title: Hostile", f"title: {name}")


def _absolute_name(name: str) -> str:
    return base_spec("/tmp/evil")


def _dotdot_name(name: str) -> str:
    return base_spec("..")


def _dots_in_file_name(name: str) -> str:
    return base_spec(name)  # the file is "x..y.md": its name is not kebab-case either


# file stem -> spec text (a function of the stem, so names can be made unique)
HOSTILE: dict[str, Callable[[str], str]] = {
    "chained-plus": _chained_plus,
    "deep-parens": _deep_parens,
    "deep-negation": _deep_negation,
    "quantifier-depth": _quantifier_depth,
    "nested-quantifiers": _nested_quantifiers,
    "yaml-bomb": _yaml_bomb,
    "ten-thousand-rows": _ten_thousand_rows,
    "fifty-megabytes": _fifty_megabytes,
    "cyrillic-field": _cyrillic_field,
    "greek-keyword": _greek_keyword,
    "zero-width": _zero_width,
    "zero-width-field": _zero_width_field,
    "name-traversal": _name_traversal,
    "absolute-name": _absolute_name,
    "dotdot-name": _dotdot_name,
    "x..y": _dots_in_file_name,
}
