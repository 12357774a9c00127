"""YAML front matter: split it off the markdown body and read name, title, owner, the route and
the ``review when`` condition (checked later like a guardrail, ``guardrails.compile_condition``).

The YAML is read with PyYAML's safe loader; its node tree (``yaml.compose``) gives every key's
line so errors point at the right line of the file, offset by the opening ``---`` line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, cast

import yaml

from specwright.compiler import ir
from specwright.compiler.errors import did_you_mean
from specwright.compiler.frontmatter_cache import ANSWER_CACHE_KEY, read_answer_cache
from specwright.compiler.frontmatter_sampling import SAMPLING_KEYS, read_sampling
from specwright.compiler.limits import yaml_problem
from specwright.compiler.report import Reporter

KEYS = ("name", "title", "owner", "models", "routing", ir.REVIEW_LABEL, *SAMPLING_KEYS,
        ANSWER_CACHE_KEY)
STRATEGIES = ("fallback", "weighted", "least-busy", "cheapest", "fastest")
KEBAB_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MODEL_REF_RE = re.compile(r"^[a-z][a-z0-9_.-]*:\S+$")
YAML_ERRORS = (yaml.YAMLError, ValueError, TypeError, RecursionError, OverflowError)


@dataclass
class FrontMatter:
    name: str | None = None
    title: str | None = None
    owner: str | None = None
    route: ir.Route = field(default_factory=ir.Route)
    review: ir.Guardrail | None = None
    answer_cache_line: int = 0  # where ``answer cache`` is written (0: it is not)


def split_front_matter(text: str, report: Reporter) -> tuple[str | None, int, str]:
    """Return (YAML text or None, 1-based line of its first YAML line, body).

    The body keeps every line of the file (front matter lines blanked) so markdown line maps
    are file line numbers.
    """
    lines = text.split("\n")
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first >= len(lines) or lines[first].rstrip() != "---":
        report.error(
            first + 1 if first < len(lines) else 1,
            1,
            'missing front matter: start the file with a "---" line, then "name: <spec-name>", '
            'then a closing "---" line',
        )
        return None, 1, text
    for end in range(first + 1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            yaml_text = "\n".join(lines[first + 1 : end])
            body = "\n" * (end + 1) + "\n".join(lines[end + 1 :])
            return yaml_text, first + 2, body
    report.error(first + 1, 1, 'front matter is not closed: add a "---" line after it')
    return None, first + 2, "\n" * (first + 1) + "\n".join(lines[first + 1 :])


def _pos(node: yaml.Node | None, first_line: int) -> tuple[int, int]:
    if node is None:
        return first_line, 1
    return first_line + node.start_mark.line, node.start_mark.column + 1


def _compose_and_load(yaml_text: str) -> tuple[yaml.Node | None, Any]:
    """``(yaml.compose(text), yaml.safe_load(text))`` from one parse of the text.

    ``safe_load`` is ``compose`` followed by constructing Python values from the node tree;
    this constructs them from the tree we keep for the line numbers instead of parsing the
    text a second time (the YAML scanner is most of reading the front matter).
    """
    loader = yaml.SafeLoader(yaml_text)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


def read_front_matter(
    yaml_text: str, first_line: int, source: str, report: Reporter
) -> FrontMatter:
    if (alias := yaml_problem(yaml_text)) is not None:  # before any value is built
        report.error(first_line + alias[0], alias[1], f"front matter: {alias[2]}")
        return FrontMatter()
    try:
        root, data = _compose_and_load(yaml_text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (first_line + mark.line, mark.column + 1) if mark else (first_line, 1)
        problem = exc.problem or exc.context or "syntax error"
        report.error(line, col, f"front matter is not valid YAML: {problem}")
        return FrontMatter()
    except YAML_ERRORS as exc:
        report.error(first_line, 1, f"front matter is not valid YAML: {exc}")
        return FrontMatter()
    if data is None:
        report.error(max(1, first_line - 1), 1, 'front matter is empty: add "name: <spec-name>"')
        return FrontMatter()
    if not isinstance(data, dict) or not isinstance(root, yaml.MappingNode):
        report.error(first_line, 1, 'front matter must be "key: value" lines (name, title, ...)')
        return FrontMatter()
    nodes: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in root.value:
        key = str(key_node.value)
        if key in nodes:
            report.error(*_pos(key_node, first_line), f'front matter key "{key}" appears twice')
        nodes[key] = (key_node, value_node)
        if key not in KEYS:
            hint = did_you_mean(key, list(KEYS)) or f" (keys are: {', '.join(KEYS)})"
            report.error(*_pos(key_node, first_line), f'unknown front matter key "{key}"{hint}')
    fm = FrontMatter()
    fm.name = _read_name(data, nodes, first_line, source, report)
    for key in ("title", "owner"):
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            report.error(*_pos(nodes[key][1], first_line), f"{key} must be text")
        elif key == "title":
            fm.title = value.strip()
        else:
            fm.owner = value.strip()
    fm.route = _read_route(data, nodes, first_line, report)
    fm.review = _read_review(data, nodes, first_line, report)
    sampling = read_sampling(data, nodes, first_line, report)
    cache_s, fm.answer_cache_line = read_answer_cache(data, nodes, first_line, report)
    if cache_s is not None:
        sampling["answer_cache_s"] = cache_s
    if sampling:
        fm.route = fm.route.model_copy(update=sampling)
    return fm


def _read_review(
    data: dict[Any, Any],
    nodes: dict[str, tuple[yaml.Node, yaml.Node]],
    first_line: int,
    report: Reporter,
) -> ir.Guardrail | None:
    """``review when: <CEL>``, located at the expression's first character."""
    if ir.REVIEW_LABEL not in nodes:
        return None
    value, node = data.get(ir.REVIEW_LABEL), nodes[ir.REVIEW_LABEL][1]
    line, col = _pos(node, first_line)
    if not isinstance(value, str) or not value.strip():
        report.error(
            line,
            col,
            "review when must be a condition in CEL over input and output, "
            'like "review when: output.needs_review" or \'review when: output.decision == "refer"\'',
        )
        return None
    quoted = isinstance(node, yaml.ScalarNode) and node.style in ("'", '"')
    return ir.Guardrail(
        label=ir.REVIEW_LABEL, expression=value, loc=ir.Loc(line=line, col=col + int(quoted))
    )


def file_stem(source: str) -> str | None:
    """The file name without ``.md``, or None when ``source`` is not a markdown path."""
    base = re.split(r"[\\/]", source)[-1]
    return base[:-3] if base.endswith(".md") else None


def _read_name(
    data: dict[Any, Any],
    nodes: dict[str, tuple[yaml.Node, yaml.Node]],
    first_line: int,
    source: str,
    report: Reporter,
) -> str | None:
    stem = file_stem(source)
    example = stem if stem and KEBAB_RE.match(stem) else "carrier-selection"
    if "name" not in nodes or data.get("name") is None:
        report.error(max(1, first_line - 1), 1, f'front matter has no name: add "name: {example}"')
        return None
    name = data["name"]
    line, col = _pos(nodes["name"][1], first_line)
    if not isinstance(name, str) or not KEBAB_RE.match(name):
        kebab = re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-") or example
        report.error(
            line,
            col,
            f'name "{name}" must be kebab-case (lowercase words joined by "-"), like "{kebab}"',
        )
        return None
    if stem is not None and name != stem:
        report.error(
            line,
            col,
            f'name "{name}" does not match the file name "{stem}.md": '
            f'write "name: {stem}" or rename the file to "{name}.md"',
        )
    return name


def _read_route(
    data: dict[Any, Any],
    nodes: dict[str, tuple[yaml.Node, yaml.Node]],
    first_line: int,
    report: Reporter,
) -> ir.Route:
    strategy = "fallback"
    loc_line = 1
    if "routing" in nodes:
        loc_line = _pos(nodes["routing"][0], first_line)[0]
        value = data.get("routing")
        if isinstance(value, str) and value.strip().lower() in STRATEGIES:
            strategy = value.strip().lower()
        else:
            hint = (
                did_you_mean(str(value), list(STRATEGIES)) or f" (one of: {', '.join(STRATEGIES)})"
            )
            report.error(*_pos(nodes["routing"][1], first_line), f'unknown routing "{value}"{hint}')
    models: list[ir.RouteModel] = []
    if "models" in nodes:
        loc_line = _pos(nodes["models"][0], first_line)[0]
        models = _read_models(data.get("models"), nodes["models"][1], first_line, report)
    if strategy == "weighted":
        for i, m in enumerate(models):
            if m.weight is None:
                report.error(
                    *_pos(_item_node(nodes["models"][1], i), first_line),
                    f'routing is weighted but model "{m.ref}" has no weight: '
                    f'write "- {{model: {m.ref}, weight: 1}}"',
                )
    elif any(m.weight is not None for m in models):
        report.error(
            *_pos(nodes["models"][0], first_line),
            'model weights are only used with "routing: weighted": add it or remove the weights',
        )
    return ir.Route(
        models=tuple(models), strategy=cast(ir.RoutingStrategy, strategy), loc=ir.Loc(line=loc_line)
    )


def _item_node(node: yaml.Node, index: int) -> yaml.Node:
    if isinstance(node, yaml.SequenceNode) and index < len(node.value):
        item: yaml.Node = node.value[index]
        return item
    return node


def _read_models(
    value: Any, node: yaml.Node, first_line: int, report: Reporter
) -> list[ir.RouteModel]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        report.error(*_pos(node, first_line), 'models must be a list of "provider:model" entries')
        return []
    out: list[ir.RouteModel] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = _pos(_item_node(node, i), first_line)
        ref: Any = item
        weight: Any = None
        if isinstance(item, dict):
            for key in item:
                if key not in ("model", "weight"):
                    hint = did_you_mean(str(key), ["model", "weight"])
                    report.error(*where, f'unknown model setting "{key}"{hint}')
            ref, weight = item.get("model"), item.get("weight")
        if not isinstance(ref, str) or not MODEL_REF_RE.match(ref.strip()):
            report.error(
                *where,
                f'model "{ref}" must be written "provider:model", like "openai:gpt-4.1-mini"',
            )
            continue
        ref = ref.strip()
        if weight is not None and (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not math.isfinite(weight)
            or not weight > 0
        ):
            report.error(*where, f'weight of "{ref}" must be a number greater than 0')
            continue
        if ref in seen:
            report.error(*where, f'model "{ref}" is listed twice')
            continue
        seen.add(ref)
        out.append(ir.RouteModel(ref=ref, weight=None if weight is None else float(weight)))
    return out
