"""Generated projects under a fuzzer: every dev-set project of fastapi_sqlalchemy served on SQLite
(and a sample on PostgreSQL 15), schemathesis with every check, seeded and bounded
(``codebegen.gate.fuzz``): no server error, no schema violation, no undocumented status.

Also: the generated suite refuses a database it did not create, and the fuzz runner itself
reports failures (a project with a deliberately undocumented status fails).
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
    has_auth,
    run_schemathesis,
    serve_project,
    sign_in,
)
from codebegen.gate.runtime import ensure_runtime
from codebegen.spec import load_spec
from codebegen.templates import render_project
from tests.helpers import ALL_FEATURES
from tests.helpers.devset import dev_specs

pytestmark = pytest.mark.slow

SPECS = dev_specs()
# Bounded so the whole module fits CI (codebegen.gate.fuzz's CI profile): every project gets a few
# examples per operation and a short fuzzing phase; the coverage phase (boundary values: 2**31,
# NUL, empty, wrong types) runs on the all-features fixture, which holds every field type.
EXAMPLES = CI_EXAMPLES
PG_SAMPLE = ("d01-blog", "d05-shop")


def _project(tmp_path: Path, key: str, runtime_cache: Path) -> tuple[Path, Path]:
    out = tmp_path / key
    spec = load_spec(ALL_FEATURES) if key == "all-features" else SPECS[key]
    render_project(spec, "fastapi_sqlalchemy", out)
    runtime = ensure_runtime(out / "requirements.txt", cache_dir=runtime_cache)
    return out, runtime.python


def _fuzz(project: Path, python: Path, database_url: str, phases: str = CI_PHASES) -> None:
    env = {"DATABASE_URL": database_url, "ENVIRONMENT": "test", **FUZZ_ADMIN}
    with serve_project(project, python, env, migrate=["-m", "alembic", "upgrade", "head"]) as base:
        headers = sign_in(base) if has_auth(base) else {}
        result = run_schemathesis(base, headers=headers, max_examples=EXAMPLES, phases=phases, extra=KEEP_SIGNED_IN)
    assert result.operations > 0, result.output
    assert result.ok, f"{result.failures}\n{result.output}"


@pytest.mark.parametrize("key", sorted(SPECS))
def test_dev_project_is_fuzz_clean_on_sqlite(key: str, tmp_path: Path, runtime_cache: Path) -> None:
    project, python = _project(tmp_path, key, runtime_cache)
    _fuzz(project, python, f"sqlite:///{tmp_path / 'fuzz.db'}")


def test_every_boundary_of_every_field_type_is_clean_on_sqlite(tmp_path: Path, runtime_cache: Path) -> None:
    project, python = _project(tmp_path, "all-features", runtime_cache)
    _fuzz(project, python, f"sqlite:///{tmp_path / 'fuzz.db'}", phases=COVERAGE_PHASES)


@pytest.mark.postgres
@pytest.mark.parametrize("key", PG_SAMPLE)
def test_dev_project_is_fuzz_clean_on_postgres(
    key: str, tmp_path: Path, runtime_cache: Path, postgres_url: str
) -> None:
    from codebegen.gate.scratch_database import scratch_database

    project, python = _project(tmp_path, key, runtime_cache)
    # the first of the sample also gets the coverage phase: PostgreSQL's integer is where 2**31 fails
    phases = f"{CI_PHASES},{COVERAGE_PHASES}" if key == PG_SAMPLE[0] else CI_PHASES
    with scratch_database(postgres_url, scheme="postgresql+psycopg", purpose="fuzz") as url:
        _fuzz(project, python, url, phases=phases)


def test_the_runner_reports_an_undocumented_status(tmp_path: Path, runtime_cache: Path) -> None:
    project, python = _project(tmp_path, "d02-bookstore", runtime_cache)
    routes = project / "app" / "api" / "routes" / "author.py"
    text = routes.read_text()
    # Declared statuses stripped from one route: its 404 becomes undocumented.
    routes.write_text(text.replace("responses=responses(404, 422)", "responses=responses(422)", 1))
    assert routes.read_text() != text
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fuzz.db'}", "ENVIRONMENT": "test"}
    with serve_project(project, python, env, migrate=["-m", "alembic", "upgrade", "head"]) as base:
        result = run_schemathesis(
            base, max_examples=EXAMPLES, phases=CI_PHASES, extra=["--include-path-regex", "authors/\\{row_id\\}$"]
        )
    assert not result.ok
    assert any("Undocumented status" in name for name in result.failures), result.output


def test_the_generated_suite_refuses_a_database_it_did_not_create(tmp_path: Path, runtime_cache: Path) -> None:
    project, python = _project(tmp_path, "d02-bookstore", runtime_cache)
    dev_db = tmp_path / "dev.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{dev_db}", "ENVIRONMENT": "test"}
    subprocess.run(
        [str(python), "-m", "alembic", "upgrade", "head"], cwd=project, env=env, check=True, capture_output=True
    )
    tables_before = dev_db.read_bytes()
    refused = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_health.py"],
        cwd=project, env={**env, "TEST_DATABASE_URL": f"sqlite:///{dev_db}"}, capture_output=True, text=True,
    )  # fmt: skip
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert "refusing to run" in refused.stdout + refused.stderr
    # DATABASE_URL alone names only the folder: the suite runs on a database of its own, and the
    # developer's database is untouched (it used to be emptied by drop_all).
    ran = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_health.py"],
        cwd=project, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert dev_db.read_bytes() == tables_before
    assert sorted(p.name for p in tmp_path.glob("*.db")) == ["dev.db"]
