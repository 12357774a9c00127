"""Model-backed authoring, the pure half: no I/O and no model calls here.

* ``draft_model``: the structured draft a model answers with (``DraftSpec``) and its schema;
* ``citations``: every rule, row, guardrail and example quotes the policy: checked here;
* ``render``: ``DraftSpec`` -> spec markdown (deterministic);
* ``sections``: prose Input/Output sections rewritten as field tables, examples appended;
* ``coverage``: which table rows, guardrails and rules the examples exercise;
* ``suggest``: suggested examples, their schema, and their validation against the spec;
* ``prompts``: the messages the commands send.

The model calls, the repair rounds, the execution log and the files live in
``runtime/authoring/commands.py``; the commands in ``runtime/cli/author_cmd.py``.
"""

from __future__ import annotations

from specwright.compiler.authoring.citations import Policy, check_citations
from specwright.compiler.authoring.coverage import Coverage, coverage, format_coverage
from specwright.compiler.authoring.draft_model import DraftSpec, InferredFields, draft_schema
from specwright.compiler.authoring.render import render_spec

__all__ = [
    "Coverage",
    "DraftSpec",
    "InferredFields",
    "Policy",
    "check_citations",
    "coverage",
    "draft_schema",
    "format_coverage",
    "render_spec",
]
