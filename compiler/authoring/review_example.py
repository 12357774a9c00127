"""A resolved review case as one more ``### `` example of a spec: text in, text out.

The example is appended at the end of the ``## Examples`` section (one is added at the end of
the file when the spec has none), named after the case and citing the run and the reviewer, so
the next ``specwright compile`` checks the tables against it and the generated suite runs it.
"""

from __future__ import annotations

import json
import re
from typing import Any

_HEADING = re.compile(r"^(#{1,2})\s+(.*?)\s*#*\s*$")


def review_example_title(case_id: str) -> str:
    return f"Review {case_id}"


def append_review_example(
    text: str,
    *,
    case_id: str,
    reviewer: str | None,
    revision: int,
    note: str,
    input: dict[str, Any],
    output: dict[str, Any],
) -> str:
    """``text`` with the example added; unchanged when an example of this case is there."""
    title = review_example_title(case_id)
    if re.search(rf"^###\s+{re.escape(title)}\s*$", text, re.M):
        return text
    cite = f"From review case {case_id} (run {case_id}, r{revision}), resolved by {reviewer or 'a reviewer'}"
    note_line = " ".join(note.split())
    body = json.dumps({"input": input, "output": output}, ensure_ascii=False, sort_keys=False)
    block = f"### {title}\n\n{cite}{': ' + note_line if note_line else '.'}\n\n```json\n{body}\n```\n"
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if _is_examples(line)), None)
    if start is None:
        return text.rstrip("\n") + "\n\n## Examples\n\n" + block
    end = next((i for i in range(start + 1, len(lines)) if _level(lines[i]) in (1, 2)),
               len(lines))
    head = "\n".join(lines[:end]).rstrip("\n")
    tail = "\n".join(lines[end:])
    return head + "\n\n" + block + ("\n" + tail if tail.strip() else "")


def _level(line: str) -> int:
    match = _HEADING.match(line)
    return len(match.group(1)) if match else 0


def _is_examples(line: str) -> bool:
    match = _HEADING.match(line)
    return match is not None and len(match[1]) == 2 and match[2].strip().lower() == "examples"
