"""Generated projects under a fuzzer, on every template: every dev-set project served as the gate
boots it (fastapi_sqlalchemy migrated, on SQLite; fastapi_basic on SQLite, its app creating the
schema at startup; fastapi_mongo on the in-process stand-in, ``MONGODB_URL=mongomock://``), and a
sample of fastapi_sqlalchemy's on PostgreSQL; schemathesis with every check, seeded and bounded
(``codebegen.gate.fuzz``): no server error, no schema violation, no undocumented status. The
coverage phase (every boundary the schema defines: 2**31, NUL, malformed ids, wrong types) runs on
the all-features fixture for the SQL templates, and on every project for fastapi_mongo.

Also: the generated suite refuses a database it did not create (and, given only a name, runs on a
database of its own and leaves the named one alone); the fuzz runner reports a deliberately broken
project. fastapi_mongo runs on mongomock, not a MongoDB server: what a real server would answer
differently (BSON order, index builds) is not proven here.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from codebegen.gate.fuzz import (
    CI_EXAMPLES,
    CI_PHASES,
    COVERAGE_PHASES,
    FUZZ_ADMIN,
    KEEP_SIGNED_IN,
    FuzzResult,
    has_auth,
    run_schemathesis,
    serve_project,
    sign_in,
)
from codebegen.gate.runtime import ensure_runtime
from codebegen.spec import ProjectSpec, load_spec
from codebegen.templates import load_template, render_project
from tests.helpers import ALL_FEATURES, ROLES
from tests.helpers.devset import dev_specs

pytestmark = pytest.mark.slow

SPECS = dev_specs()
PG_SAMPLE = ("d01-blog", "d05-shop")


@dataclass(frozen=True)
class Fuzzing:
    """How one template's projects are served and fuzzed: its environment (given the test's folder),
    the migrations its manifest runs before the app starts (the gate's boot: fastapi_basic's app creates
    its schema itself) and schemathesis's bounds."""

    env: Callable[[Path], dict[str, str]]
    migrations: list[str] | None
    options: dict[str, Any] = field(default_factory=dict)


def _sqlite(tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'fuzz.db'}", "ENVIRONMENT": "test"}


# Bounded so the module fits CI (codebegen.gate.fuzz's CI profile): a few examples per operation and a
# short fuzzing phase, the coverage phase on the all-features fixture, the fuzzer's own account kept;
# fastapi_mongo's few examples per operation with the coverage phase in full on every project.
SQL_BOUNDS = {"max_examples": CI_EXAMPLES, "phases": CI_PHASES, "extra": KEEP_SIGNED_IN}
FUZZING = {
    "fastapi_sqlalchemy": Fuzzing(_sqlite, ["-m", "alembic", "upgrade", "head"], SQL_BOUNDS),
    "fastapi_basic": Fuzzing(_sqlite, None, SQL_BOUNDS),
    "fastapi_mongo": Fuzzing(
        lambda _: {"MONGODB_URL": "mongomock://", "MONGODB_DB": "fuzz", "ENVIRONMENT": "test"},
        None,
        {"max_examples": 2},
    ),
}
TEMPLATES = list(FUZZING)
SQL = ["fastapi_sqlalchemy", "fastapi_basic"]


def _project(tmp_path: Path, spec: ProjectSpec, template: str, runtime_cache: Path) -> tuple[Path, Path]:
    out = tmp_path / spec.name
    render_project(spec, template, out)
    runtime = ensure_runtime(out / "requirements.txt", cache_dir=runtime_cache)  # shared by every project
    return out, runtime.python


def _fuzz(template: str, project: Path, python: Path, env: dict[str, str], **options: Any) -> FuzzResult:
    """Serve as the gate boots the template (its migrations, if any, first) and fuzz it; signed in as an
    admin where the project has sign-in."""
    verify = load_template(template).manifest.verify
    assert verify.migrations == FUZZING[template].migrations
    with serve_project(project, python, env, migrate=verify.migrations, health_path=verify.health_path) as base:
        headers = sign_in(base) if has_auth(base) else {}
        return run_schemathesis(base, headers=headers, **options)


def _assert_clean(result: FuzzResult) -> None:
    assert result.operations > 0, result.output
    assert result.ok, f"{result.failures}\n{result.output}"


def _clean_run(template: str, spec: ProjectSpec, tmp_path: Path, runtime_cache: Path, **options: Any) -> None:
    project, python = _project(tmp_path, spec, template, runtime_cache)
    fuzzing = FUZZING[template]
    env = {**fuzzing.env(tmp_path), **FUZZ_ADMIN}
    _assert_clean(_fuzz(template, project, python, env, **(fuzzing.options | options)))


@pytest.mark.parametrize("key", sorted(SPECS))
@pytest.mark.parametrize("template", TEMPLATES)
def test_dev_project_is_fuzz_clean(template: str, key: str, tmp_path: Path, runtime_cache: Path) -> None:
    _clean_run(template, SPECS[key], tmp_path, runtime_cache)


@pytest.mark.parametrize("template", SQL)
def test_every_boundary_of_every_field_type_is_clean(template: str, tmp_path: Path, runtime_cache: Path) -> None:
    _clean_run(template, load_spec(ALL_FEATURES), tmp_path, runtime_cache, phases=COVERAGE_PHASES)


@pytest.mark.parametrize("template", ["fastapi_basic"])
def test_the_roles_fixture_is_fuzz_clean(template: str, tmp_path: Path, runtime_cache: Path) -> None:
    _clean_run(template, load_spec(ROLES), tmp_path, runtime_cache)


@pytest.mark.postgres
@pytest.mark.parametrize("key", PG_SAMPLE)
def test_dev_project_is_fuzz_clean_on_postgres(
    key: str, tmp_path: Path, runtime_cache: Path, postgres_url: str
) -> None:
    from codebegen.gate.scratch_database import scratch_database

    template = "fastapi_sqlalchemy"
    project, python = _project(tmp_path, SPECS[key], template, runtime_cache)
    # the first of the sample also gets the coverage phase: PostgreSQL's integer is where 2**31 fails
    phases = f"{CI_PHASES},{COVERAGE_PHASES}" if key == PG_SAMPLE[0] else CI_PHASES
    with scratch_database(postgres_url, scheme="postgresql+psycopg", purpose="fuzz") as url:
        env = {"DATABASE_URL": url, "ENVIRONMENT": "test", **FUZZ_ADMIN}
        _assert_clean(
            _fuzz(template, project, python, env, max_examples=CI_EXAMPLES, phases=phases, extra=KEEP_SIGNED_IN)
        )


# -- the runner reports what is wrong ----------------------------------------------------------

# One route of d02-bookstore broken, the fuzzer pointed at it, and the failure it must name.
BROKEN = {
    "undocumented status": (
        # declared statuses stripped from one route: its 404 becomes undocumented
        ("responses=responses(404, 422)", "responses=responses(422)"),
        ["--include-path-regex", "authors/\\{row_id\\}$"],
        "Undocumented status",
    ),
    "server error": (
        # the list answers a count that is not an int: its own response model refuses it (a 500)
        ("count=count)", 'count=f"{count} rows")'),
        ["--include-path-regex", "authors/$", "--include-method", "GET"],
        "Server error",
    ),
}
RUNNER_CASES = [*((t, "undocumented status") for t in TEMPLATES), ("fastapi_basic", "server error")]


@pytest.mark.parametrize(("template", "broken"), RUNNER_CASES)
def test_the_runner_reports_a_broken_route(template: str, broken: str, tmp_path: Path, runtime_cache: Path) -> None:
    (old, new), only, failure = BROKEN[broken]
    project, python = _project(tmp_path, SPECS["d02-bookstore"], template, runtime_cache)
    routes = project / "app" / "api" / "routes" / "author.py"
    text = routes.read_text()
    routes.write_text(text.replace(old, new, 1))
    assert routes.read_text() != text
    options = FUZZING[template].options
    result = _fuzz(template, project, python, FUZZING[template].env(tmp_path), **(options | {"extra": only}))
    assert not result.ok
    assert any(failure in name for name in result.failures), result.output


# -- the generated suite keeps off a developer's database --------------------------------------


def _suite(project: Path, python: Path, env: dict[str, str], *plugin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", *plugin, "tests/test_health.py"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@dataclass(frozen=True)
class DeveloperDatabase:
    """A developer's database with data in it, named to the generated suite in two ways: exactly
    (``exact``: refused, it holds what the suite did not create) and as the app's own setting
    (``named``: the suite runs on a database of its own beside it); ``empty`` names an exact one with
    nothing in it, which the suite accepts."""

    exact: dict[str, str]
    named: dict[str, str]
    empty: dict[str, str]
    refusal: str
    untouched: Callable[[subprocess.CompletedProcess[str]], None]
    plugin: tuple[str, ...] = ()


# How a developer's SQLite database gets its schema: fastapi_sqlalchemy's migrations; fastapi_basic's
# app creates it, and a row goes in (the arguments after the project's python).
SQL_SEED = {
    "fastapi_sqlalchemy": ["-m", "alembic", "upgrade", "head"],
    "fastapi_basic": ["-c", "from app.core.db import connect, create_schema; create_schema(); c = connect(); c.execute(\"INSERT INTO authors (created_at, updated_at, name) VALUES ('x', 'x', 'Kept')\"); c.commit(); c.close()"],
}  # fmt: skip


def _sql_developer_database(template: str, project: Path, python: Path, tmp_path: Path) -> DeveloperDatabase:
    dev_db = tmp_path / "dev.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{dev_db}", "ENVIRONMENT": "test"}
    subprocess.run([str(python), *SQL_SEED[template]], cwd=project, env=env, check=True, capture_output=True)
    before = dev_db.read_bytes()

    def untouched(ran: subprocess.CompletedProcess[str]) -> None:
        # DATABASE_URL alone names only the folder: the suite runs on a file of its own, deletes it
        # after, and the developer's database is untouched (it used to be emptied by drop_all).
        assert dev_db.read_bytes() == before
        assert sorted(p.name for p in tmp_path.glob("*.db*")) == ["dev.db"]

    return DeveloperDatabase(
        exact={**env, "TEST_DATABASE_URL": f"sqlite:///{dev_db}"},
        named=env,
        empty={**env, "TEST_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"},  # nothing in it to lose
        refusal="refusing to run",
        untouched=untouched,
    )


# A pytest plugin loaded before the generated conftest: a developer's database "devdb" with data in
# the project's own authors collection (which the suite empties between tests wherever it runs), on
# the process's stand-in server (the one the generated suite's client uses).
SEED = """
import asyncio

from app.core.db import standin_client


async def _seed():
    await standin_client()["devdb"]["authors"].insert_one({"name": "a developer's data"})


asyncio.run(_seed())


def pytest_unconfigure(config):
    async def _left():
        return await standin_client()["devdb"]["authors"].count_documents({})

    print("devdb documents after the run:", asyncio.run(_left()))
"""


def _mongo_developer_database(template: str, project: Path, python: Path, tmp_path: Path) -> DeveloperDatabase:
    (project / "seed_devdb.py").write_text(SEED)
    env = {**os.environ, "MONGODB_URL": "mongomock://", "ENVIRONMENT": "test", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("TEST_MONGODB_DB", None)

    def untouched(ran: subprocess.CompletedProcess[str]) -> None:
        # MONGODB_DB alone names only a prefix: the suite runs on devdb_pytest_<random>, devdb keeps its data
        assert "devdb documents after the run: 1" in ran.stdout

    return DeveloperDatabase(
        exact={**env, "TEST_MONGODB_DB": "devdb"},
        named={**env, "MONGODB_DB": "devdb"},
        empty={**env, "TEST_MONGODB_DB": "devdb"},  # without the seed the same exact database is empty
        refusal="refusing to run: database devdb already has collections (authors)",
        untouched=untouched,
        plugin=("-p", "seed_devdb"),
    )


DEVELOPER_DATABASES = {
    "fastapi_sqlalchemy": _sql_developer_database,
    "fastapi_basic": _sql_developer_database,
    "fastapi_mongo": _mongo_developer_database,
}


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_generated_suite_refuses_a_database_it_did_not_create(
    template: str, tmp_path: Path, runtime_cache: Path
) -> None:
    project, python = _project(tmp_path, SPECS["d02-bookstore"], template, runtime_cache)
    dev = DEVELOPER_DATABASES[template](template, project, python, tmp_path)
    refused = _suite(project, python, dev.exact, *dev.plugin)
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert dev.refusal in refused.stdout + refused.stderr
    ran = _suite(project, python, dev.named, *dev.plugin)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    dev.untouched(ran)
    empty = _suite(project, python, dev.empty)
    assert empty.returncode == 0, empty.stdout + empty.stderr


# -- what the docs stage reads from a served project's OpenAPI document ------------------------


@pytest.mark.parametrize("template", ["fastapi_basic"])
def test_the_docs_stage_reads_every_typed_list_parameter(template: str, tmp_path: Path, runtime_cache: Path) -> None:
    # The docs stage imports the app for its OpenAPI document (no database, no switch needed).
    from codebegen.stages.docs import fetch_openapi

    project, _ = _project(tmp_path, load_spec(ALL_FEATURES), template, runtime_cache)
    document = fetch_openapi(project, load_template(template), runtime_cache)
    params = {p["name"]: p["schema"] for p in document["paths"]["/api/v1/books/"]["get"]["parameters"]}
    assert {"skip", "limit", "q", "order_by", "status__in", "price__gte", "published__lt", "author_id"} <= set(params)
    assert params["skip"]["maximum"] == 2**31 - 1 and params["limit"]["maximum"] == 1000
    assert "-title" in params["order_by"]["enum"]
    assert "/ready" in document["paths"]
    responses = document["paths"]["/api/v1/books/{row_id}"]["delete"]["responses"]
    assert {"204", "401", "403", "404", "409", "422"} <= set(responses)
    assert not list(project.glob("*.db"))
