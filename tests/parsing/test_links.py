"""Relationships read from a prompt's words, between entities the parser already named."""

from __future__ import annotations

import pytest

from codebegen.parsing.cleanup import clean_spec
from codebegen.parsing.links import read_links


def triples(prompt: str, entities: list[str]) -> set[tuple[str, str, str]]:
    return {(link.source, link.target, link.kind) for link in read_links(prompt, entities)}


@pytest.mark.parametrize(
    ("prompt", "entities", "expected"),
    [
        ("Invoices have a number and belong to a client.", ["Invoice", "Client"], {("Invoice", "Client", "many_to_one")}),
        ("Reviews (stars, text) for a restaurant.", ["Review", "Restaurant"], {("Review", "Restaurant", "many_to_one")}),
        ("Lessons taught by one instructor.", ["Lesson", "Instructor"], {("Lesson", "Instructor", "many_to_one")}),
        ("Readings per sensor.", ["Reading", "Sensor"], {("Reading", "Sensor", "many_to_one")}),
        ("A warehouse has many shelves.", ["Warehouse", "Shelf"], {("Shelf", "Warehouse", "many_to_one")}),
        ("Members borrow books.", ["Member", "Book"], {("Book", "Member", "many_to_one")}),
        ("Each car has one engine.", ["Car", "Engine"], {("Car", "Engine", "many_to_one")}),
        ("shipment -> carrier", ["Shipment", "Carrier"], {("Shipment", "Carrier", "many_to_one")}),
        ("Line items of an invoice.", ["LineItem", "Invoice"], {("LineItem", "Invoice", "many_to_one")}),
        (
            "Enrollments link a student and a course.",
            ["Enrollment", "Student", "Course"],
            {("Enrollment", "Student", "many_to_one"), ("Enrollment", "Course", "many_to_one")},
        ),
        ("Recipes can have many ingredients and ingredients can be in many recipes.", ["Recipe", "Ingredient"],
         {("Recipe", "Ingredient", "many_to_many")}),
        ("A song can appear in several playlists.", ["Song", "Playlist"], {("Song", "Playlist", "many_to_many")}),
        ("Link actors and movies (many to many).", ["Actor", "Movie"], {("Actor", "Movie", "many_to_many")}),
        ("Countries and capitals are one-to-one.", ["Country", "Capital"], {("Country", "Capital", "one_to_one")}),
    ],
)  # fmt: skip
def test_plain_english_relationships(prompt: str, entities: list[str], expected: set) -> None:
    assert triples(prompt, entities) == expected


def test_what_is_not_a_relationship_stays_out() -> None:
    # a field list in parentheses, an entity the parser did not name, one entity only
    assert triples("Movies (title, director of photography, studio).", ["Movie", "Studio"]) == set()
    assert triples("Orders belong to a customer.", ["Order"]) == set()
    assert triples("Tasks belong to tasks lists.", ["Task"]) == set()
    # the relationship is read in the sentence that states it, not across sentences
    assert triples("Posts have a title. A comment is short.", ["Post", "Comment"]) == set()


def test_the_clean_up_adds_stated_links_and_they_win_over_the_models() -> None:
    raw = {
        "name": "library",
        "entities": [
            {"name": "Book", "fields": [{"name": "title", "type": "str"}]},
            {"name": "Author", "fields": [{"name": "name", "type": "str"}]},
            {"name": "Shelf", "fields": [{"name": "label", "type": "str"}]},
        ],
        "relationships": [
            {"source": "Author", "target": "Book", "kind": "many_to_one"},  # the wrong way round
            {"source": "Book", "target": "Book", "kind": "many_to_one"},  # nothing in the prompt says so
        ],
    }
    prompt = "Books (title) are written by one author. A shelf holds many books."
    spec, warnings = clean_spec(raw, prompt)
    rels = {(r["source"], r["target"], r["kind"]) for r in spec["relationships"]}
    assert rels == {("Book", "Author", "many_to_one"), ("Book", "Shelf", "many_to_one")}
    text = "\n".join(warnings)
    assert "read as Book -> Author (many_to_one)" in text
    assert "added relationship Book -> Shelf" in text
    assert "dropped relationship Book -> Book" in text
    # a person's spec without a prompt keeps its self-reference; a prompt with words for one too
    spec, _ = clean_spec(raw)
    assert ("Book", "Book", "many_to_one") in {(r["source"], r["target"], r["kind"]) for r in spec["relationships"]}
    spec, _ = clean_spec(raw, "Books have a title; a book can be the sequel of another. Parent book optional.")
    assert ("Book", "Book", "many_to_one") in {(r["source"], r["target"], r["kind"]) for r in spec["relationships"]}
