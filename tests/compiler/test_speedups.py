"""The compiler's speed-ups give exactly what the straightforward code gave.

Each fast path is held to the reference it replaced: the block-only markdown parser to the full
one, the regex row splitter to the character loop, the single YAML parse to ``compose`` +
``safe_load``, the directly loaded CEL extension to ``import cel``; and the module-level caches
must not make one compile depend on another.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from specwright.compiler import compile_spec
from specwright.compiler.artifacts import render_content
from specwright.compiler.frontmatter import _compose_and_load, split_front_matter
from specwright.compiler.report import Reporter, Text
from specwright.compiler.sections import block_parser, normalize_newlines, split_row

ROOT = Path(__file__).resolve().parents[2]
SPEC_FILES = sorted((ROOT / "specs").glob("*.md"))
MARKDOWN = [p.read_text(encoding="utf-8") for p in [*SPEC_FILES, *(ROOT / "tests/data").glob("*.md")]]


# ----------------------------------------------------------------------------- markdown


def _plain(tokens: list[Token]) -> list[dict[str, Any]]:
    """Every attribute of every token but the inline children (which the compiler never reads)."""
    names = [f.name for f in dataclasses.fields(Token) if f.name != "children"]
    return [{name: getattr(t, name) for name in names} for t in tokens]


@pytest.mark.parametrize("text", [*MARKDOWN, "# T\n\n- a *b* [c][d]\n\n[d]: /x\n\n| a \\| b |\n|---|\n| `|` |\n"])
def test_block_parser_gives_the_full_parsers_block_tokens(text: str) -> None:
    full = MarkdownIt("commonmark").enable("table")
    body = normalize_newlines(text)
    assert _plain(block_parser().parse(body)) == _plain(full.parse(body))


def reference_split_row(source_line: str, line_no: int) -> list[Text]:
    """The character loop ``split_row`` replaced."""
    lead = len(source_line) - len(source_line.lstrip())
    s = source_line.strip()
    cells: list[tuple[str, int]] = []
    current: list[str] = []
    cell_start = 0
    escaped = False
    for i, ch in enumerate(s):
        if ch == "|" and not escaped:
            cells.append(("".join(current), cell_start))
            current = []
            cell_start = i + 1
        elif ch == "|" and escaped:
            current[-1] = "|"
        else:
            current.append(ch)
        escaped = ch == "\\"
    cells.append(("".join(current), cell_start))
    if cells and cells[0][0] == "":
        cells.pop(0)
    if cells and cells[-1][0] == "":
        cells.pop()
    out: list[Text] = []
    for raw, offset in cells:
        pad = len(raw) - len(raw.lstrip())
        out.append(Text(raw.strip(), line_no, lead + offset + pad + 1))
    return out


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="|\\ \tab\u00a0\u2003`", max_size=20))
def test_split_row_matches_the_character_loop(line: str) -> None:
    ours = [(t.text, t.line, t.col) for t in split_row(line, 7)]
    assert ours == [(t.text, t.line, t.col) for t in reference_split_row(line, 7)]


# ----------------------------------------------------------------------------- front matter

YAML_CASES = [
    "name: a\nmodels:\n  - openai:gpt-4.1-mini\n  - {model: x:y, weight: 2}\nrouting: weighted",
    "name: [unclosed",
    "a: 1\na: 2\n",
    "",
    "- just\n- a list",
    "name: !!python/object:os.system x",
    "key: &a 1\nother: *a\nwhen: 2024-01-01\nn: .inf",
]


@pytest.mark.parametrize("text", [
    *YAML_CASES,
    *(y for t in MARKDOWN if (y := split_front_matter(t, Reporter("x.md"))[0]) is not None),
])
def test_one_yaml_parse_gives_compose_and_safe_load(text: str) -> None:
    try:
        expected: Any = (yaml.compose(text, Loader=yaml.SafeLoader), yaml.safe_load(text))
    except yaml.YAMLError as exc:
        with pytest.raises(type(exc)) as raised:
            _compose_and_load(text)
        assert str(raised.value) == str(exc)
        return
    root, data = _compose_and_load(text)
    assert data == expected[1]
    assert repr(root) == repr(expected[0])  # nodes with their tags, values and marks


# ----------------------------------------------------------------------------- CEL engine


def test_cel_engine_is_the_cel_package_without_its_cli() -> None:
    code = (
        "import sys\n"
        "from specwright.compiler.evaluate import cel_program\n"
        "assert cel_program('[1, 2].map(x, x * 3)').execute({}) == [3, 6]\n"
        "assert 'cel.cli' not in sys.modules, 'the CEL command line was imported'\n"
        "import cel\n"
        "assert cel.Program is type(cel_program('1'))\n"
        "assert cel.compile('1 + 1').execute({}) == 2\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# ----------------------------------------------------------------------------- caches


def test_compiling_in_any_order_gives_the_same_bytes() -> None:
    """The cached parser, programs and loaders keep no state that one spec leaves for another."""
    texts = {p.name: p.read_text(encoding="utf-8") for p in SPEC_FILES}

    def render(name: str) -> dict[str, bytes]:
        return render_content(compile_spec(texts[name], f"specs/{name}"), 1)

    forward = {name: render(name) for name in texts}
    backward = {name: render(name) for name in reversed(list(texts))}
    assert forward == backward
    for name in texts:  # and what is committed under generated/ is what they compile to
        rev = sorted((ROOT / "generated" / Path(name).stem).glob("r*"), key=lambda p: int(p.name[1:]))[-1]
        on_disk = {f.name: f.read_bytes() for f in rev.iterdir() if f.name in forward[name]}
        if json.loads((rev / "manifest.json").read_bytes())["contract_major"] == 1:
            assert on_disk == forward[name]
