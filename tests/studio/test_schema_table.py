"""The Schema tab's tables and ER diagram round-trip a ProjectSpec."""

from __future__ import annotations

import json

import pytest

from codebegen.errors import SpecError
from codebegen.spec import parse_spec
from codebegen.studio import schema_table
from tests.helpers import ALL_FEATURES as ALL_FEATURES_FILE

ALL_FEATURES = json.loads(ALL_FEATURES_FILE.read_text())


def _tables(spec: dict) -> dict:
    return {
        "name": spec["name"], "description": spec.get("description", ""), "auth": spec.get("auth", False),
        "entities": schema_table.entity_rows(spec), "relations": schema_table.relation_rows(spec),
        "rules": spec.get("rules"),
    }  # fmt: skip


def test_tables_round_trip_every_feature() -> None:
    assert schema_table.spec_from_tables(**_tables(ALL_FEATURES)) == parse_spec(ALL_FEATURES)


def test_an_edited_cell_changes_the_spec() -> None:
    tables = _tables(ALL_FEATURES)
    row = next(r for r in tables["entities"] if r[2] == "title")
    row[2] = "headline"
    spec = schema_table.spec_from_tables(**tables)
    assert spec.entity(row[0]).field("headline") is not None and spec.entity(row[0]).field("title") is None


def test_cells_as_the_browser_sends_them_are_read() -> None:
    rows = [
        ["Task", "false", "done", "bool", "true", "false", ""],
        ["Task", "", "", "", "", "", ""],
        ["", "", "", "", "", "", ""],
    ]
    spec = schema_table.spec_from_tables(
        name="todo", description="", auth=False, entities=rows, relations=[["", "", "", "", ""]]
    )
    assert spec.entities[0].fields[0].type == "bool" and spec.entities[0].fields[0].required is True


def test_a_bad_cell_is_refused_naming_the_problem() -> None:
    rows = [["Task", False, "due date", "str", True, False, ""]]
    with pytest.raises(SpecError, match="write it as 'due_date'"):
        schema_table.spec_from_tables(name="todo", description="", auth=False, entities=rows, relations=[])
    # a reserved word is a name like any other (generated code keeps it outside, safe inside)
    rows = [["Task", False, "class", "str", True, False, ""]]
    spec = schema_table.spec_from_tables(name="todo", description="", auth=False, entities=rows, relations=[])
    assert spec.entities[0].fields[0].name == "class"


def test_the_er_diagram_names_entities_fields_and_links() -> None:
    text = schema_table.mermaid(ALL_FEATURES)
    assert text.startswith("```mermaid\nerDiagram")
    for entity in ALL_FEATURES["entities"]:
        assert f"    {entity['name']} {{" in text
    for rel in ALL_FEATURES["relationships"]:
        assert f"{rel['source']} " in text and f" {rel['target']} :" in text
