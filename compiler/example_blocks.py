"""The ``## Examples`` section: ``### <title>`` subsections, each with one JSON or YAML block.

Each block holds ``{"input": {...}, "output": {...}}``. Syntax errors are located inside the
block (offset from the fence line). Values are normalised to JSON (YAML dates become ISO text).
Examples are not checked against the schema here: the semantic pass does that.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import yaml

from specwright.compiler import ir
from specwright.compiler.errors import ExampleValueInvalid, did_you_mean
from specwright.compiler.limits import yaml_problem
from specwright.compiler.report import Reporter, Text
from specwright.compiler.sections import Block, Section

FORM = '{"input": {...}, "output": {...}}'
PARSE_ERRORS = (yaml.YAMLError, ValueError, TypeError, RecursionError, OverflowError)


def read_examples(section: Section, lines: list[str], report: Reporter) -> tuple[ir.Example, ...]:
    out: list[ir.Example] = []
    titles: dict[str, int] = {}
    for block in section.blocks:
        if block.kind in ("fence", "code_block"):
            title = Text(f"example {len(out) + 1}", block.line, 1)
            _add(out, titles, title, [block], lines, report)
    for child in section.children:
        _add(out, titles, child.heading, child.all_blocks(), lines, report)
    if not section.blocks and not section.children:
        report.at(
            section.heading,
            f"the Examples section is empty: add a ### title and a ```json block with {FORM}",
        )
    return tuple(out)


def _add(
    out: list[ir.Example],
    titles: dict[str, int],
    heading: Text,
    blocks: list[Block],
    lines: list[str],
    report: Reporter,
) -> None:
    title = heading.text or f"example {len(out) + 1}"
    codes = [b for b in blocks if b.kind in ("fence", "code_block")]
    if not codes:
        report.at(heading, f'example "{title}" has no code block: add a ```json block with {FORM}')
        return
    for extra in codes[1:]:
        report.error(
            extra.line,
            1,
            f'example "{title}" has more than one code block: give each example its own ### title',
        )
    key = title.lower()
    if key in titles:
        report.at(
            heading,
            f'two examples are called "{title}" (the first is on line {titles[key]}): give each its own title',
        )
        return
    titles[key] = heading.line
    data = _parse_block(codes[0], lines, report)
    if data is None:
        return
    where = (codes[0].line, 1)
    if not isinstance(data, dict):
        report.error(*where, f"an example is a mapping with input and output, like {FORM}")
        return
    ok = True
    for k in data:
        if k not in ("input", "output", "derived"):
            hint = (
                did_you_mean(str(k), ["input", "output", "derived"])
                or f": an example has only input and output, like {FORM}"
            )
            report.error(*where, f'unknown key "{k}" in example "{title}"{hint}')
            ok = False
    for k in ("input", "output"):
        if not isinstance(data.get(k), dict):
            what = "missing" if k not in data else "not an object"
            report.error(
                *where, f'"{k}" of example "{title}" is {what}: write it as {{"field": value, ...}}'
            )
            ok = False
    if "derived" in data and not isinstance(data["derived"], dict):
        report.error(*where, f'"derived" of example "{title}" is not an object: write it as '
                             '{"total_cm": 90, ...}')
        ok = False
    if ok:
        loc = ir.Loc(line=heading.line, col=heading.col)
        out.append(ir.Example(title=title, input=data["input"], output=data["output"], loc=loc,
                              derived=data.get("derived") or {}))


def _parse_block(block: Block, lines: list[str], report: Reporter) -> Any:
    tok = block.tokens[0]
    if block.kind == "code_block":
        report.error(
            block.line,
            1,
            "indented code is not read as an example: use a ```json (or ```yaml) fenced block",
        )
        return None
    info = tok.info.strip().split()[0].lower() if tok.info.strip() else ""
    content = tok.content
    first = lines[block.start] if block.start < len(lines) else ""
    indent = len(first) - len(first.lstrip(" "))
    if not content.strip():
        report.error(block.line, 1, f"the example block is empty: write {FORM}")
        return None
    if info == "":
        info = "json" if content.lstrip().startswith(("{", "[")) else "yaml"
    if info == "json":
        return _json(content, block, indent, report)
    if info in ("yaml", "yml"):
        return _yaml(content, block, indent, report)
    report.error(block.line, 1, f'an example block must be ```json or ```yaml, not "{info}"')
    return None


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ExampleValueInvalid(f'key "{key}" appears twice')
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise ExampleValueInvalid(f"{name} is not a number an example can use")


def _json(content: str, block: Block, indent: int, report: Reporter) -> Any:
    try:
        return json.loads(content, object_pairs_hook=_pairs, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        report.error(
            block.line + exc.lineno, exc.colno + indent, f"the example is not valid JSON: {exc.msg}"
        )
    except ExampleValueInvalid as exc:
        report.error(block.line, 1, f"the example is not valid: {exc}")
    except (RecursionError, ValueError) as exc:
        report.error(block.line, 1, f"the example is not valid JSON: {exc}")
    return None


def _yaml(content: str, block: Block, indent: int, report: Reporter) -> Any:
    if (alias := yaml_problem(content)) is not None:  # before any value is built
        report.error(block.line + 1 + alias[0], alias[1] + indent, f"the example: {alias[2]}")
        return None
    try:
        data = yaml.safe_load(content)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (
            (block.line + 1 + mark.line, mark.column + 1 + indent) if mark else (block.line, 1)
        )
        report.error(
            line,
            col,
            f"the example is not valid YAML: {exc.problem or exc.context or 'syntax error'}",
        )
        return None
    except PARSE_ERRORS as exc:
        report.error(block.line, 1, f"the example is not valid YAML: {exc}")
        return None
    try:
        return _to_json(data)
    except (ExampleValueInvalid, RecursionError) as exc:
        report.error(block.line, 1, f"the example is not valid: {exc}")
        return None


def _to_json(value: Any) -> Any:
    """YAML values as JSON values: dates as ISO text; anything JSON cannot hold is an error."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ExampleValueInvalid(f"{value} is not a number an example can use")
        return value
    if isinstance(value, dt.date):  # also datetime
        return value.isoformat()
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ExampleValueInvalid(f"key {k!r} must be text: put it in quotes")
            out[k] = _to_json(v)
        return out
    raise ExampleValueInvalid(f"{type(value).__name__} values cannot be used in an example")
