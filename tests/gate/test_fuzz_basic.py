"""fastapi_basic projects under a fuzzer: every dev-set project served on SQLite (the template's
own boot: the app creates its schema at startup), schemathesis with every check, seeded and
bounded (``codebegen.gate.fuzz``'s CI profile): no server error, no schema violation, no
undocumented status. The coverage phase (every boundary the schema defines) runs on the
all-features fixture, which holds every field type and relationship kind.

Also: the generated suite refuses a database it did not create, and the fuzz runner reports a
deliberately broken basic project.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

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

TEMPLATE = "fastapi_basic"
SPECS = dev_specs()


def _project(tmp_path: Path, spec: ProjectSpec, runtime_cache: Path) -> tuple[Path, Path]:
    out = tmp_path / "project"
    render_project(spec, TEMPLATE, out)
    runtime = ensure_runtime(out / "requirements.txt", cache_dir=runtime_cache)
    return out, runtime.python


def _fuzz(project: Path, python: Path, tmp_path: Path, **options: object) -> FuzzResult:
    """Serve as the gate boots fastapi_basic (no migrations: the lifespan creates the schema)."""
    verify = load_template(TEMPLATE).manifest.verify
    assert verify.migrations is None
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fuzz.db'}", "ENVIRONMENT": "test", **FUZZ_ADMIN}
    with serve_project(project, python, env, health_path=verify.health_path) as base:
        headers = sign_in(base) if has_auth(base) else {}
        return run_schemathesis(base, headers=headers, **options)  # type: ignore[arg-type]


def _assert_clean(result: FuzzResult) -> None:
    assert result.operations > 0, result.output
    assert result.ok, f"{result.failures}\n{result.output}"


@pytest.mark.parametrize("key", sorted(SPECS))
def test_dev_project_is_fuzz_clean(key: str, tmp_path: Path, runtime_cache: Path) -> None:
    project, python = _project(tmp_path, SPECS[key], runtime_cache)
    _assert_clean(_fuzz(project, python, tmp_path, max_examples=CI_EXAMPLES, phases=CI_PHASES, extra=KEEP_SIGNED_IN))


def test_the_roles_fixture_is_fuzz_clean(tmp_path: Path, runtime_cache: Path) -> None:
    project, python = _project(tmp_path, load_spec(ROLES), runtime_cache)
    _assert_clean(_fuzz(project, python, tmp_path, max_examples=CI_EXAMPLES, phases=CI_PHASES, extra=KEEP_SIGNED_IN))


def test_every_boundary_of_every_field_type_is_clean(tmp_path: Path, runtime_cache: Path) -> None:
    project, python = _project(tmp_path, load_spec(ALL_FEATURES), runtime_cache)
    _assert_clean(
        _fuzz(project, python, tmp_path, max_examples=CI_EXAMPLES, phases=COVERAGE_PHASES, extra=KEEP_SIGNED_IN)
    )


def test_the_runner_reports_an_undocumented_status(tmp_path: Path, runtime_cache: Path) -> None:
    project, python = _project(tmp_path, SPECS["d02-bookstore"], runtime_cache)
    routes = project / "app" / "api" / "routes" / "author.py"
    text = routes.read_text()
    # Declared statuses stripped from one route: its 404 becomes undocumented.
    routes.write_text(text.replace("responses=responses(404, 422)", "responses=responses(422)", 1))
    assert routes.read_text() != text
    result = _fuzz(project, python, tmp_path, max_examples=CI_EXAMPLES, phases=CI_PHASES,
                   extra=["--include-path-regex", "authors/\\{row_id\\}$"])  # fmt: skip
    assert not result.ok
    assert any("Undocumented status" in name for name in result.failures), result.output


def test_the_runner_reports_a_server_error(tmp_path: Path, runtime_cache: Path) -> None:
    project, python = _project(tmp_path, SPECS["d02-bookstore"], runtime_cache)
    routes = project / "app" / "api" / "routes" / "author.py"
    text = routes.read_text()
    # The list answers a count that is not an int: its own response model refuses it (a 500).
    routes.write_text(text.replace("count=count)", 'count=f"{count} rows")', 1))
    assert routes.read_text() != text
    result = _fuzz(project, python, tmp_path, max_examples=CI_EXAMPLES, phases=CI_PHASES,
                   extra=["--include-path-regex", "authors/$", "--include-method", "GET"])  # fmt: skip
    assert not result.ok
    assert any("Server error" in name for name in result.failures), result.output


def _suite(project: Path, python: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_health.py"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_the_generated_suite_refuses_a_database_it_did_not_create(tmp_path: Path, runtime_cache: Path) -> None:
    project, python = _project(tmp_path, SPECS["d02-bookstore"], runtime_cache)
    dev_db = tmp_path / "dev.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{dev_db}", "ENVIRONMENT": "test"}
    # The developer's database: the app's schema and a row in it.
    create = "from app.core.db import connect, create_schema; create_schema(); c = connect(); c.execute(\"INSERT INTO authors (created_at, updated_at, name) VALUES ('x', 'x', 'Kept')\"); c.commit(); c.close()"
    subprocess.run([str(python), "-c", create], cwd=project, env=env, check=True, capture_output=True)
    before = dev_db.read_bytes()
    refused = _suite(project, python, {**env, "TEST_DATABASE_URL": f"sqlite:///{dev_db}"})
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert "refusing to run" in refused.stdout + refused.stderr
    # DATABASE_URL alone names only the folder: the suite runs on a file of its own, deletes it
    # after, and the developer's database is untouched.
    ran = _suite(project, python, env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert dev_db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.glob("*.db*")) == ["dev.db"]
    # An empty file named exactly is accepted (nothing in it to lose).
    empty = tmp_path / "empty.db"
    assert _suite(project, python, {**env, "TEST_DATABASE_URL": f"sqlite:///{empty}"}).returncode == 0


def test_the_docs_stage_reads_every_typed_list_parameter(tmp_path: Path, runtime_cache: Path) -> None:
    # The docs stage imports the app for its OpenAPI document (no database, no switch needed).
    from codebegen.stages.docs import fetch_openapi

    project, _ = _project(tmp_path, load_spec(ALL_FEATURES), runtime_cache)
    document = fetch_openapi(project, load_template(TEMPLATE), runtime_cache)
    params = {p["name"]: p["schema"] for p in document["paths"]["/api/v1/books/"]["get"]["parameters"]}
    assert {"skip", "limit", "q", "order_by", "status__in", "price__gte", "published__lt", "author_id"} <= set(params)
    assert params["skip"]["maximum"] == 2**31 - 1 and params["limit"]["maximum"] == 1000
    assert "-title" in params["order_by"]["enum"]
    assert "/ready" in document["paths"]
    responses = document["paths"]["/api/v1/books/{row_id}"]["delete"]["responses"]
    assert {"204", "401", "403", "404", "409", "422"} <= set(responses)
    assert not list(project.glob("*.db"))
