"""Editing spec text in place: prose sections rewritten as tables, examples appended."""

from __future__ import annotations

from au_support import DATA

from specwright.compiler import compile_spec
from specwright.compiler.authoring.draft_model import DraftField, DraftObject
from specwright.compiler.authoring.sections import append_to_examples, prose_sections, rewrite_prose

PROSE = (DATA / "listing-photos.md").read_text(encoding="utf-8")
FIELDS = [
    DraftField(name="listing_id", type="text", constraints="1..40 characters",
               description="Listing number"),
    DraftField(name="title", type="text", constraints="max 200 characters",
               description="Title as the seller wrote it"),
    DraftField(name="photo_count", type="integer", constraints=">= 0",
               description="Photos attached"),
]


def test_a_prose_input_section_is_found_and_a_table_section_is_not() -> None:
    (section,) = prose_sections(PROSE)
    assert section.name == "Input" and section.heading_line == 11 and section.insert_at == 14
    assert section.prose.startswith("We get the listing number")
    assert section.prose.endswith("many photos the seller attached.")


def test_a_bullet_field_list_is_not_prose_but_a_plain_bullet_list_is() -> None:
    bullets = PROSE.replace("We get the listing number", "- listing_id (text): Number\n\nWe get")
    assert prose_sections(bullets) == []
    plain = PROSE.replace("We get the listing number", "- the listing number\n\nWe get")
    assert [s.name for s in prose_sections(plain)] == ["Input"]


def test_rewrite_inserts_the_table_after_the_prose_and_keeps_everything_else() -> None:
    rewritten = rewrite_prose(PROSE, {"Input": FIELDS})
    before, after = PROSE.split("## Output", 1)
    assert rewritten.endswith("## Output" + after)
    assert rewritten.startswith(before.rstrip("\n"))
    assert "many photos the seller attached.\n\n| field       | type    |" in rewritten
    compiled = compile_spec(rewritten, "specs/listing-photos.md")
    assert [f.name for f in compiled.spec.inputs] == ["listing_id", "title", "photo_count"]
    assert prose_sections(rewritten) == []  # a second run has nothing to do


def test_rewrite_keeps_crlf_line_endings_byte_for_byte() -> None:
    crlf = PROSE.replace("\n", "\r\n")
    rewritten = rewrite_prose(crlf, {"Input": FIELDS})
    assert "\n" not in rewritten.replace("\r\n", "")
    assert rewritten.replace("\r\n", "\n") == rewrite_prose(PROSE, {"Input": FIELDS})


def test_object_types_go_under_the_rewritten_section() -> None:
    fields = [*FIELDS, DraftField(name="seller", type="object", description="Who sells it")]
    objects = [DraftObject(name="Seller", fields=[DraftField(name="rating", type="number",
                                                             constraints="0..5")])]
    rewritten = rewrite_prose(PROSE, {"Input": fields}, objects)
    assert "\n### Seller\n\n| field  | type   | constraints | description |" in rewritten
    examples = rewritten.replace('"photo_count": 0}', '"photo_count": 0, "seller": {"rating": 4}}')
    compiled = compile_spec(examples, "specs/listing-photos.md")
    assert compiled.spec.inputs[-1].type.fields[0].name == "rating"


def test_examples_are_appended_at_the_end_of_the_examples_section() -> None:
    block = ["### Two photos", "", "```json", '{"input": {}, "output": {}}', "```"]
    at_end = append_to_examples(PROSE, [block])
    assert at_end == PROSE + "\n" + "\n".join(block) + "\n"
    spec = PROSE + "\n## Guardrails\n\n- Always true: `true`\n"
    inserted = append_to_examples(spec, [block])
    assert inserted.index("### Two photos") < inserted.index("## Guardrails")
    assert inserted.replace("\n".join(block) + "\n\n", "", 1) == spec


def test_an_examples_section_is_added_when_missing() -> None:
    spec = PROSE.split("## Examples")[0]
    out = append_to_examples(spec, [["### One", "", "```json", "{}", "```"]])
    assert out == spec.rstrip("\n") + "\n\n## Examples\n\n### One\n\n```json\n{}\n```\n"


def test_the_route_is_read_from_the_front_matter_of_a_spec_that_does_not_compile() -> None:
    from specwright.compiler.authoring.sections import spec_route

    assert spec_route(PROSE).models == ()
    with_models = PROSE.replace("owner: marketplace-trust",
                                "owner: x\nmodels:\n  - openai:gpt-4.1-mini")
    assert [m.ref for m in spec_route(with_models).models] == ["openai:gpt-4.1-mini"]
    assert spec_route("# no front matter\n").models == ()
