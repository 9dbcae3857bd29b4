"""fastapi_mongo projects under a fuzzer: every dev-set project served on the in-process stand-in
(``MONGODB_URL=mongomock://``), schemathesis with every check, seeded and bounded
(``codebegen.gate.fuzz``): no server error, no schema violation, no undocumented status.

Also: the generated suite refuses a database it did not create (and, given only a server and a
name, runs on a database of its own and leaves the named one alone); the fuzz runner reports a
mongo project with a deliberately undocumented status. All of it runs on mongomock, not a MongoDB
server: what a real server would answer differently (BSON order, index builds) is not proven here.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from codebegen.gate.fuzz import FUZZ_ADMIN, has_auth, run_schemathesis, serve_project, sign_in
from codebegen.gate.runtime import ensure_runtime
from codebegen.templates import render_project
from tests.helpers.devset import dev_specs

pytestmark = pytest.mark.slow

SPECS = dev_specs()
# Bounded so the whole module fits CI: few examples per operation; the coverage phase (boundary
# values: 2**31, NUL, malformed ids, wrong types) runs in full.
EXAMPLES = 2
STANDIN = {"MONGODB_URL": "mongomock://", "MONGODB_DB": "fuzz", "ENVIRONMENT": "test"}


def _project(tmp_path: Path, key: str, runtime_cache: Path) -> tuple[Path, Path]:
    out = tmp_path / key
    render_project(SPECS[key], "fastapi_mongo", out)
    runtime = ensure_runtime(out / "requirements.txt", cache_dir=runtime_cache)  # shared by every project
    return out, runtime.python


@pytest.mark.parametrize("key", sorted(SPECS))
def test_dev_project_is_fuzz_clean_on_the_standin(key: str, tmp_path: Path, runtime_cache: Path) -> None:
    project, python = _project(tmp_path, key, runtime_cache)
    with serve_project(project, python, {**STANDIN, **FUZZ_ADMIN}) as base:
        headers = sign_in(base) if has_auth(base) else {}
        result = run_schemathesis(base, headers=headers, max_examples=EXAMPLES)
    assert result.operations > 0, result.output
    assert result.ok, f"{result.failures}\n{result.output}"


def test_the_runner_reports_an_undocumented_status(tmp_path: Path, runtime_cache: Path) -> None:
    project, python = _project(tmp_path, "d02-bookstore", runtime_cache)
    routes = project / "app" / "api" / "routes" / "author.py"
    text = routes.read_text()
    # Declared statuses stripped from one route: its 404 becomes undocumented.
    routes.write_text(text.replace("responses=responses(404, 422)", "responses=responses(422)", 1))
    assert routes.read_text() != text
    with serve_project(project, python, STANDIN) as base:
        result = run_schemathesis(base, max_examples=EXAMPLES, extra=["--include-path-regex", "authors/\\{row_id\\}$"])
    assert not result.ok
    assert any("Undocumented status" in name for name in result.failures), result.output


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


def test_the_generated_suite_refuses_a_database_it_did_not_create(tmp_path: Path, runtime_cache: Path) -> None:
    project, python = _project(tmp_path, "d02-bookstore", runtime_cache)
    (project / "seed_devdb.py").write_text(SEED)
    env = {**os.environ, "MONGODB_URL": "mongomock://", "ENVIRONMENT": "test", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("TEST_MONGODB_DB", None)
    argv = [str(python), "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-p", "seed_devdb", "tests/test_health.py"]  # fmt: skip
    refused = subprocess.run(argv, cwd=project, env={**env, "TEST_MONGODB_DB": "devdb"}, capture_output=True, text=True)
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert "refusing to run: database devdb already has collections (authors)" in refused.stdout + refused.stderr
    # MONGODB_DB alone names only a prefix: the suite runs on devdb_pytest_<random>, devdb keeps its data.
    ran = subprocess.run(argv, cwd=project, env={**env, "MONGODB_DB": "devdb"}, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "devdb documents after the run: 1" in ran.stdout
    # Without the seed the same exact database is empty, and the suite runs on it.
    empty = subprocess.run(
        argv[:-3] + [argv[-1]], cwd=project, env={**env, "TEST_MONGODB_DB": "devdb"}, capture_output=True, text=True
    )
    assert empty.returncode == 0, empty.stdout + empty.stderr
