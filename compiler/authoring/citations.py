"""Checking that every citation of a draft quotes the policy it claims to come from.

A quote matches when its words appear in the policy in the same order, ignoring case,
punctuation, whitespace and line breaks; an ellipsis (``...`` or ``…``) in the quote skips words.
A quote found on another line than the one cited gets its line corrected; a quote found nowhere
is a problem sent back to the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from specwright.compiler.authoring.draft_model import DraftSpec
from specwright.compiler.authoring.prompts import numbered

__all__ = ["Policy", "check_citations"]

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_ELLIPSIS = re.compile(r"\.\.\.|…")


@dataclass(frozen=True, slots=True)
class _Word:
    text: str
    line: int  # 1-based


class Policy:
    """A policy document, its lines numbered from 1, searchable by quote."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self._words = [
            _Word(m.group(0).lower(), number)
            for number, line in enumerate(self.lines, start=1)
            for m in _WORD.finditer(line)
        ]
        self._joined = " ".join(w.text for w in self._words)

    def numbered(self) -> str:
        """The policy with line numbers, as the model reads it."""
        return numbered("\n".join(self.lines))

    def locate(self, quote: str, near: int | None = None) -> int | None:
        """The line where ``quote`` starts (the occurrence nearest ``near``), or None."""
        parts = [[w.lower() for w in _WORD.findall(p)] for p in _ELLIPSIS.split(quote)]
        parts = [p for p in parts if p]
        if not parts:
            return None
        starts = self._find_all(parts[0])
        found = [s for s in starts if self._rest_follows(s + len(parts[0]), parts[1:])]
        if not found:
            return None
        lines = [self._words[s].line for s in found]
        if near is None:
            return lines[0]
        return min(lines, key=lambda line: (abs(line - near), line))

    def _find_all(self, words: list[str]) -> list[int]:
        n = len(words)
        first = words[0]
        return [
            i
            for i, w in enumerate(self._words)
            if w.text == first and [x.text for x in self._words[i : i + n]] == words
        ]

    def _rest_follows(self, start: int, parts: list[list[str]]) -> bool:
        for words in parts:
            later = [i for i in self._find_all(words) if i >= start]
            if not later:
                return False
            start = later[0] + len(words)
        return True


def check_citations(draft: DraftSpec, policy: Policy) -> tuple[DraftSpec, list[str]]:
    """The draft with every found quote's line corrected, and a problem per quote not found."""
    problems: list[str] = []
    data: dict[str, Any] = draft.model_dump()

    def fix(item: dict[str, Any], what: str) -> None:
        quote = str(item.get("source_quote", "")).strip()
        if not quote:
            problems.append(f"{what} has no source_quote: copy the policy sentence it comes from")
            return
        line = policy.locate(quote, near=item.get("source_line"))
        if line is None:
            short = quote if len(quote) <= 80 else quote[:77] + "..."
            problems.append(
                f'{what} quotes "{short}", which is not in the policy: copy the sentence '
                "word for word (or cut words with ...)"
            )
            return
        item["source_line"] = line

    for i, rule in enumerate(data["rules"], start=1):
        fix(rule, f"rule {i}")
    for table in data["tables"]:
        for j, row in enumerate(table["rows"], start=1):
            fix(row, f"row {j} of the table for {table['output_field']}")
    for guardrail in data["guardrails"]:
        fix(guardrail, f'guardrail "{guardrail["label"]}"')
    for example in data["examples"]:
        fix(example, f'example "{example["title"]}"')
    return DraftSpec.model_validate(data), problems
