"""ProjectSpec validation: good specs load, bad ones are refused naming the exact problem."""

import json
from typing import Any

import pytest

from codebegen.errors import SpecError
from codebegen.spec import ProjectSpec, load_spec, parse_spec, spec_json_schema
from tests.helpers.devset import dev_specs


def base(**overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "library",
        "auth": True,
        "entities": [
            {"name": "Book", "fields": [{"name": "title", "type": "str"}]},
            {"name": "Loan", "owned": True, "fields": [{"name": "due", "type": "date"}]},
        ],
        "relationships": [{"source": "Loan", "target": "Book", "kind": "many_to_one"}],
    }
    spec.update(overrides)
    return spec


def problems(data: Any) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_spec(data)
    return info.value.problems


def test_a_good_spec_loads_with_defaults() -> None:
    spec = parse_spec(base())
    assert spec.entities[0].fields[0].required is True
    assert spec.entities[0].fields[0].unique is False
    assert spec.relationships[0].key == "book_id"


def test_every_dev_set_entry_converts() -> None:
    specs = dev_specs()
    assert len(specs) == 12
    assert all(isinstance(s, ProjectSpec) for s in specs.values())


def test_one_to_many_is_turned_around() -> None:
    spec = parse_spec(base(relationships=[{"source": "Book", "target": "Loan", "kind": "one_to_many"}]))
    rel = spec.relationships[0]
    assert (rel.source, rel.target, rel.kind) == ("Loan", "Book", "many_to_one")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda s: s["entities"][0]["fields"].append({"name": "x", "type": "money"}), "field 'x', key 'type': 'money'"),
        (
            lambda s: s["entities"][0]["fields"].append({"name": "Unit Price", "type": "str"}),
            "write it as 'unit_price'",
        ),
        (lambda s: s["entities"][0]["fields"].append({"name": "2nd", "type": "str"}), "write it as 'n_2nd'"),
        (lambda s: s["entities"][0]["fields"].append({"name": "Title", "type": "str"}), "not a snake_case identifier"),
        (lambda s: s["entities"][0]["fields"].append({"name": "title", "type": "text"}), "field 'title': duplicate"),
        (lambda s: s["entities"][0]["fields"].append({"name": "state", "type": "enum"}), "needs a non-empty 'values'"),
        (
            lambda s: s["entities"][0]["fields"].append({"name": "state", "type": "enum", "values": []}),
            "needs a non-empty 'values'",
        ),
        (lambda s: s["entities"][0]["fields"].append({"name": "id", "type": "int"}), "added to every entity"),
        (lambda s: s["entities"].append({"name": "Book", "fields": []}), "entity 'Book': duplicate"),
        (lambda s: s["entities"].append({"name": "book_case", "fields": []}), "not PascalCase"),
        (
            lambda s: (s.update(auth=True), s["entities"].append({"name": "User", "owned": True, "fields": []})),
            "the login user cannot be owned",
        ),
        (lambda s: s["entities"].append({"name": "order item", "fields": []}), "write it as 'OrderItem'"),
        (
            lambda s: (
                s["entities"] + [s["entities"].append({"name": n, "fields": []}) for n in ("Analysis", "Analyse")]
            ),
            "'analyses' are also 'Analysis''s",
        ),
        (
            lambda s: s["relationships"].append({"source": "Loan", "target": "Member", "kind": "many_to_one"}),
            "unknown entity 'Member'",
        ),
        (
            lambda s: s["relationships"].append({"source": "Loan", "target": "Book", "kind": "many_to_one"}),
            "duplicate of relationship",
        ),
        (lambda s: s.update(auth=False), "owned is true but auth is false"),
        (lambda s: s.update(name="My Library"), "project name 'My Library' is not a snake_case"),
        (lambda s: s.update(colour="red"), "key 'colour': unknown key"),
        (lambda s: s["entities"][0].update(fields=[{"name": "x"}]), "key 'type': required key is missing"),
        (lambda s: s.update(auth="yes"), "key 'auth'"),
        (
            lambda s: s["relationships"].append({"source": "Book", "target": "Loan", "kind": "many_to_one"}),
            "cycle",
        ),
        (
            lambda s: s["relationships"].append(
                {"source": "Book", "target": "Book", "kind": "many_to_one", "required": True}
            ),
            "can never be satisfied",
        ),
        (
            lambda s: s["entities"][0]["fields"].append({"name": "x", "type": "str", "values": ["a"]}),
            "only allowed on enum",
        ),
    ],
)
def test_bad_specs_are_refused_naming_the_problem(mutate: Any, expected: str) -> None:
    data = base()
    mutate(data)
    found = problems(data)
    assert any(expected in p for p in found), found


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: s["entities"][0]["fields"].append({"name": "class", "type": "str"}),
        lambda s: s["entities"][0]["fields"].append({"name": "select", "type": "str"}),
        lambda s: s["entities"][0]["fields"].append({"name": "list", "type": "str"}),
        lambda s: s["entities"][0]["fields"].append({"name": "metadata", "type": "json"}),
        lambda s: s["entities"].append({"name": "Base", "fields": []}),
        lambda s: s["entities"].append({"name": "Health", "fields": []}),
        lambda s: s["entities"].append({"name": "Table", "fields": [{"name": "from", "type": "int"}]}),
        lambda s: s["entities"].append({"name": "Query", "fields": []}),
    ],
)
def test_reserved_words_and_template_names_are_valid_names(mutate: Any) -> None:
    # generated code keeps them outside and gives the code a safe name (tests/test_names.py)
    data = base()
    mutate(data)
    assert parse_spec(data)


def test_all_problems_are_reported_at_once() -> None:
    data = base(auth=False)
    data["entities"][0]["fields"].append({"name": "From Date", "type": "str"})
    found = problems(data)
    assert len(found) >= 2


def test_load_spec_reports_invalid_json_with_position(tmp_path) -> None:
    path = tmp_path / "spec.json"
    path.write_text('{"name": "x",\n "auth": tru}')
    with pytest.raises(SpecError, match=r"not valid JSON: .* line 2"):
        load_spec(path)
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "missing.json")
    path.write_text("[1, 2]")
    with pytest.raises(SpecError, match="must be a JSON object"):
        load_spec(path)


def test_json_schema_is_exportable() -> None:
    schema = spec_json_schema()
    json.dumps(schema)
    assert {"name", "entities"} <= set(schema["required"])
    assert "enum" in json.dumps(schema)
    assert schema["properties"]["auth"]["description"]
