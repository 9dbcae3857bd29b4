"""Deterministic clean-up of loosely written specs: every change is reported, the result validates."""

from __future__ import annotations

from codebegen.parsing.cleanup import clean_spec
from codebegen.spec import parse_spec


def cleaned(raw: dict) -> tuple:
    spec, warnings = clean_spec(raw)
    return parse_spec(spec), warnings


def test_names_types_and_implicit_columns() -> None:
    spec, warnings = cleaned(
        {
            "name": "Blog App",
            "entities": [
                {"name": "blog posts", "fields": [
                    {"name": "Title", "type": "string"}, {"name": "id", "type": "int"},
                    {"name": "createdAt", "type": "timestamp"}, {"name": "price", "type": "money"},
                    {"name": "class", "type": "str"}, {"name": "state", "type": "enum"},
                    {"name": "mood", "type": "vibes"},
                ]},
            ],
        }
    )  # fmt: skip
    post = spec.entities[0]
    assert spec.name == "blog_app" and post.name == "BlogPost"
    assert [(f.name, f.type) for f in post.fields] == [
        ("title", "str"), ("price", "decimal"), ("class", "str"), ("state", "str"), ("mood", "str")
    ]  # fmt: skip
    text = "\n".join(warnings)
    for expected in ("enum without values", "unknown type 'vibes'"):
        assert expected in text
    assert "'class'" not in text  # a reserved word is a name the templates carry: not renamed


def test_reference_fields_become_relationships_and_one_to_many_turns_around() -> None:
    spec, warnings = cleaned(
        {
            "entities": [
                {"name": "Author", "fields": [{"name": "name", "type": "str"}]},
                {"name": "Book", "fields": [{"name": "title", "type": "str"}, {"name": "author_id", "type": "int"}]},
                {"name": "Tag", "fields": [{"name": "label", "type": "str"}]},
            ],
            "relationships": [
                {"source": "Author", "target": "Book", "kind": "has_many"},
                {"source": "Books", "target": "tags", "kind": "many-to-many"},
                {"source": "Book", "target": "Publisher", "kind": "many_to_one"},
            ],
        }
    )
    kinds = {(r.source, r.target, r.kind) for r in spec.relationships}
    assert kinds == {("Book", "Author", "many_to_one"), ("Book", "Tag", "many_to_many")}
    assert "title" in [f.name for f in spec.entity("Book").fields]
    assert any("no entity 'Publisher'" in w for w in warnings)
    assert any("merged duplicate relationship" in w for w in warnings)


def test_login_entity_becomes_ownership_and_turns_auth_on() -> None:
    spec, warnings = cleaned(
        {
            "auth": False,
            "entities": [
                {"name": "User", "fields": [{"name": "email", "type": "email"}]},
                {"name": "Note", "fields": [{"name": "body", "type": "text"}, {"name": "owner_id", "type": "int"}]},
            ],
            "relationships": [{"source": "Note", "target": "User", "kind": "many_to_one"}],
        }
    )
    assert spec.auth and [e.name for e in spec.entities] == ["Note"] and spec.entities[0].owned
    assert any("auth turned on" in w for w in warnings)


def test_cycles_and_clashing_entity_names_are_repaired() -> None:
    spec, warnings = cleaned(
        {
            "entities": [{"name": "A", "fields": [{"name": "x", "type": "int"}]}, {"name": "Team", "fields": []}],
            "relationships": [
                {"source": "A", "target": "Team", "kind": "many_to_one"},
                {"source": "Team", "target": "A", "kind": "many_to_one"},
            ],
        }
    )
    assert spec.entities[0].name == "ARecord"
    assert len(spec.relationships) == 1
    assert any("close a cycle" in w for w in warnings)


def test_not_an_object() -> None:
    spec, warnings = clean_spec(["not", "a", "spec"])
    assert spec["entities"] == [] and warnings


def test_a_prompt_that_asks_for_login_turns_auth_on() -> None:
    raw = {"name": "tasks", "auth": False, "entities": [{"name": "Task", "fields": [{"name": "title", "type": "str"}]}]}
    for prompt in ("Task manager for teams with JWT login.", "Users sign up and log in.", "Members authenticate."):
        spec, warnings = clean_spec(raw, prompt)
        assert spec["auth"] is True and any("auth turned on: the prompt asks for it" in w for w in warnings), prompt
    for prompt in ("A shop with a cash register and tokens of appreciation.", "Register pets with a name."):
        spec, warnings = clean_spec(raw, prompt)
        assert spec["auth"] is False and not warnings, prompt


def test_a_prompt_that_says_there_is_no_login_turns_auth_off() -> None:
    raw = {"name": "notes", "auth": True,
           "entities": [{"name": "Note", "owned": True, "fields": [{"name": "text", "type": "text"}]}]}  # fmt: skip
    for prompt in ("Notes with a text. No login needed.", "A public API without authentication for notes.",
                   "Notes have text; no auth for now.", "Anyone can read and write notes, no accounts."):  # fmt: skip
        spec, warnings = clean_spec(raw, prompt)
        assert spec["auth"] is False and not spec["entities"][0]["owned"], prompt
        assert any("auth turned off: the prompt says there is no login" in w for w in warnings), prompt
    # a request for login wins over a negation elsewhere; no words either way leaves the model's choice
    spec, _ = clean_spec(raw, "Notes. Users must log in; there is no admin without a password reset.")
    assert spec["auth"] is True
    spec, warnings = clean_spec(raw, "Notes with a text.")
    assert spec["auth"] is True and not any("auth turned" in w for w in warnings)
    raw_off = {**raw, "auth": False, "entities": [{"name": "Note", "fields": [{"name": "text", "type": "text"}]}]}
    spec, _ = clean_spec(raw_off, "Notes. No login needed.")
    assert spec["auth"] is False


def test_an_entity_that_echoes_another_under_a_field_name_is_dropped() -> None:
    fields = [{"name": "quantity", "type": "int"}, {"name": "total", "type": "decimal"}]
    raw = {"name": "shop", "entities": [{"name": "Order", "fields": fields}, {"name": "Quantity", "fields": fields},
                                        {"name": "Total", "fields": [{"name": "label", "type": "str"}]}],
           "relationships": [{"source": "Quantity", "target": "Order", "kind": "many_to_one"}]}  # fmt: skip
    spec, warnings = clean_spec(raw, "orders have a quantity and a total")
    assert [e["name"] for e in spec["entities"]] == ["Order", "Total"] and spec["relationships"] == []
    assert any("dropped entity 'Quantity': it repeats fields of 'Order'" in w for w in warnings)
