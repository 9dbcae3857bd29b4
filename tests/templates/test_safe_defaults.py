"""What ships in a generated project is safe by default, on every template: a random secret in .env,
no known default in docker-compose, .dockerignore, a runtime image on the gate's Python without test
tools or secrets, a readiness endpoint; fastapi_sqlalchemy migrates in a prestart step and
fastapi_mongo's /ready pings the database.

What only one template has is checked on it alone: fastapi_basic's schema (the spec's CHECK
constraints and RESTRICT deletes, read from the rendered tables without running anything) and
fastapi_mongo's bounds and delete rules (min/max/max_length as pydantic constraints, required
references refusing deletes unless the spec says cascade).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from codebegen.generate import generate_project
from codebegen.spec import load_spec, parse_spec
from codebegen.templates import load_template, render
from tests.helpers import ALL_FEATURES

# fastapi_sqlalchemy's two renders are quick enough for the fast tests; the others' are slow under load.
SLOW = pytest.mark.slow
TEMPLATES = ["fastapi_sqlalchemy", pytest.param("fastapi_basic", marks=SLOW), pytest.param("fastapi_mongo", marks=SLOW)]
WITH_COMPOSE = ["fastapi_sqlalchemy", pytest.param("fastapi_mongo", marks=SLOW)]  # fastapi_basic ships none
# What the runtime image's Dockerfile filters out of requirements.txt (mongo: the stand-in too).
TEST_TOOLS = {
    "fastapi_sqlalchemy": "pytest|httpx|ruff",
    "fastapi_basic": "pytest|httpx|ruff",
    "fastapi_mongo": "pytest|httpx|ruff|mongomock-motor|motor",
}
# How the app is ready before it serves, beside compose's own secret: file -> (must hold, must not hold).
READY: dict[str, dict[str, tuple[list[str], list[str]]]] = {
    "fastapi_sqlalchemy": {  # migrations in a prestart step the app waits for, never at startup
        "docker-compose.yml": (["prestart:", "service_completed_successfully"], []),
        "app/core/config.py": ([], ["MIGRATE_ON_STARTUP"]),
        "app/main.py": (["/ready"], []),
    },
    "fastapi_mongo": {  # /ready pings the database
        "app/main.py": (['"/ready"', "await ping()"], []),
        "app/core/db.py": (['command("ping")'], []),
    },
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[Path, Path]]:
    """Two projects of the all-features spec per template, rendered once for the module."""
    made: dict[str, tuple[Path, Path]] = {}

    def projects(template: str) -> tuple[Path, Path]:
        if template not in made:
            spec = load_spec(ALL_FEATURES)
            root = tmp_path_factory.mktemp(f"safe-{template}")
            a, b = (generate_project(spec, root / n, template=template, run_gate=False).out_dir for n in ("a", "b"))
            made[template] = (a, b)
        return made[template]

    return projects


@pytest.mark.parametrize("template", TEMPLATES)
def test_each_project_gets_its_own_random_secret(template: str, rendered) -> None:
    """Each project's .env holds a long random SECRET_KEY of its own, private and git-ignored."""
    secrets = []
    for project in rendered(template):
        env = (project / ".env").read_text()
        line = next(x for x in env.splitlines() if x.startswith("SECRET_KEY="))
        secrets.append(line.split("=", 1)[1])
        assert "changethis" not in env and len(secrets[-1]) >= 48
        assert (project / ".env").stat().st_mode & 0o077 == 0
        assert ".env" in (project / ".gitignore").read_text().split()
    assert secrets[0] != secrets[1]


@pytest.mark.parametrize("template", WITH_COMPOSE)
def test_compose_has_no_known_secret_and_the_app_is_ready_before_it_serves(template: str, rendered) -> None:
    project = rendered(template)[0]
    compose = (project / "docker-compose.yml").read_text()
    assert "changethis" not in compose and "${SECRET_KEY:?" in compose
    for rel, (holds, lacks) in READY[template].items():
        text = (project / rel).read_text()
        assert [s for s in holds if s not in text] == [], rel
        assert [s for s in lacks if s in text] == [], rel


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_image_runs_the_gate_s_python_without_test_tools_or_secrets(template: str, rendered) -> None:
    project = rendered(template)[0]
    python = load_template(template).manifest.verify.python
    assert python == f"{sys.version_info.major}.{sys.version_info.minor}"  # the Python the gate ran on
    dockerfile = (project / "Dockerfile").read_text()
    assert f"FROM python:{python}-slim" in dockerfile
    assert f"grep -viE '^({TEST_TOOLS[template]})" in dockerfile and "COPY . ." not in dockerfile
    assert "SECRET_KEY" not in dockerfile and "/ready" in dockerfile
    ignored = (project / ".dockerignore").read_text().split()
    assert {".env", "*.db", ".git", "tests"} <= set(ignored)
    assert "/ready" in (project / "app" / "main.py").read_text()


# -- fastapi_basic: its schema, read from the rendered tables ----------------------------------


def _columns(tables: str, table: str) -> dict[str, dict[str, object]]:
    """The Column(...) calls of one Table in app/db/tables.py, by column name: their keywords."""
    tree = ast.parse(tables)
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "Table":
            kw = {k.arg: k.value for k in call.keywords}
            if ast.literal_eval(kw["name"]) != table:
                continue
            out = {}
            for col in kw["columns"].elts:  # type: ignore[attr-defined]
                name = ast.literal_eval(col.args[0])
                out[name] = {k.arg: ast.literal_eval(k.value) for k in col.keywords}
            return out
    raise AssertionError(f"no table {table}")


@pytest.mark.slow
def test_the_basic_schema_checks_enums_lengths_and_restricts_required_deletes(rendered) -> None:
    tables = (rendered("fastapi_basic")[0] / "app" / "db" / "tables.py").read_text()
    books = _columns(tables, "books")
    checks = dict(books["status"]["checks"])  # type: ignore[arg-type]
    assert checks["status_enum"].startswith('"status" IN (')
    assert dict(books["title"]["checks"])["title_length"] == 'length("title") <= 255'  # type: ignore[arg-type]
    assert books["author_id"]["on_delete"] == "RESTRICT"  # a required reference blocks the delete (409)
    loans = _columns(tables, "loans")
    assert all(c.get("on_delete") in (None, "RESTRICT", "SET NULL") for c in loans.values())


# -- fastapi_mongo: bounds as pydantic constraints, delete rules as references -----------------


def _spec(cascade: bool) -> dict:
    room = {"name": "Room", "fields": [
        {"name": "capacity", "type": "int", "min": 1, "max": 12},
        {"name": "code", "type": "str", "max_length": 8, "pattern": "^[A-Z0-9]+$"},
        {"name": "price", "type": "decimal", "min": 0},
    ]}  # fmt: skip
    booking = {"name": "Booking", "fields": [{"name": "nights", "type": "int"}]}
    rel = {"source": "Booking", "target": "Room", "kind": "many_to_one", "required": True, "cascade": cascade}
    return {"name": "hotel", "entities": [room, booking], "relationships": [rel]}


@pytest.mark.slow
@pytest.mark.parametrize("cascade", [False, True])
def test_mongo_bounds_and_delete_rules_render(cascade: bool, tmp_path: Path) -> None:
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
