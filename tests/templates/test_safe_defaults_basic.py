"""What ships in a fastapi_basic project is safe by default: a random secret in .env, no secret
in the image, .dockerignore, a runtime image on the gate's Python without test tools, /ready,
and a schema with the spec's CHECK constraints and RESTRICT deletes (read from the rendered
tables, without running anything)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from codebegen.generate import generate_project
from codebegen.spec import load_spec
from codebegen.templates import load_template
from tests.helpers import FIXTURES
from tests.templates.test_safe_defaults import assert_own_random_secrets

pytestmark = pytest.mark.slow  # renders two projects (seconds each under load)


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    spec = load_spec(FIXTURES / "all_features.json")
    root = tmp_path_factory.mktemp("safe-basic")
    made = (generate_project(spec, root / n, template="fastapi_basic", run_gate=False).out_dir for n in ("a", "b"))
    return tuple(made)  # type: ignore[return-value]


def test_each_project_gets_its_own_random_secret(projects: tuple[Path, Path]) -> None:
    assert_own_random_secrets(projects)


def test_the_image_runs_the_gate_s_python_without_test_tools_or_secrets(projects: tuple[Path, Path]) -> None:
    python = load_template("fastapi_basic").manifest.verify.python
    assert python == f"{sys.version_info.major}.{sys.version_info.minor}"  # the Python the gate ran on
    dockerfile = (projects[0] / "Dockerfile").read_text()
    assert f"FROM python:{python}-slim" in dockerfile
    assert "grep -viE '^(pytest|httpx|ruff)" in dockerfile and "COPY . ." not in dockerfile
    assert "SECRET_KEY" not in dockerfile and "/ready" in dockerfile
    ignored = (projects[0] / ".dockerignore").read_text().split()
    assert {".env", "*.db", ".git", "tests"} <= set(ignored)
    assert "/ready" in (projects[0] / "app" / "main.py").read_text()


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


def test_the_schema_checks_enums_lengths_and_restricts_required_deletes(projects: tuple[Path, Path]) -> None:
    tables = (projects[0] / "app" / "db" / "tables.py").read_text()
    books = _columns(tables, "books")
    checks = dict(books["status"]["checks"])  # type: ignore[arg-type]
    assert checks["status_enum"].startswith('"status" IN (')
    assert dict(books["title"]["checks"])["title_length"] == 'length("title") <= 255'  # type: ignore[arg-type]
    assert books["author_id"]["on_delete"] == "RESTRICT"  # a required reference blocks the delete (409)
    loans = _columns(tables, "loans")
    assert all(c.get("on_delete") in (None, "RESTRICT", "SET NULL") for c in loans.values())
