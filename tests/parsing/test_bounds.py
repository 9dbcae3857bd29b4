"""Field bounds: the spec's min/max/max_length/pattern validated, a prompt's words read into them,
rendered as pydantic constraints and CHECK constraints; a relationship's cascade."""

from __future__ import annotations

from pathlib import Path

import pytest

from codebegen.errors import SpecError
from codebegen.parsing.bounds import stated_bounds
from codebegen.parsing.cleanup import clean_spec
from codebegen.spec import parse_spec
from codebegen.templates import load_template, render


def _spec(fields: list[dict], relationships: list[dict] | None = None, extra: list[dict] | None = None) -> dict:
    return {"name": "hotel", "entities": [{"name": "Room", "fields": fields}, *(extra or [])],
            "relationships": relationships or []}  # fmt: skip


def test_bounds_are_accepted_on_the_types_they_fit() -> None:
    spec = parse_spec(_spec([
        {"name": "capacity", "type": "int", "min": 1, "max": 12},
        {"name": "price", "type": "decimal", "min": 0},
        {"name": "code", "type": "str", "max_length": 8, "pattern": "^[A-Z0-9]+$"},
    ]))  # fmt: skip
    capacity, price, code = spec.entities[0].fields
    assert (capacity.min, capacity.max, price.min, code.max_length) == (1, 12, 0, 8)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ({"name": "title", "type": "str", "min": 1}, "min/max only apply to int, float and decimal"),
        ({"name": "n", "type": "int", "min": 5, "max": 1}, "min 5 is larger than max 1"),
        ({"name": "n", "type": "int", "min": 1.5}, "not a 32-bit integer"),
        ({"name": "n", "type": "int", "max": 2**31}, "not a 32-bit integer"),
        ({"name": "title", "type": "str", "max_length": 300}, "above the str limit 255; make it a text field"),
        ({"name": "n", "type": "int", "max_length": 3}, "max_length only applies to str and text"),
        ({"name": "code", "type": "str", "pattern": "(["}, "is not a regular expression"),
        ({"name": "on", "type": "bool", "pattern": "x"}, "pattern only applies to str and text"),
    ],
)
def test_bounds_that_do_not_fit_are_refused_naming_a_fix(field: dict, expected: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(_spec([field]))
    assert any(expected in p for p in info.value.problems), info.value.problems


@pytest.mark.parametrize(
    ("prompt", "name", "ftype", "bounds"),
    [
        ("Rooms have a capacity, which is at least 1.", "capacity", "int", {"min": 1}),
        ("The price cannot be negative.", "price", "decimal", {"min": 0.0}),
        ("A rating between 1 and 5.", "rating", "int", {"min": 1, "max": 5}),
        ("The stock count must be non-negative.", "stock_count", "int", {"min": 0}),
        ("At most 100 seats per show.", "seats", "int", {"max": 100}),
        ("The amount must be positive.", "amount", "int", {"min": 1}),
        ("The discount can be negative.", "discount", "float", {}),
        ("Price is shown in euros.", "price", "decimal", {}),
        ("The title is at least 3 words.", "title", "str", {}),  # only numbers get bounds
    ],
)
def test_a_prompt_s_bounds_are_read(prompt: str, name: str, ftype: str, bounds: dict) -> None:
    fields = [{"name": name, "type": ftype}]
    stated_bounds(prompt, fields)
    assert {k: v for k, v in fields[0].items() if k in ("min", "max")} == bounds


def test_cleanup_reads_bounds_and_keeps_the_model_s_own() -> None:
    raw = {"name": "hotel", "entities": [{"name": "Room", "fields": [
        {"name": "capacity", "type": "integer"}, {"name": "floor", "type": "int", "min": 0, "max": 40}]}]}  # fmt: skip
    spec, warnings = clean_spec(raw, "Rooms: capacity is at least 1, floor is at most 99.")
    capacity, floor = spec["entities"][0]["fields"]
    assert capacity["min"] == 1 and (floor["min"], floor["max"]) == (0, 40)
    assert any("capacity" in w and "min 1" in w for w in warnings)
    parse_spec(spec)


def test_bounds_and_enums_render_as_pydantic_and_check_constraints(tmp_path: Path) -> None:
    spec = parse_spec(_spec(
        [{"name": "capacity", "type": "int", "min": 1}, {"name": "kind", "type": "enum", "values": ["single", "it's"]},
         {"name": "notes", "type": "text", "required": False, "max_length": 50000}],
        relationships=[{"source": "Booking", "target": "Room", "kind": "many_to_one", "required": True}],
        extra=[{"name": "Booking", "fields": [{"name": "nights", "type": "int"}]}],
    ))  # fmt: skip
    render(spec, load_template("fastapi_sqlalchemy"), tmp_path)
    schema = (tmp_path / "app/schemas/room.py").read_text()
    assert "capacity: Annotated[StrictInt32, Field(ge=1)]" in schema
    assert "max_length=50000" in schema
    model = (tmp_path / "app/models/room.py").read_text()
    assert "sa.CheckConstraint('\"capacity\" >= 1', name='capacity_min')" in model
    assert "'\"kind\" IN (\\'single\\', \\'it\\'\\'s\\')'" in model or "\"kind\" IN ('single', 'it''s')" in model
    migration = next((tmp_path / "alembic/versions").glob("*.py")).read_text()
    assert 'name=op.f("ck_rooms_capacity_min")' in migration
    assert 'ondelete="RESTRICT"' in migration  # a required reference blocks the delete
    route = (tmp_path / "app/api/routes/room.py").read_text()
    assert (
        "crud.refuse_if_referenced(session, row, [(Booking, 'room_id'), ])" in route or '(Booking, "room_id")' in route
    )


def test_cascade_deletes_instead_of_refusing(tmp_path: Path) -> None:
    spec = parse_spec(_spec(
        [{"name": "capacity", "type": "int"}],
        relationships=[{"source": "Booking", "target": "Room", "kind": "many_to_one", "required": True, "cascade": True}],
        extra=[{"name": "Booking", "fields": [{"name": "nights", "type": "int"}]}],
    ))  # fmt: skip
    render(spec, load_template("fastapi_sqlalchemy"), tmp_path)
    assert 'ondelete="CASCADE"' in next((tmp_path / "alembic/versions").glob("*.py")).read_text()
    assert "refuse_if_referenced" not in (tmp_path / "app/api/routes/room.py").read_text()
