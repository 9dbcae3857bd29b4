"""fastapi_mongo ships safe by default and renders the spec's bounds and delete rules: a random
secret in .env, no known default in docker-compose, .dockerignore, a runtime image on the gate's
Python without test tools or the stand-in, /ready pinging the database; min/max/max_length as
pydantic constraints, required references refusing deletes unless the spec says cascade."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from codebegen.generate import generate_project
from codebegen.spec import load_spec, parse_spec
from codebegen.templates import load_template, render
from tests.helpers import FIXTURES
from tests.templates.test_safe_defaults import assert_own_random_secrets

pytestmark = pytest.mark.slow  # renders four projects (about 20 s here)


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    spec = load_spec(FIXTURES / "all_features.json")
    root = tmp_path_factory.mktemp("safe-mongo")
    return tuple(  # type: ignore[return-value]
        generate_project(spec, root / n, template="fastapi_mongo", run_gate=False).out_dir for n in ("a", "b")
    )


def test_each_project_gets_its_own_random_secret(projects: tuple[Path, Path]) -> None:
    assert_own_random_secrets(projects)


def test_compose_has_no_known_secret_and_the_app_has_a_readiness_check(projects: tuple[Path, Path]) -> None:
    compose = (projects[0] / "docker-compose.yml").read_text()
    assert "changethis" not in compose and "${SECRET_KEY:?" in compose
    main = (projects[0] / "app" / "main.py").read_text()
    assert '"/ready"' in main and "await ping()" in main
    assert 'command("ping")' in (projects[0] / "app" / "core" / "db.py").read_text()


def test_the_image_runs_the_gate_s_python_without_test_tools(projects: tuple[Path, Path]) -> None:
    python = load_template("fastapi_mongo").manifest.verify.python
    assert python == f"{sys.version_info.major}.{sys.version_info.minor}"  # the Python the gate ran on
    dockerfile = (projects[0] / "Dockerfile").read_text()
    assert f"FROM python:{python}-slim" in dockerfile
    assert "grep -viE '^(pytest|httpx|ruff|mongomock-motor|motor)" in dockerfile and "COPY . ." not in dockerfile
    assert {".env", ".git", "tests"} <= set((projects[0] / ".dockerignore").read_text().split())


def _spec(cascade: bool) -> dict:
    room = {"name": "Room", "fields": [
        {"name": "capacity", "type": "int", "min": 1, "max": 12},
        {"name": "code", "type": "str", "max_length": 8, "pattern": "^[A-Z0-9]+$"},
        {"name": "price", "type": "decimal", "min": 0},
    ]}  # fmt: skip
    booking = {"name": "Booking", "fields": [{"name": "nights", "type": "int"}]}
    rel = {"source": "Booking", "target": "Room", "kind": "many_to_one", "required": True, "cascade": cascade}
    return {"name": "hotel", "entities": [room, booking], "relationships": [rel]}


@pytest.mark.parametrize("cascade", [False, True])
def test_bounds_and_delete_rules_render(cascade: bool, tmp_path: Path) -> None:
    render(parse_spec(_spec(cascade)), load_template("fastapi_mongo"), tmp_path)
    schema = (tmp_path / "app/schemas/room.py").read_text().replace('"', "'")
    assert "capacity: Annotated[StrictInt32, Field(ge=1, le=12)]" in schema
    assert "Field(max_length=8, pattern='^[A-Z0-9]+$')" in schema
    assert "price: Annotated[Money, Field(ge=0.0)]" in schema
    # Decimal fields filter by equality only (mongomock cannot compare Decimal128): no range, no sort.
    assert "'price': ('price', 'eq')" in schema and "price__gte" not in schema and "'-price'" not in schema
    assert "'capacity__gte': ('capacity', 'gte')" in schema and "'-capacity'" in schema
    models = (tmp_path / "app/models/__init__.py").read_text().replace('"', "'")
    assert f"base.Reference(Booking, 'room_id', Room, '{'cascade' if cascade else 'restrict'}')" in models
