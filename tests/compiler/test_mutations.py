"""Robustness: ``parse_spec`` on mutated example specs returns a Spec or raises SpecError.

Every spec in specs/ is mutated (lines deleted, duplicated, swapped; table cells garbled;
truncated; front matter replaced; random characters inserted). Whatever the mutation, the
parser must either return a ``Spec`` or raise ``SpecError`` whose diagnostics are located
inside the file, with a message. Any other exception fails. Deterministic: derandomized, no
example database.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specwright.compiler.errors import SpecError
from specwright.compiler.ir import Spec
from specwright.compiler.parse import parse_spec

SPECS = sorted((Path(__file__).resolve().parents[2] / "specs").glob("*.md"))

# Characters that mean something to markdown, YAML, JSON, tables and our grammar, plus a few
# that are hard on parsers (NUL, CR, BOM, line/paragraph separators, non-BMP).
NASTY = "|`#-*>:\n\r\t{}[]()\"'\\/.,;=<>!?$%&_~^ 0123456789abcxyzAZ\x00\ufeff\u2028\u00e9\u2014\U0001f600"
nasty_text = st.text(alphabet=NASTY, max_size=40)

BAD_FRONT_MATTER = [
    "",
    "---\n",
    "---\n---\n",
    "---\nname: [unclosed\n---\n",
    "---\nname: Not Kebab\nrouting: fallbak\n---\n",
    "---\n- just\n- a list\n---\n",
    "---\nname: x\nmodels: 3\nowner: [1, 2]\n---\n",
    "---\nname: x\nmodels:\n  - {model: nope, weight: -1}\n  - 5\nrouting: weighted\n---\n",
    "---\nname: x\ndate: 2024-13-45\n---\n",
    "---\nname: &a [*a]\n---\n",
    "---\n\t\tname: tab\n---\n",
    "+++\nname = 'toml'\n+++\n",
]


def _front_matter_end(lines: list[str]) -> int:
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return i + 1
    return 0


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    lines = text.split("\n")
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        kind = draw(
            st.sampled_from(["delete", "duplicate", "swap", "cell", "truncate", "front", "insert"])
        )
        n = len(lines)
        if kind == "delete" and n > 1:
            del lines[draw(st.integers(0, n - 1))]
        elif kind == "duplicate" and n:
            i = draw(st.integers(0, n - 1))
            lines.insert(i, lines[i])
        elif kind == "swap" and n > 1:
            i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "cell":
            rows = [i for i, line in enumerate(lines) if line.count("|") >= 2]
            if rows:
                i = draw(st.sampled_from(rows))
                cells = lines[i].split("|")
                c = draw(st.integers(0, len(cells) - 1))
                cells[c] = draw(nasty_text)
                lines[i] = "|".join(cells)
        elif kind == "truncate":
            joined = "\n".join(lines)
            lines = joined[: draw(st.integers(0, len(joined)))].split("\n")
        elif kind == "front":
            bad = draw(st.sampled_from(BAD_FRONT_MATTER) | nasty_text)
            lines = bad.split("\n") + lines[_front_matter_end(lines) :]
        else:
            joined = "\n".join(lines)
            at = draw(st.integers(0, len(joined)))
            lines = (joined[:at] + draw(nasty_text) + joined[at:]).split("\n")
    return "\n".join(lines)


def test_there_are_seven_example_specs() -> None:
    assert len(SPECS) == 7


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_mutated_specs_parse_or_raise_spec_error(path: Path) -> None:
    source = f"specs/{path.name}"
    original = path.read_text(encoding="utf-8")

    @settings(
        max_examples=150,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(mutated(original))
    def check(text: str) -> None:
        try:
            spec = parse_spec(text, source)
        except SpecError as exc:
            assert exc.diagnostics, "SpecError without diagnostics"
            last_line = len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")) + 1
            for d in exc.diagnostics:
                assert d.file == source
                assert 1 <= d.line <= last_line, str(d)
                assert d.col >= 1, str(d)
                assert d.message.strip(), str(d)
        else:
            assert isinstance(spec, Spec)
            assert spec.inputs and spec.outputs

    check()
