"""The compiler front-end: spec markdown -> ``ir.Spec``, or ``SpecError`` with every diagnostic.

``parse_spec`` reads the YAML front matter (``frontmatter``), parses the markdown body with
markdown-it-py into sections (``sections``), and reads each section: fields and object types
(``fields``, ``types``, ``constraints``), rules, decision tables and guardrails (``blocks``),
examples (``example_blocks``). It never stops at the first problem: every diagnostic found is
raised at once, sorted by position. It is pure: no I/O, no clock, no global state.
"""

from __future__ import annotations

import difflib
import re

from specwright.compiler import ir
from specwright.compiler.blocks import DECISION_RE, read_decision, read_guardrails, read_rules
from specwright.compiler.derived_section import read_derived
from specwright.compiler.errors import did_you_mean
from specwright.compiler.example_blocks import read_examples
from specwright.compiler.fields import Objects, ObjectSection, build_fields, read_fields
from specwright.compiler.frontmatter import FrontMatter, read_front_matter, split_front_matter
from specwright.compiler.frontmatter_cache import check_answer_cache
from specwright.compiler.limits import MAX_SPEC_CHARS, text_problems
from specwright.compiler.report import Reporter
from specwright.compiler.sections import Document, Section, normalize_newlines, parse_document

FRONT_KEY_RE = re.compile(r"^(?:name|title|owner|models|routing)\s*:")
KNOWN = ("input", "output", "derived", "rules", "guardrails", "examples")
SECTION_LIST = "Input, Output, Derived, Rules, Decision: <field>, Guardrails, Examples"
FIELD_TABLE = "a table with columns field | type | constraints | description"

__all__ = ["parse_spec"]


def parse_spec(text: str, source: str) -> ir.Spec:
    """Parse one spec document. ``source`` is the path shown in diagnostics (and checked
    against the front matter ``name`` when it ends in ``.md``).

    Raises ``SpecError`` carrying every diagnostic found; never any other exception.
    """
    report = Reporter(source)
    for line, col, message in text_problems(text):  # size, invisible and look-alike characters
        report.error(line, col, message)
    if len(text) > MAX_SPEC_CHARS:
        report.raise_if_any()  # nothing more is read of a text this large
    text = normalize_newlines(text)
    yaml_text, first_line, body = split_front_matter(text, report)
    fm = FrontMatter()
    if yaml_text is not None:
        fm = read_front_matter(yaml_text, first_line, source, report)
    doc = parse_document(body)
    title = _title(doc, fm, report)
    known, decisions, object_sections = _classify(doc, report)
    objects = Objects(object_sections, report)
    where_missing = doc.title.line if doc.title else 1
    inputs = _fields(known.get("input"), "Input", doc, objects, where_missing, report)
    outputs = _fields(known.get("output"), "Output", doc, objects, where_missing, report)
    for section in object_sections:
        if not section.used:
            name = section.title.text
            report.at(
                section.title,
                f'object type "{name}" is not used by any field: give a field the type '
                f'"{name.lower()}" (or "list of {name.lower()}"), or remove the section',
            )
    check_answer_cache(fm.route.answer_cache_s, fm.answer_cache_line, inputs, outputs, report)
    tables = _decisions(decisions, doc, report)
    rules = read_rules(known["rules"], doc.lines, report) if "rules" in known else ()
    derived = read_derived(known["derived"], doc.lines, report) if "derived" in known else ()
    guardrails = (
        read_guardrails(known["guardrails"], doc.lines, report) if "guardrails" in known else ()
    )
    examples = read_examples(known["examples"], doc.lines, report) if "examples" in known else ()
    report.raise_if_any()
    assert fm.name is not None and title is not None  # both reported above when missing
    return ir.Spec(
        source=source,
        name=fm.name,
        title=title,
        owner=fm.owner,
        route=fm.route,
        description=doc.description,
        inputs=inputs,
        outputs=outputs,
        rules=rules,
        tables=tables,
        guardrails=guardrails,
        examples=examples,
        review=fm.review,
        derived=derived,
    )


def _title(doc: Document, fm: FrontMatter, report: Reporter) -> str | None:
    for extra in doc.extra_titles:
        report.at(
            extra,
            f'a second "# {extra.text}" title: a spec has one "#" title; use "##" for sections',
        )
    if fm.title:
        return fm.title
    if doc.title is not None and doc.title.text:
        return doc.title.text
    line = next((i + 1 for i, s in enumerate(doc.lines) if s.strip()), 1)
    report.error(line, 1, 'the spec has no title: add a "# <Title>" line after the front matter')
    return None


def _section_hints(text: str) -> tuple[str, str]:
    """("did you mean" on the whole heading, "did you mean" on its first word)."""
    candidates = ["Input", "Output", "Derived", "Rules", "Guardrails", "Examples"]
    head, _, rest = text.partition(":")
    candidates.append(f"Decision: {rest.strip()}" if rest.strip() else "Decision: <field>")
    whole = did_you_mean(text, candidates)
    if whole or not head.split():
        return whole, ""
    by_first = {c.split(":")[0].lower(): c for c in candidates}
    close = difflib.get_close_matches(head.split()[0].lower(), list(by_first), n=1, cutoff=0.6)
    return "", f' (did you mean "{by_first[close[0]]}"?)' if close else ""


def _classify(
    doc: Document, report: Reporter
) -> tuple[dict[str, Section], list[Section], list[ObjectSection]]:
    known: dict[str, Section] = {}
    decisions: list[Section] = []
    objects: list[ObjectSection] = []
    for section in doc.sections:
        text = section.heading.text
        key = " ".join(text.lower().split()).strip(" :")
        if key in KNOWN:
            if key in known:
                first = known[key].heading.line
                report.at(
                    section.heading,
                    f'section "{text}" appears twice (first on line {first}): merge them',
                )
                continue
            known[key] = section
            if key in ("input", "output"):
                _nested_objects(section, doc, report, objects)
        elif DECISION_RE.match(text):
            decisions.append(section)
        else:
            if FRONT_KEY_RE.match(text):
                report.at(
                    section.heading,
                    f'"{doc.lines[section.heading.line - 1].strip()}" reads as a heading because of the "---" line under it: '
                    'front matter goes at the very top of the file, between two "---" lines',
                )
                continue
            whole, first_word = _section_hints(text)
            raws = None if whole else read_fields(section, doc.lines, report, must=False)
            if raws is None:
                detail = (
                    whole
                    or first_word
                    or f": the sections are {SECTION_LIST} (an object type section needs {FIELD_TABLE})"
                )
                report.at(section.heading, f'unknown section "{text}"{detail}')
                continue
            objects.append(ObjectSection(section.heading, raws))
            _nested_objects(section, doc, report, objects)
    return known, decisions, objects


def _nested_objects(
    section: Section, doc: Document, report: Reporter, out: list[ObjectSection]
) -> None:
    for child in section.children:
        raws = read_fields(child, doc.lines, report, must=False)
        if raws is not None:
            out.append(ObjectSection(child.heading, raws))
        _nested_objects(child, doc, report, out)


def _fields(
    section: Section | None,
    name: str,
    doc: Document,
    objects: Objects,
    missing_line: int,
    report: Reporter,
) -> tuple[ir.Field, ...]:
    if section is None:
        report.error(missing_line, 1, f'missing section "## {name}": add it with {FIELD_TABLE}')
        return ()
    raws = read_fields(section, doc.lines, report, must=True)
    if raws is None:
        report.at(section.heading, f'"## {name}" has no fields: add {FIELD_TABLE}')
        return ()
    return build_fields(raws, objects, report)


def _decisions(
    sections: list[Section], doc: Document, report: Reporter
) -> tuple[ir.DecisionTable, ...]:
    tables: list[ir.DecisionTable] = []
    first_line: dict[str, int] = {}
    for section in sections:
        table = read_decision(section, doc.lines, report)
        if table is None:
            continue
        if table.field in first_line:
            report.at(
                section.heading,
                f'a second decision table for "{table.field}" (the first is on line '
                f"{first_line[table.field]}): merge their rows into one table",
            )
            continue
        first_line[table.field] = section.heading.line
        tables.append(table)
    return tuple(tables)
