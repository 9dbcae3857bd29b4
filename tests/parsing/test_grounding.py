"""Entity names grounded in the prompt: the candidates, and a decoding schema that allows only them."""

from __future__ import annotations

import json

from codebegen.parsing.grounding import MAX_CANDIDATES, described_entities, entity_candidates, grounded_schema
from codebegen.stages.parse import DECODING_SCHEMA


def test_candidates_are_the_prompts_own_nouns_singular_and_pascal_case() -> None:
    names = entity_candidates("Warehouse API: order items (quantity) of an order; check-ins per day. Users log in.")
    for expected in ("Warehouse", "OrderItem", "Order", "CheckIn", "Day", "User", "Quantity"):
        assert expected in names
    # function words never start or end a name, and nothing crosses punctuation
    assert not {n for n in names if n.startswith(("The", "Of", "An")) or n.endswith(("Of", "An"))}
    assert "ApiOrder" not in names and "WarehouseApiOrder" not in names


def test_a_long_prompt_keeps_the_candidate_list_bounded() -> None:
    prompt = " ".join(f"thing{i} widget{i} gadget{i}." for i in range(2000))
    assert len(entity_candidates(prompt)) == MAX_CANDIDATES


def test_the_schema_narrows_entity_and_relationship_names_only() -> None:
    schema = grounded_schema(DECODING_SCHEMA, ["User", "Post"])
    entity = schema["properties"]["entities"]["items"]["properties"]
    rel = schema["properties"]["relationships"]["items"]["properties"]
    assert entity["name"]["enum"] == ["User", "Post"] and rel["source"]["enum"] == rel["target"]["enum"]
    assert entity["fields"] == DECODING_SCHEMA["properties"]["entities"]["items"]["properties"]["fields"]
    assert "enum" not in json.dumps(DECODING_SCHEMA["properties"]["entities"]["items"]["properties"]["name"])
    assert grounded_schema(DECODING_SCHEMA, []) is DECODING_SCHEMA


def test_the_grounded_schema_compiles_and_forbids_an_invented_name() -> None:
    import llguidance

    schema = grounded_schema(DECODING_SCHEMA, entity_candidates("Talks given by one speaker. Speakers have a bio."))
    grammar = llguidance.LLMatcher.grammar_from_json_schema(schema)
    assert llguidance.LLMatcher.validate_grammar(grammar) == ""
    spec = {"name": "c", "description": "", "auth": False, "relationships": [],
            "entities": [{"name": "Talk", "owned": False, "fields": []}]}  # fmt: skip
    import jsonschema

    jsonschema.validate(spec, schema)
    spec["entities"][0]["name"] = "Takedown"
    try:
        jsonschema.validate(spec, schema)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("an invented entity name passed the grounded schema")


def test_described_entities_are_the_plural_things_given_fields() -> None:
    prompt = (
        "Library API. Books (title, isbn, price) and authors: name, bio. Members have a card number. "
        "Loans belong to a member. Each loan has a status (open, late, returned) and a priority (low, high). "
        "Harvest logs (crop, weight)."
    )
    assert described_entities(prompt) == [["Book"], ["Author"], ["Member"], ["Loan"], ["HarvestLog", "Log", "Harvest"]]
    # never a guess: a singular head before values in parentheses is a field, a title line is no entity
    assert described_entities("A todo app. A task has a title and a state (open, done).") == [["Task"]]
    assert described_entities("Online bookstore: books have a title.\n- Author: name, bio") == [["Book"], ["Author"]]


def test_the_schema_asks_for_the_described_entities_first() -> None:
    schema = grounded_schema(
        DECODING_SCHEMA, ["Book", "Author", "HarvestLog", "Log"], [["Book"], ["HarvestLog", "Log"]]
    )
    entities = schema["properties"]["entities"]
    assert entities["minItems"] == 2
    assert [item["properties"]["name"]["enum"] for item in entities["prefixItems"]] == [["Book"], ["HarvestLog", "Log"]]
    assert entities["items"]["properties"]["name"]["enum"] == ["Book", "Author", "HarvestLog", "Log"]
    import llguidance

    assert llguidance.LLMatcher.validate_grammar(llguidance.LLMatcher.grammar_from_json_schema(schema)) == ""


def test_the_parse_stage_sends_the_grounded_schema_and_reads_stated_links() -> None:
    from codebegen.events import SpecArtifact, Warning
    from codebegen.models.fake import FakeBackend
    from codebegen.stages.parse import parse_stage

    prompt = "Library: books (title, isbn) and authors (name, bio). Each book is written by one author."
    reply = json.dumps({
        "name": "library", "description": "", "auth": False, "relationships": [],
        "entities": [{"name": "Book", "owned": False, "fields": [{"name": "title", "type": "str"}]},
                     {"name": "Author", "owned": False, "fields": [{"name": "name", "type": "str"}]}],
    })  # fmt: skip
    backend = FakeBackend([reply])
    events = list(parse_stage(prompt, backend))
    schema = backend.calls[0]["schema"]
    entities = schema["properties"]["entities"]
    assert [i["properties"]["name"]["enum"] for i in entities["prefixItems"]] == [["Book"], ["Author"]]
    assert {"Book", "Author", "Library", "User"} <= set(entities["items"]["properties"]["name"]["enum"])
    spec = next(e.spec for e in events if isinstance(e, SpecArtifact))
    assert [(r.source, r.target, r.kind) for r in spec.relationships] == [("Book", "Author", "many_to_one")]
    assert any("added relationship Book -> Author" in e.message for e in events if isinstance(e, Warning))
