"""A rendered project served for real on any template, for the tests that drive it over HTTP:
rendered, its runtime built, its migrations run (fastapi_sqlalchemy), uvicorn started on SQLite or
the mongo stand-in (``codebegen.gate.fuzz.serve_project``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from codebegen.gate.fuzz import serve_project
from codebegen.gate.runtime import ensure_runtime
from codebegen.spec import ProjectSpec
from codebegen.templates import render_project


@contextmanager
def served(spec: ProjectSpec, template: str, tmp_path: Path, runtime_cache: Path) -> Iterator[str]:
    """Yields the served project's base URL."""
    project = tmp_path / spec.name
    render_project(spec, template, project)
    runtime = ensure_runtime(project / "requirements.txt", cache_dir=runtime_cache)
    migrate = ["-m", "alembic", "upgrade", "head"] if template == "fastapi_sqlalchemy" else None
    env = {"ENVIRONMENT": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
           "MONGODB_URL": "mongomock://", "MONGODB_DB": spec.name}  # fmt: skip
    with serve_project(project, runtime.python, env, migrate=migrate) as base:
        yield base
