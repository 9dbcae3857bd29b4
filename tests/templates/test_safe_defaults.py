"""What ships in a generated project is safe by default: a random secret in .env, no known
default in docker-compose, .dockerignore, a runtime image on the gate's Python without test
tools, migrations in a prestart step, a readiness endpoint."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from codebegen.generate import generate_project
from codebegen.spec import load_spec
from codebegen.templates import load_template
from tests.helpers import FIXTURES


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    spec = load_spec(FIXTURES / "all_features.json")
    root = tmp_path_factory.mktemp("safe")
    return tuple(generate_project(spec, root / n, run_gate=False).out_dir for n in ("a", "b"))  # type: ignore[return-value]


def assert_own_random_secrets(projects: tuple[Path, Path]) -> None:
    """Each project's .env holds a long random SECRET_KEY of its own, private and git-ignored (every template)."""
    secrets = []
    for project in projects:
        env = (project / ".env").read_text()
        line = next(x for x in env.splitlines() if x.startswith("SECRET_KEY="))
        secrets.append(line.split("=", 1)[1])
        assert "changethis" not in env and len(secrets[-1]) >= 48
        assert (project / ".env").stat().st_mode & 0o077 == 0
        assert ".env" in (project / ".gitignore").read_text().split()
    assert secrets[0] != secrets[1]


def test_each_project_gets_its_own_random_secret(projects: tuple[Path, Path]) -> None:
    assert_own_random_secrets(projects)


def test_compose_has_no_known_secret_and_migrates_before_the_app(projects: tuple[Path, Path]) -> None:
    compose = (projects[0] / "docker-compose.yml").read_text()
    assert "changethis" not in compose and "${SECRET_KEY:?" in compose
    assert "prestart:" in compose and "service_completed_successfully" in compose
    assert "MIGRATE_ON_STARTUP" not in (projects[0] / "app" / "core" / "config.py").read_text()
    assert "/ready" in (projects[0] / "app" / "main.py").read_text()


def test_the_image_runs_the_gate_s_python_without_test_tools(projects: tuple[Path, Path]) -> None:
    python = load_template("fastapi_sqlalchemy").manifest.verify.python
    assert python == f"{sys.version_info.major}.{sys.version_info.minor}"  # the Python the gate ran on
    dockerfile = (projects[0] / "Dockerfile").read_text()
    assert f"FROM python:{python}-slim" in dockerfile
    assert "grep -viE '^(pytest|httpx|ruff)" in dockerfile and "COPY . ." not in dockerfile
    ignored = (projects[0] / ".dockerignore").read_text().split()
    assert {".env", "*.db", ".git", "tests"} <= set(ignored)
